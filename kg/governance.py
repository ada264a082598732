"""Governance that computes: policy decisions on a store, checks with rules, a dashboard.

- `may` pulls from the store exactly what `kg.policies.decide` needs for one product
  (its triples, its policies, the ancestors of the request's party, place and purpose)
  plus the DPV purpose and ODRL action hierarchies, cached per process by the load
  time of the two vocabulary graphs.
- `check_store` / `check_files` run meshkg's shapes, the built-in rules in `rules/` and
  the steward's rule files, and exit non-zero on violations (see kg.cli.governance).
- Each check of a store is recorded in the governance graph as one prov:Activity with
  per-domain counts, so the dashboard can show a trend.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SH

from kg import resources
from kg.config import Settings
from kg.errors import NotFound, QueryRefused, UsageError
from kg.namespaces import (
    DPROD,
    GRAPH_PREFIX,
    MESH,
    META_GRAPH,
    PREFIXES,
    VOCAB_GRAPH_PREFIX,
)
from kg.policies import (
    DENY,
    NOT_APPLICABLE,
    PERMIT,
    Decision,
    decide,
    local_name,
    prefixed_name,
)
from kg.queries import load_query
from kg.store.base import Store, term_to_sparql

BUILTIN_RULES = resources.rules_file()
GOVERNANCE_GRAPH = GRAPH_PREFIX + "governance"
DPV_GRAPH = VOCAB_GRAPH_PREFIX + "dpv-2.3"
ODRL_GRAPH = VOCAB_GRAPH_PREFIX + "ODRL22"
NO_DOMAIN = "urn:meshkg:governance:no-domain"
RUN_PREFIX = "urn:meshkg:governance:run:"
BATCH = 400

#: exit codes of `meshkg may`, by outcome (2 usage / unknown product, 3 store failure)
MAY_EXIT = {PERMIT: 0, DENY: 1, NOT_APPLICABLE: 4}

# Nodes a product owns, whose findings count for the product on the dashboard
# (the same ownership validation_describe follows, without input ports: those
# belong to the upstream product).
_OWNED = (DPROD.outputPort, URIRef("http://www.w3.org/ns/dcat#servesDataset"),
          URIRef("http://www.w3.org/ns/dcat#distribution"), MESH.hasField,
          URIRef("http://www.w3.org/ns/odrl/2/hasPolicy"))

_PROV = "http://www.w3.org/ns/prov#"
_XSD = "http://www.w3.org/2001/XMLSchema#"


# ------------------------------------------------------------------ decisions


@dataclass(frozen=True)
class MayRequest:
    """A question: may `party` do `action` on `product` for `purpose` at `at`?"""

    product: str
    action: str
    purpose: str | None = None
    party: str | None = None
    at: datetime | date | None = None
    spatial: str | None = None

    @classmethod
    def from_json(cls, data: object) -> MayRequest:
        """Build a request from decoded JSON, or raise UsageError naming the bad field."""
        if not isinstance(data, dict):
            raise UsageError("the body must be a JSON object with product, action and purpose")
        unknown = sorted(set(data) - {"product", "action", "purpose", "party", "at", "spatial"})
        if unknown:
            raise UsageError(f"unknown field(s): {', '.join(unknown)}")
        values = {}
        for name in ("product", "action", "purpose", "party", "at", "spatial"):
            value = data.get(name)
            if value is not None and not isinstance(value, str):
                raise UsageError(f"{name} must be a string, got {type(value).__name__}")
            values[name] = value.strip() if isinstance(value, str) and value.strip() else None
        for name in ("product", "action"):
            if values[name] is None:
                raise UsageError(f"{name} is required")
        values["at"] = parse_at(values["at"]) if values["at"] else None
        return cls(**values)


def parse_at(text: str) -> datetime | date:
    """Parse an ISO 8601 date or date-time (`2026-06-01`, `2026-06-01T12:00:00Z`)."""
    try:
        if "T" in text or " " in text.strip():
            return datetime.fromisoformat(text.strip())
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise UsageError(f"at must be an ISO date or date-time, got {text!r}") from exc


#: IRI schemes written without "//" that a name may use as they are
_IRI_SCHEMES = ("urn", "mailto", "tag", "did", "data")


def expand_iri(name: str, what: str) -> URIRef:
    """Expand a full IRI or a prefixed name meshkg knows; refuse anything else."""
    text = name.strip()
    prefix, sep, local = text.partition(":")
    if sep and prefix in PREFIXES and not local.startswith("//"):
        text = PREFIXES[prefix] + local
    elif sep and not local.startswith("//") and prefix.lower() not in _IRI_SCHEMES:
        raise UsageError(f"{what} {name!r}: unknown prefix {prefix!r} (known: "
                         f"{', '.join(sorted(PREFIXES))}); give the full IRI instead")
    iri = URIRef(text)
    if ":" not in text:
        raise UsageError(f"{what} must be an IRI or prefixed name, got {name!r}")
    term_to_sparql(iri)  # raises UsageError for characters an IRI cannot hold
    return iri


def may(store: Store, request: MayRequest) -> Decision:
    """Decide a request on one product of the store (NotFound for an unknown product)."""
    product = expand_iri(request.product, "product")
    if not store.ask(load_query("governance_product_exists"), bindings={"product": product}):
        raise NotFound(f"unknown product <{product}>: the store has no triple about it")
    graph = decision_graph(store, product, request)
    return decide(graph, target=str(product), action=request.action, purpose=request.purpose,
                  party=request.party, at=request.at, spatial=request.spatial)


def decision_graph(store: Store, product: URIRef, request: MayRequest) -> Graph:
    """Return the graph `decide` needs: the product's policies and the vocab hierarchies."""
    graph = Graph()
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns)
    own = Graph()
    for name in ("governance_product", "governance_policy"):
        own += store.construct(load_query(name), bindings={"product": product})
    graph += own
    graph += vocab_graph(store)
    named = sorted({o for o in own.objects() if isinstance(o, URIRef)}, key=str)
    for i in range(0, len(named), BATCH):
        query = load_query("governance_named").replace("#VALUES#", _values("r", named[i:i + BATCH]))
        graph += store.construct(query)
    for value, what in ((request.party, "party"), (request.spatial, "spatial"),
                        (request.purpose, "purpose")):
        if value is None or (what == "purpose" and ":" not in value):
            continue  # a bare purpose name resolves against the DPV hierarchy already pulled
        start = expand_iri(value, what)
        graph += store.construct(load_query("governance_ancestors"), bindings={"start": start})
    return graph


_VOCAB_LOCK = threading.Lock()
_VOCAB_CACHE: dict[tuple, Graph] = {}


def vocab_graph(store: Store) -> Graph:
    """Return the DPV purpose and ODRL action hierarchies, cached per vocabulary load."""
    row = {}
    if store.has_graph(META_GRAPH):
        rows = store.query(load_query("governance_vocab_version"), default_graphs=[META_GRAPH],
                           bindings={"dpv": URIRef(DPV_GRAPH), "odrl": URIRef(ODRL_GRAPH)}).rows
        row = rows[0] if rows else {}
    key = tuple(str(row.get(k)) for k in ("dpvModified", "dpvCount", "odrlModified",
                                          "odrlCount"))
    with _VOCAB_LOCK:
        cached = _VOCAB_CACHE.get(key)
    if cached is not None and row:
        return cached
    graphs = [g for g in (DPV_GRAPH, ODRL_GRAPH) if store.has_graph(g)]
    vocab = store.construct(load_query("governance_vocab"), default_graphs=graphs) \
        if graphs else Graph()
    if row:
        with _VOCAB_LOCK:
            if len(_VOCAB_CACHE) > 8:  # a process sees few vocabulary versions
                _VOCAB_CACHE.clear()
            _VOCAB_CACHE[key] = vocab
    return vocab


def plain_words(decision: Decision) -> list[str]:
    """Return the decision as sentences: the outcome, each step, each duty."""
    head = {PERMIT: "Permitted.", DENY: "Denied.",
            NOT_APPLICABLE: "Not applicable: no policy governs this product."}
    lines = [head.get(decision.outcome, decision.outcome)]
    lines += [step.message for step in decision.explanation]
    lines += [f"Duty: {d.duty} ({prefixed_name(d.action or '')}"
              + (f" on {prefixed_name(d.target)}" if d.target else "") + ")."
              for d in decision.duties]
    return lines


def used_purposes(store: Store) -> list[tuple[str, str]]:
    """Return (IRI, label) of the purposes the store's policies constrain by."""
    rows = store.query(load_query("governance_purposes")).rows
    return [(str(r["purpose"]), str(r.get("label") or prefixed_name(str(r["purpose"]))))
            for r in rows]


def _values(var: str, iris: Iterable) -> str:
    """Return a VALUES block binding var to the IRIs, each through the safe serializer."""
    return f"VALUES ?{var} {{ {' '.join(term_to_sparql(URIRef(i)) for i in iris)} }}"


# --------------------------------------------------------------------- checks


@dataclass
class DomainSummary:
    """Counts of one domain in one check run."""

    domain: str
    label: str
    products: int = 0
    passing: int = 0
    violations: int = 0
    warnings: int = 0
    failing_products: list[str] = field(default_factory=list)


@dataclass
class CheckRun:
    """The outcome of `meshkg check`: the report, the rules used, per-domain counts."""

    report: object  # kg.validation.Report
    rules: list[str]
    domains: list[DomainSummary]
    run: str | None = None

    @property
    def conforms(self) -> bool:
        """True when no finding is a Violation."""
        return self.report.conforms

    def to_json(self) -> dict:
        """Return the run as JSON-ready data."""
        return {**self.report.to_json(), "rules": self.rules, "run": self.run,
                "domains": [d.__dict__ for d in self.domains]}


def split_paths(paths: Sequence[str | Path]) -> tuple[list[Path], list[Path]]:
    """Split files and folders into rule files (they hold SHACL shapes) and data files."""
    from kg.loading import expand_paths, parse_file
    rules, data = [], []
    for path in expand_paths(paths):
        parsed = parse_file(path)  # ParseError names the file, line and column
        (rules if _holds_shapes(parsed.quads) else data).append(path)
    return rules, data


_SHAPE_TYPES = {str(SH.NodeShape), str(SH.PropertyShape)}
_SHAPE_PREDICATES = {str(SH.targetClass), str(SH.targetNode), str(SH.targetSubjectsOf),
                     str(SH.targetObjectsOf), str(SH.sparql), str(SH.target)}


def _holds_shapes(quads) -> bool:
    for q in quads:
        p = q.predicate.value
        if p in _SHAPE_PREDICATES or (p == str(RDF.type) and q.object.value in _SHAPE_TYPES):
            return True
    return False


def check_shapes(rule_files: Iterable[Path] = ()) -> Graph:
    """Return meshkg's shapes, the built-in rules and the steward's rule files as one graph."""
    from kg.sparqlsafety import check_query, check_user_text
    from kg.validation import load_shapes
    files = [Path(f) for f in rule_files]
    for f in files:
        if f.suffix.lower() != ".ttl":
            raise UsageError(f"{f}: rule files must be Turtle (.ttl)")
    for f in files:  # one at a time first, so that a refusal names its file
        try:
            load_shapes([f])
        except QueryRefused as exc:
            raise QueryRefused(f"{f}: {exc.message}") from exc
    shapes = load_shapes([BUILTIN_RULES, *files])
    # kg.validation checks sh:select and sh:ask; SHACL-AF rules carry sh:construct.
    for q in shapes.objects(None, SH.construct):
        check_query(str(q), known_graphs=set)
        check_user_text(str(q))
    return shapes


def check_store(store: Store, shapes: Graph, *, rules: Sequence[str] = (),
                record: bool = True, rule_timeout: float = Settings.rule_timeout,
                rule_memory_mb: int = Settings.rule_memory_mb) -> CheckRun:
    """Validate every resource of the store with the shapes; keep findings and a summary.

    The SPARQL-based constraints (the built-in rules and the steward's rule files) run in
    a worker process, each query within `rule_timeout` seconds and the worker within
    `rule_memory_mb` MB (settings of those names): a runaway rule stops the check with
    QueryTimeout or OverBudget (exit 3) instead of taking the machine."""
    from kg.store.sandbox import Evaluator
    with Evaluator(timeout=rule_timeout, memory_mb=rule_memory_mb, what="rule query",
                   settings_names=("rule_timeout", "rule_memory_mb")) as evaluator:
        return _check_store(store, shapes, rules=rules, record=record, evaluator=evaluator)


def _check_store(store: Store, shapes: Graph, *, rules: Sequence[str], record: bool,
                 evaluator) -> CheckRun:
    from kg.validation import (
        Report,
        asserted_graphs,
        describe,
        focus_resources,
        save_report,
        validate_graph,
    )
    graphs = asserted_graphs(store, exclude=[GOVERNANCE_GRAPH])
    todo = focus_resources(store, graphs=graphs)
    report, owner = Report(), {}
    for i in range(0, len(todo), BATCH):
        batch = todo[i:i + BATCH]
        data = describe(store, batch, graphs=graphs)
        query = load_query("governance_context").replace("#VALUES#", _values("focus", batch))
        data += store.construct(query, default_graphs=graphs)
        owner.update(_ownership(data, batch))
        described = {str(s) for s in data.subjects() if isinstance(s, URIRef)}
        part = validate_graph(data, shapes, focus=described | set(batch), evaluator=evaluator)
        report.results += part.results
        report.checked += batch
    save_report(store, report, full=True)
    run = CheckRun(report, list(rules), _summarise(store, report, owner, graphs))
    if record:
        run.run = record_run(store, run)
    return run


def check_files(paths: Sequence[str | Path], shapes: Graph, *,
                rules: Sequence[str] = (), rule_timeout: float = Settings.rule_timeout,
                rule_memory_mb: int = Settings.rule_memory_mb) -> CheckRun:
    """Check RDF files in a temporary in-memory store with the shipped vocabularies."""
    from kg.loading import expand_paths, parse_file
    from kg.sources import ensure_vocabularies, write_parsed
    from kg.store.oxigraph import OxigraphStore
    parsed = [parse_file(p) for p in expand_paths(paths)]
    with OxigraphStore(None) as scratch:
        ensure_vocabularies(scratch)
        write_parsed(scratch, parsed, validate=False, run_inference=False)
        return check_store(scratch, shapes, rules=rules, record=False,
                           rule_timeout=rule_timeout, rule_memory_mb=rule_memory_mb)


def _ownership(data: Graph, focus: Iterable[str]) -> dict[str, str]:
    """Map each node a product owns (ports, datasets, fields, policies) to the product."""
    out = {}
    for product in focus:
        if (URIRef(product), RDF.type, DPROD.DataProduct) not in data:
            continue
        todo, seen = [URIRef(product)], set()
        while todo:
            node = todo.pop()
            if node in seen:
                continue
            seen.add(node)
            out.setdefault(str(node), product)
            for p in _OWNED:
                todo.extend(o for o in data.objects(node, p) if isinstance(o, URIRef))
    return out


def _summarise(store: Store, report, owner: dict[str, str],
               graphs: list[str]) -> list[DomainSummary]:
    rows = store.query(load_query("governance_domains"), default_graphs=graphs).rows
    summaries: dict[str, DomainSummary] = {}
    # a product with two domains (its own and an import's placeholder) counts in both
    domain_of: dict[str, list[DomainSummary]] = {}
    for r in rows:
        domain = str(r.get("domain") or NO_DOMAIN)
        label = str(r.get("label")
                    or ("(no domain)" if domain == NO_DOMAIN else local_name(domain)))
        s = summaries.setdefault(domain, DomainSummary(domain, label))
        s.products += 1
        domain_of.setdefault(str(r["product"]), []).append(s)
    failing: dict[str, set[str]] = {}
    for f in report.results:
        product = owner.get(f.focus)
        for s in domain_of.get(product, ()) if product else ():
            if f.severity == "Violation":
                s.violations += 1
                failing.setdefault(s.domain, set()).add(product)
            elif f.severity == "Warning":
                s.warnings += 1
    for s in summaries.values():
        s.failing_products = sorted(failing.get(s.domain, ()))
        s.passing = s.products - len(s.failing_products)
    return sorted(summaries.values(), key=lambda s: (s.domain == NO_DOMAIN, s.label.lower()))


def record_run(store: Store, run: CheckRun) -> str:
    """Add one prov:Activity with per-domain counts to the governance graph; return its IRI."""
    import pyoxigraph as ox
    g = ox.NamedNode(GOVERNANCE_GRAPH)
    iri = RUN_PREFIX + uuid.uuid4().hex
    now = datetime.now(UTC).isoformat(timespec="seconds")
    quads = []

    def add(s: str, p: str, o) -> None:
        quads.append(ox.Quad(ox.NamedNode(s), ox.NamedNode(p), o, g))

    def count(n: int):
        return ox.Literal(str(n), datatype=ox.NamedNode(_XSD + "integer"))

    add(iri, str(RDF.type), ox.NamedNode(_PROV + "Activity"))
    add(iri, str(RDF.type), ox.NamedNode(str(MESH.GovernanceCheck)))
    add(iri, _PROV + "endedAtTime", ox.Literal(now, datatype=ox.NamedNode(_XSD + "dateTime")))
    add(iri, str(MESH.violationCount), count(run.report.count("Violation")))
    add(iri, str(MESH.warningCount), count(run.report.count("Warning")))
    for rule in run.rules:
        add(iri, _PROV + "used", ox.NamedNode(Path(rule).resolve().as_uri()))
    for n, s in enumerate(run.domains):
        node = f"{iri}/domain/{n}"
        add(iri, str(MESH.domainResult), ox.NamedNode(node))
        add(node, str(MESH.domain), ox.NamedNode(s.domain))
        add(node, "http://www.w3.org/2000/01/rdf-schema#label", ox.Literal(s.label))
        for p, v in ((MESH.productCount, s.products), (MESH.passingCount, s.passing),
                     (MESH.violationCount, s.violations), (MESH.warningCount, s.warnings)):
            add(node, str(p), count(v))
    store.write_quads({}, add=quads)
    return iri


# ------------------------------------------------------------------ dashboard


@dataclass
class DomainTrend:
    """One domain on the dashboard: its latest counts and its history, oldest first."""

    domain: str
    label: str
    latest: DomainSummary
    history: list[DomainSummary]
    checked_at: list[str]
    #: (product, violations, warnings) of products with stored findings, worst first
    with_findings: list[tuple[str, int, int]] = field(default_factory=list)

    @property
    def slug(self) -> str:
        """Return the short name the domain page is reached by."""
        return local_name(self.domain)


@dataclass
class Dashboard:
    """What /governance shows: per-domain counts and trends, and the last run's time."""

    domains: list[DomainTrend]
    last_run: str | None
    runs: int


def dashboard(store: Store, *, runs: int = 30) -> Dashboard:
    """Return per-domain counts of the latest check and their trend over the last runs."""
    if not store.has_graph(GOVERNANCE_GRAPH):
        return Dashboard([], None, 0)
    rows = store.query(load_query("governance_runs"), default_graphs=[GOVERNANCE_GRAPH]).rows
    order: list[str] = []
    ended: dict[str, str] = {}
    by_run: dict[str, dict[str, DomainSummary]] = {}
    for r in rows:
        run = str(r["run"])
        if run not in by_run:
            if len(order) == runs:
                continue
            order.append(run)
            ended[run] = str(r["ended"])
            by_run[run] = {}
        domain = str(r["domain"])
        by_run[run][domain] = DomainSummary(
            domain, str(r.get("label") or local_name(domain)), int(r["products"]),
            int(r["passing"]), int(r["violations"]), int(r["warnings"]))
    if not order:
        return Dashboard([], None, 0)
    order.reverse()  # oldest first, as a trend reads
    latest = by_run[order[-1]]
    findings = _products_with_findings(store)
    domains = []
    for domain, summary in latest.items():
        history = [by_run[run][domain] for run in order if domain in by_run[run]]
        times = [ended[run] for run in order if domain in by_run[run]]
        domains.append(DomainTrend(domain, summary.label, summary, history, times,
                                   findings.get(domain, [])))
    domains.sort(key=lambda d: (d.domain == NO_DOMAIN, d.label.lower()))
    return Dashboard(domains, ended[order[-1]], len(order))


def _product_domains(store: Store) -> dict[str, str]:
    from kg.validation import asserted_graphs
    graphs = asserted_graphs(store, exclude=[GOVERNANCE_GRAPH])
    rows = store.query(load_query("governance_domains"), default_graphs=graphs).rows
    return {str(r["product"]): str(r.get("domain") or NO_DOMAIN) for r in rows}


def _products_with_findings(store: Store) -> dict[str, list[tuple[str, int, int]]]:
    """Return, per domain, the products whose stored status has violations or warnings."""
    from kg.validation import product_status
    status = product_status(store)
    out: dict[str, list[tuple[str, int, int]]] = {}
    for product, domain in _product_domains(store).items():
        st = status.get(product)
        if st and (st["violations"] or st["warnings"]):
            out.setdefault(domain, []).append((product, st["violations"], st["warnings"]))
    for items in out.values():
        items.sort(key=lambda t: (-t[1], -t[2], t[0]))
    return out


def kept_findings(store: Store) -> list[tuple[str, list[tuple[str, int, int]]]]:
    """Before any `meshkg check`: per domain (sorted, no domain last), the products whose
    findings the gate kept on their last load, import or edit, with their counts."""
    found = _products_with_findings(store)
    return sorted(found.items(), key=lambda kv: (kv[0] == NO_DOMAIN, kv[0]))


def domain_products(store: Store, domain: str) -> list[tuple[str, dict | None]]:
    """Return the products of a domain with their last stored validation status."""
    from kg.validation import product_status
    status = product_status(store)
    products = sorted(p for p, d in _product_domains(store).items() if d == domain)
    return [(p, status.get(p)) for p in products]


def sparkline(values: Sequence[int], *, width: int = 120, height: int = 24) -> str:
    """Return an inline SVG polyline of the values (numbers only, no markup from data)."""
    if not values:
        return ""
    top = max(max(values), 1)
    step = width / max(len(values) - 1, 1)
    points = " ".join(f"{i * step:.1f},{height - 2 - (v / top) * (height - 4):.1f}"
                      for i, v in enumerate(values))
    return (f'<svg class="sparkline" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-hidden="true">'
            f'<polyline fill="none" stroke="currentColor" stroke-width="1.5" '
            f'points="{points}"/></svg>')


__all__ = ["BUILTIN_RULES", "GOVERNANCE_GRAPH", "MAY_EXIT", "CheckRun", "Dashboard",
           "MayRequest", "check_files", "check_shapes", "check_store",
           "dashboard", "decision_graph", "domain_products", "expand_iri", "may",
           "parse_at", "plain_words", "record_run", "sparkline", "split_paths",
           "used_purposes", "vocab_graph"]
