"""Generate a deterministic synthetic data mesh: one file per domain plus a concepts file.

Each product carries ≈ 95 triples (product level, an output port serving a
dataset of 11–14 fields, lineage, a contact point, and for about 30 % personal
data with a purpose-bound ODRL policy). About 1 % of products carry one
injected SHACL violation, listed in the manifest so both engines can be
checked against it.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyoxigraph as ox

BASE = "https://bench.meshkg.org/id/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCT = "http://purl.org/dc/terms/"
DCAT = "http://www.w3.org/ns/dcat#"
DPROD = "https://www.omg.org/spec/DPROD/"
MESH = "https://w3id.org/meshkg/ontology#"
PROV = "http://www.w3.org/ns/prov#"
DPV = "https://w3id.org/dpv#"
PD = "https://w3id.org/dpv/pd#"
ODRL = "http://www.w3.org/ns/odrl/2/"
VCARD = "http://www.w3.org/2006/vcard/ns#"

PREFIXES = {"rdf": RDF, "rdfs": RDFS, "xsd": XSD, "skos": SKOS, "dct": DCT, "dcat": DCAT,
            "dprod": DPROD, "mesh": MESH, "prov": PROV, "dpv": DPV, "pd": PD, "odrl": ODRL,
            "vcard": VCARD, "b": BASE}

GENERATOR_VERSION = 2
DOMAINS = 20
TOP_CONCEPTS = 8
BRANCHING = 4  # levels 1..4: 8, 32, 128, 512 concepts
PERSONAL_SHARE = 0.3
VIOLATION_SHARE = 0.01
VIOLATION_KINDS = ("no-owner", "field-without-label", "lineage-to-concept",
                   "personal-data-without-policy")

_ADJ = ("daily", "weekly", "monthly", "regional", "global", "curated", "raw", "enriched",
        "harmonised", "certified", "historic", "realtime", "aggregated", "detailed")
_NOUN = ("orders", "customers", "invoices", "shipments", "payments", "returns", "products",
         "stock", "campaigns", "contracts", "claims", "sensors", "tickets", "prices",
         "suppliers", "accounts", "visits", "leads", "refunds", "forecasts", "employees",
         "assets", "routes", "bookings", "subscriptions", "reviews", "devices", "loans",
         "budgets", "audits")
_CONCEPT_WORDS = ("Sale", "Customer", "Product", "Finance", "Logistics", "People", "Risk",
                  "Marketing")
_DATATYPES = ("string", "integer", "decimal", "date", "dateTime", "boolean")
_PERSONAL = ("EmailAddress", "Name", "Age")
DOMAIN_NAMES = ("sales", "marketing", "finance", "logistics", "procurement", "hr", "risk",
                "legal", "support", "manufacturing", "retail", "ecommerce", "payments",
                "fleet", "energy", "insurance", "research", "security", "partners", "it")


@dataclass
class Manifest:
    """What was generated, and the handles the benchmark steps use."""

    n: int
    seed: int
    fmt: str
    generator: int
    files: list[str] = field(default_factory=list)
    context_file: str = ""
    triples: int = 0
    concepts: int = 0
    narrow_concept: str = ""
    broad_concept: str = ""
    search_term: str = ""
    changed_product: str = ""
    changed_file: str = ""
    extra_subject: str = ""
    injected: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def injected_count(self) -> int:
        """Number of injected violations."""
        return sum(len(v) for v in self.injected.values())

    def save(self, path: Path) -> None:
        """Write the manifest as JSON."""
        path.write_text(json.dumps(asdict(self), indent=1), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Manifest:
        """Read a manifest written by save()."""
        return cls(**json.loads(path.read_text(encoding="utf-8")))


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _lit(text: str, lang: str | None = None, dt: str | None = None) -> ox.Literal:
    if lang:
        return ox.Literal(text, language=lang)
    if dt:
        return ox.Literal(text, datatype=_n(dt))
    return ox.Literal(text)


class _Writer:
    """Collect triples and, given a file, stream them to it in chunks.

    `flush()` is called between products only, so a chunk never splits a
    product's blank nodes (Turtle may write them inline) and the file reads as
    one document (Turtle allows @prefix again). Only the IRIs the vocabulary
    context needs are kept after a flush: at 100,000 products (≈ 9M triples)
    the generator never holds more than one chunk in memory.
    """

    CHUNK = 50_000

    def __init__(self, out=None, fmt: str = "nt") -> None:
        self.triples: list[ox.Triple] = []
        self.out, self.fmt = out, fmt
        self.count = 0
        self.iris: set[str] = set()

    def add(self, s, p: str, o) -> None:
        self.triples.append(ox.Triple(s, _n(p), o))

    def flush(self, force: bool = False) -> None:
        """Write the collected triples when a chunk is full (or when forced)."""
        if self.out is None or not self.triples or (len(self.triples) < self.CHUNK
                                                    and not force):
            return
        _serialize(self.out, self.triples, self.fmt)
        self.count += len(self.triples)
        self.iris |= _context_iris(self.triples)
        self.triples = []


def _concepts(w: _Writer) -> dict[int, list[str]]:
    """Write a four-level concept hierarchy; return concept IRIs by level."""
    scheme = _n(BASE + "scheme/business")
    tags = _n(BASE + "scheme/tags")
    w.add(scheme, RDF + "type", _n(SKOS + "ConceptScheme"))
    w.add(scheme, SKOS + "prefLabel", _lit("Business glossary", "en"))
    w.add(tags, RDF + "type", _n(SKOS + "ConceptScheme"))
    w.add(tags, SKOS + "prefLabel", _lit("Tags", "en"))
    tag = _n(BASE + "concept/tag-kpi")
    w.add(tag, RDF + "type", _n(SKOS + "Concept"))
    w.add(tag, SKOS + "prefLabel", _lit("KPI", "en"))
    w.add(tag, SKOS + "topConceptOf", tags)
    levels: dict[int, list[str]] = {1: [], 2: [], 3: [], 4: []}

    def concept(path: tuple[int, ...], parent: str | None) -> None:
        level = len(path)
        word = _CONCEPT_WORDS[path[0]]
        suffix = "-".join(str(p) for p in path[1:])
        iri = BASE + "concept/" + word.lower() + (f"-{suffix}" if suffix else "")
        c = _n(iri)
        label = word + (f" {suffix.replace('-', '.')}" if suffix else "")
        w.add(c, RDF + "type", _n(SKOS + "Concept"))
        w.add(c, SKOS + "inScheme", scheme)
        w.add(c, SKOS + "prefLabel", _lit(label, "en"))
        w.add(c, SKOS + "prefLabel", _lit(label + " (de)", "de"))
        w.add(c, SKOS + "altLabel", _lit(label + " alt", "en"))
        if parent is None:
            w.add(c, SKOS + "topConceptOf", scheme)
        else:
            w.add(c, SKOS + "broader", _n(parent))
        levels[level].append(iri)
        if level < 4:
            for i in range(BRANCHING):
                concept(path + (i,), iri)

    for t in range(TOP_CONCEPTS):
        concept((t,), None)
    return levels


def _domain_header(w: _Writer, d: int) -> tuple[ox.NamedNode, list[ox.NamedNode]]:
    dom = _n(BASE + f"domain/{DOMAIN_NAMES[d]}")
    w.add(dom, RDF + "type", _n(MESH + "DataDomain"))
    w.add(dom, RDFS + "label", _lit(DOMAIN_NAMES[d].capitalize(), "en"))
    w.add(dom, DCT + "description", _lit(f"The {DOMAIN_NAMES[d]} business area.", "en"))
    teams = []
    for t in range(3):
        team = _n(BASE + f"team/{DOMAIN_NAMES[d]}-{t}")
        w.add(team, RDF + "type", _n(PROV + "Agent"))
        w.add(team, RDFS + "label", _lit(f"{DOMAIN_NAMES[d]} team {t}", "en"))
        teams.append(team)
    return dom, teams


def _product(w: _Writer, rng: random.Random, i: int, dom, teams, levels, violation: str | None,
             lineage: str | None) -> None:
    p = _n(BASE + f"product/{i}")
    deep = levels[3] + levels[4]
    subjects = rng.sample(deep, 2)
    personal = rng.random() < PERSONAL_SHARE or violation == "personal-data-without-policy"
    w.add(p, RDF + "type", _n(DPROD + "DataProduct"))
    w.add(p, RDFS + "label", _lit(f"{rng.choice(_ADJ)} {rng.choice(_NOUN)} {i}", "en"))
    w.add(p, DCT + "description", _lit(f"Synthetic data product number {i}.", "en"))
    w.add(p, DPROD + "purpose", _lit("Benchmark reporting.", "en"))
    if violation != "no-owner":
        w.add(p, DPROD + "dataProductOwner", rng.choice(teams))
    w.add(p, DPROD + "domain", dom)
    w.add(p, DPROD + "lifecycleStatus", _n(MESH + "Active"))
    w.add(p, DPROD + "informationSensitivityClassification", _n(MESH + "Internal"))
    for c in subjects:
        w.add(p, DCT + "subject", _n(c))
    w.add(p, MESH + "covers", _n(subjects[0]))
    w.add(p, MESH + "tag", _n(BASE + "concept/tag-kpi"))
    w.add(p, DCT + "modified", _lit(f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}T10:00:00Z",
                                    dt=XSD + "dateTime"))
    contact = ox.BlankNode()
    w.add(p, DCAT + "contactPoint", contact)
    w.add(contact, RDF + "type", _n(VCARD + "Kind"))
    w.add(contact, VCARD + "fn", _lit(f"Team of product {i}"))
    w.add(contact, VCARD + "hasEmail", _n(f"mailto:product-{i}@example.org"))
    if violation == "lineage-to-concept":
        w.add(p, PROV + "wasDerivedFrom", _n(subjects[1]))
    elif lineage is not None:
        w.add(p, PROV + "wasDerivedFrom", _n(lineage))
    port = _n(BASE + f"port/{i}")
    ds = _n(BASE + f"dataset/{i}")
    w.add(p, DPROD + "outputPort", port)
    w.add(port, RDF + "type", _n(DCAT + "DataService"))
    w.add(port, RDFS + "label", _lit(f"table {i}", "en"))
    w.add(port, DCAT + "servesDataset", ds)
    w.add(ds, RDF + "type", _n(DCAT + "Dataset"))
    w.add(ds, RDFS + "label", _lit(f"dataset_{i}", "en"))
    n_fields = rng.randint(11, 14)
    pd_kind = rng.choice(_PERSONAL)
    for f in range(n_fields):
        fld = _n(BASE + f"field/{i}-{f}")
        w.add(ds, MESH + "hasField", fld)
        w.add(fld, RDF + "type", _n(MESH + "Field"))
        if not (violation == "field-without-label" and f == 0):
            w.add(fld, RDFS + "label", _lit(f"col_{f}"))
        w.add(fld, MESH + "datatype", _n(XSD + rng.choice(_DATATYPES)))
        w.add(fld, MESH + "meansConcept", _n(rng.choice(deep)))
        if personal and f == 0:
            w.add(fld, DPV + "hasPersonalData", _n(PD + pd_kind))
    if personal:
        w.add(p, DPV + "hasPersonalData", _n(PD + pd_kind))
        w.add(p, DPV + "hasLegalBasis", _n(DPV + "Contract"))
        if violation != "personal-data-without-policy":
            pol = _n(BASE + f"policy/{i}")
            w.add(p, ODRL + "hasPolicy", pol)
            w.add(pol, RDF + "type", _n(ODRL + "Set"))
            w.add(pol, ODRL + "uid", pol)
            w.add(pol, ODRL + "target", p)
            perm, cons = ox.BlankNode(), ox.BlankNode()
            w.add(pol, ODRL + "permission", perm)
            w.add(perm, RDF + "type", _n(ODRL + "Permission"))
            w.add(perm, ODRL + "action", _n(ODRL + "use"))
            w.add(perm, ODRL + "constraint", cons)
            w.add(cons, ODRL + "leftOperand", _n(ODRL + "purpose"))
            w.add(cons, ODRL + "operator", _n(ODRL + "eq"))
            w.add(cons, ODRL + "rightOperand", _n(DPV + "ServiceProvision"))


def _serialize(out, triples: list[ox.Triple], fmt: str) -> None:
    if fmt == "ttl":
        ox.serialize(triples, out, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)
    else:
        ox.serialize(triples, out, format=ox.RdfFormat.N_TRIPLES)


def _write(path: Path, triples: list[ox.Triple], fmt: str) -> None:
    with path.open("wb") as out:
        _serialize(out, triples, fmt)


def _context_iris(triples) -> set[str]:
    """The IRIs the vocabulary context is pulled for: predicates and outside objects."""
    iris = set()
    for t in triples:
        iris.add(t.predicate.value)
        if isinstance(t.object, ox.NamedNode) and not t.object.value.startswith(BASE):
            iris.add(t.object.value)
    return iris


_SUPERCLASSES = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
CONSTRUCT { ?t rdfs:subClassOf ?sup } WHERE { #VALUES# ?r rdfs:subClassOf* ?t .
  ?t rdfs:subClassOf ?sup }"""


def _context(out_dir: Path, iris: set[str]) -> Path:
    """Write the vocabulary context the plain baseline needs to validate like meshkg does.

    meshkg pulls, for every IRI a description names, its types, schemes,
    labels and class / broader chains from the loaded vocabularies. The plain
    pyshacl and owlrl runs get exactly that slice (plus the meshkg ontology)
    as one extra file, so both validate and infer over the same knowledge.
    """
    from kg.queries import load_query
    from kg.sources import ONTOLOGY_FILE, load_vocabularies
    from kg.store.oxigraph import OxigraphStore, to_oxigraph
    from kg.validation import _values

    store = OxigraphStore(None)
    load_vocabularies(store)
    iris = sorted(iris)
    quads = [q for q in ox.parse(path=str(ONTOLOGY_FILE), format=ox.RdfFormat.TURTLE)]
    ctx = [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
    for i in range(0, len(iris), 400):
        q = load_query("validation_context").replace("#VALUES#", _values("r", iris[i:i + 400]))
        for s, p, o in store.query(q).triples:
            ctx.append(ox.Triple(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o)))
        # the classes' own chains (odrl:Set ⊑ odrl:Policy), which meshkg reaches from the
        # typed instance side of each description
        chains = (_SUPERCLASSES.replace("#VALUES#", _values("r", iris[i:i + 400])))
        for s, p, o in store.query(chains).triples:
            ctx.append(ox.Triple(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o)))
    path = out_dir / "context.nt"
    with path.open("wb") as out:
        ox.serialize(sorted(set(ctx), key=str), out, format=ox.RdfFormat.N_TRIPLES)
    return path


def generate(n: int, out_dir: Path, *, seed: int = 42, fmt: str = "nt") -> Manifest:
    """Write n products over the domains, a concepts file and a manifest into out_dir."""
    start = time.perf_counter()
    rng = random.Random(seed)
    data_dir = out_dir / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    for old in data_dir.iterdir():
        old.unlink()
    man = Manifest(n=n, seed=seed, fmt=fmt, generator=GENERATOR_VERSION,
                   injected={k: [] for k in VIOLATION_KINDS})
    cw = _Writer()
    levels = _concepts(cw)
    man.concepts = sum(len(v) for v in levels.values())
    # a level-3 concept has narrower ones (level 4); the top concept covers an eighth
    man.narrow_concept = levels[3][len(levels[3]) // 2]
    man.broad_concept = levels[1][0]
    man.extra_subject = levels[4][0]
    man.search_term = "harmonised invoices"
    triples = len(cw.triples)
    iris = _context_iris(cw.triples)
    concepts_path = data_dir / f"concepts.{fmt}"
    _write(concepts_path, cw.triples, fmt)
    man.files.append(str(concepts_path))
    n_violations = max(1, round(n * VIOLATION_SHARE))
    bad = dict(zip(rng.sample(range(n), n_violations),
                   (VIOLATION_KINDS[k % len(VIOLATION_KINDS)] for k in range(n_violations)),
                   strict=True))
    by_domain = [list(range(d, n, DOMAINS)) for d in range(DOMAINS)]
    for d, products in enumerate(by_domain):
        path = data_dir / f"domain-{DOMAIN_NAMES[d]}.{fmt}"
        with path.open("wb") as out:
            w = _Writer(out, fmt)
            _domain(w, rng, d, products, n, bad, levels, man)
            w.flush(force=True)
        man.files.append(str(path))
        triples += w.count
        iris |= w.iris
    changed = next(i for i in by_domain[0] if i not in bad)
    man.changed_product = BASE + f"product/{changed}"
    man.changed_file = str(data_dir / f"domain-{DOMAIN_NAMES[0]}.{fmt}")
    man.triples = triples
    man.context_file = str(_context(out_dir, iris))
    man.seconds = time.perf_counter() - start
    man.save(out_dir / "manifest.json")
    return man


def _domain(w: _Writer, rng: random.Random, d: int, products: list[int], n: int,
            bad: dict[int, str], levels, man: Manifest) -> None:
    """Write one domain's header and products, flushing between products."""
    dom, teams = _domain_header(w, d)
    for k, i in enumerate(products):
        if k > 0 and rng.random() < 0.9:
            # mostly within the domain, sometimes across
            src = products[k - 1] if rng.random() < 0.8 else rng.randrange(0, n)
            lineage = BASE + f"product/{src}" if src != i else None
        else:
            lineage = None
        violation = bad.get(i)
        if violation:
            man.injected[violation].append(BASE + f"product/{i}")
        _product(w, rng, i, dom, teams, levels, violation, lineage)
        w.flush()


def ensure(n: int, out_dir: Path, *, seed: int = 42, fmt: str = "nt",
           force: bool = False) -> tuple[Manifest, bool]:
    """Return the manifest of the data set in out_dir, generating it when missing or stale."""
    path = out_dir / "manifest.json"
    if path.is_file() and not force:
        man = Manifest.load(path)
        if (man.n, man.seed, man.fmt, man.generator) == (n, seed, fmt, GENERATOR_VERSION) \
                and all(Path(f).is_file() for f in man.files):
            return man, False
    return generate(n, out_dir, seed=seed, fmt=fmt), True
