"""What every importer produces: products, datasets and fields with suggestions,
turned into RDF in the meshkg model (DPROD, DCAT, SKOS, PROV, DPV).

A draft must pass the SHACL gate. Where the source does not name an owner, a
domain or a subject concept, the product gets an explicit placeholder (typed as
the shapes demand and marked `mesh:isPlaceholder true`) that a steward replaces;
every placeholder used is listed as a finding in the import report.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, PROV, RDF, RDFS, SKOS, XSD

from kg.namespaces import DPROD, DPV, MESH, PREFIXES

PLACEHOLDER = "urn:meshkg:placeholder:"
DCAT_VERSION = URIRef("http://www.w3.org/ns/dcat#version")  # DCAT 3; not in rdflib's DCAT
PLACEHOLDER_OWNER = URIRef(PLACEHOLDER + "owner")
PLACEHOLDER_DOMAIN = URIRef(PLACEHOLDER + "domain")
PLACEHOLDER_CONCEPT = URIRef(PLACEHOLDER + "concept")
PLACEHOLDER_SCHEME = URIRef(PLACEHOLDER + "scheme")

#: concept suggestions at or above this confidence are also asserted as mesh:meansConcept
ASSERT_CONFIDENCE = 0.75

STATUS = {"draft": MESH.Draft, "proposed": MESH.Draft, "development": MESH.Draft,
          "active": MESH.Active, "production": MESH.Active, "released": MESH.Active,
          "deprecated": MESH.Deprecated, "retired": MESH.Retired}


@dataclass
class Suggestion:
    """A guess about a field (a concept or a DPV personal-data category), with its reason."""

    kind: str  # "concept" or "personal-data"
    target: str
    label: str
    confidence: float
    evidence: str


@dataclass
class FieldSpec:
    """One column: name, datatype, meaning and what we guessed about it."""

    name: str
    datatype: str | None = None
    description: str | None = None
    concept: str | None = None
    personal_data: list[str] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)


@dataclass
class DatasetSpec:
    """One published table or topic of a product, with its fields."""

    key: str
    label: str
    description: str | None = None
    fields: list[FieldSpec] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    endpoint: str | None = None
    fmt: str | None = None
    rows: int | None = None


@dataclass
class ProductSpec:
    """One data product as an importer understood its source."""

    key: str
    label: str
    description: str | None = None
    purpose: str | None = None
    owner: str | None = None  # a name, mapped to a prov:Agent
    owner_email: str | None = None
    domain: str | None = None  # a name, matched against the store's domains
    status: str | None = None  # as the source says it; kept as text
    version: str | None = None
    identifier: str | None = None
    keywords: list[str] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)
    datasets: list[DatasetSpec] = field(default_factory=list)
    derived_from: list[str] = field(default_factory=list)  # keys of other specs, or IRIs
    notes: list[str] = field(default_factory=list)
    input_ports: list[str] = field(default_factory=list)  # names, kept as text


def slug(text: str) -> str:
    """Return a lowercase IRI-safe slug of a name."""
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1-\2", text)
    out = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "unnamed"
    if len(out) > 60:  # keep IRIs short, and distinct names distinct
        import hashlib
        out = out[:50].rstrip("-") + "-" + hashlib.sha1(out.encode()).hexdigest()[:8]
    return out


def import_graph(kind: str, name: str) -> str:
    """Return the named graph an import of `kind` called `name` lands in."""
    return f"urn:meshkg:graph:import:{kind}:{slug(name)}"


@dataclass
class Builder:
    """Turn specs into one rdflib graph; record which placeholders were needed."""

    base: str
    domains: dict[str, URIRef] = field(default_factory=dict)  # lower label -> IRI in store
    graph: Graph = field(default_factory=Graph)
    placeholders: dict[str, list[str]] = field(default_factory=dict)
    stubs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    products: dict[str, URIRef] = field(default_factory=dict)
    activity: URIRef | None = None
    #: the IRI prefix of what does not depend on the source file (a dataset's output port)
    shared: str = ""
    #: the graphs this import replaces (its sources are read from the store without them)
    own: set[str] = field(default_factory=set)
    #: further graphs of what meshkg adds, by name (one per imported product)
    graphs: dict[str, Graph] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for p, iri in PREFIXES.items():
            self.graph.bind(p, iri)

    @property
    def findings(self) -> list[str]:
        """What a steward must review: placeholders, stub descriptions, new domains."""
        out = [f"placeholder {what} (urn:meshkg:placeholder:{what}) set on {len(ps)} "
               f"product(s) whose source names no {what}: {_few(ps)}"
               for what, ps in sorted(self.placeholders.items())]
        if self.stubs:
            out.append(f"stub description written for {len(self.stubs)} product(s): "
                       f"{_few(self.stubs)}")
        return out + self.notes

    def iri(self, kind: str, *keys: str) -> URIRef:
        """Mint the IRI of an imported resource from the slugs of its keys."""
        return URIRef(f"{self.base}{kind}/{'/'.join(slug(k) for k in keys)}")

    def add_products(self, specs: list[ProductSpec]) -> Graph:
        """Add every product; lineage between them resolves by key."""
        for spec in specs:
            self.products[spec.key] = self.iri("product", spec.key)
        for spec in specs:
            self._product(spec)
        return self.graph

    def _placeholder(self, what: str, product: URIRef) -> URIRef:
        g = self.graph
        self.placeholders.setdefault(what, []).append(str(product))
        if what == "owner":
            g.add((PLACEHOLDER_OWNER, RDF.type, PROV.Agent))
            g.add((PLACEHOLDER_OWNER, RDFS.label, Literal("Unassigned owner (placeholder)",
                                                          lang="en")))
            node = PLACEHOLDER_OWNER
        elif what == "domain":
            g.add((PLACEHOLDER_DOMAIN, RDF.type, MESH.DataDomain))
            g.add((PLACEHOLDER_DOMAIN, RDFS.label, Literal("Unassigned domain (placeholder)",
                                                           lang="en")))
            g.add((PLACEHOLDER_DOMAIN, DCTERMS.description, Literal(
                "Imported drafts whose source named no domain wait here until a steward "
                "assigns one.", lang="en")))
            node = PLACEHOLDER_DOMAIN
        else:
            g.add((PLACEHOLDER_SCHEME, RDF.type, SKOS.ConceptScheme))
            g.add((PLACEHOLDER_SCHEME, SKOS.prefLabel, Literal("Placeholders", lang="en")))
            g.add((PLACEHOLDER_CONCEPT, RDF.type, SKOS.Concept))
            g.add((PLACEHOLDER_CONCEPT, SKOS.prefLabel, Literal("Unclassified (placeholder)",
                                                                lang="en")))
            g.add((PLACEHOLDER_CONCEPT, SKOS.inScheme, PLACEHOLDER_SCHEME))
            g.add((PLACEHOLDER_SCHEME, MESH.isPlaceholder, Literal(True)))
            node = PLACEHOLDER_CONCEPT
        g.add((node, MESH.isPlaceholder, Literal(True)))
        return node

    def _product(self, spec: ProductSpec) -> None:
        g = self.graph
        p = self.products[spec.key]
        g.add((p, RDF.type, DPROD.DataProduct))
        g.add((p, RDFS.label, Literal(spec.label)))
        g.add((p, DCTERMS.description, Literal(
            spec.description or f"Draft imported from {spec.key}; the source gave no "
                                "description.")))
        if not spec.description:
            self.stubs.append(str(p))
        if spec.purpose:
            g.add((p, DPROD.purpose, Literal(spec.purpose)))
        g.add((p, DPROD.lifecycleStatus, MESH.Draft))
        if spec.status:
            g.add((p, MESH.sourceStatus, Literal(spec.status)))
        g.add((p, DPROD.dataProductOwner, self._owner(spec, p)))
        g.add((p, DPROD.domain, self._domain(spec, p)))
        if spec.version:
            g.add((p, DCAT_VERSION, Literal(str(spec.version))))
        if spec.identifier:
            g.add((p, DCTERMS.identifier, Literal(str(spec.identifier))))
        for kw in spec.keywords:
            g.add((p, DCAT.keyword, Literal(str(kw))))
        for note in spec.notes + [f"input port: {n}" for n in spec.input_ports]:
            g.add((p, RDFS.comment, Literal(note)))
        for up in spec.derived_from:
            target = self.products.get(up) or (URIRef(up) if ":" in up else None)
            if target is not None:
                g.add((p, PROV.wasDerivedFrom, target))
        subjects = [URIRef(s) for s in spec.subjects]
        for ds in spec.datasets:
            self._dataset(ds, p, spec, subjects)
        if not subjects:
            subjects = [self._placeholder("concept", p)]
        for s in dict.fromkeys(subjects):
            g.add((p, DCTERMS.subject, s))
        if self.activity is not None:
            g.add((p, PROV.wasGeneratedBy, self.activity))

    def _owner(self, spec: ProductSpec, p: URIRef) -> URIRef:
        if not spec.owner:
            return self._placeholder("owner", p)
        a = self.iri("agent", spec.owner)
        self.graph.add((a, RDF.type, PROV.Agent))
        self.graph.add((a, RDFS.label, Literal(spec.owner)))
        if spec.owner_email:
            self.graph.add((a, URIRef("http://xmlns.com/foaf/0.1/mbox"),
                            URIRef("mailto:" + spec.owner_email)))
        return a

    def _domain(self, spec: ProductSpec, p: URIRef) -> URIRef:
        if not spec.domain:
            return self._placeholder("domain", p)
        known = self.domains.get(spec.domain.strip().lower())
        if known is not None:
            return known
        d = self.iri("domain", spec.domain)
        self.graph.add((d, RDF.type, MESH.DataDomain))
        self.graph.add((d, RDFS.label, Literal(spec.domain)))
        self.notes.append(f"domain {spec.domain!r} is not in the store yet; created <{d}>")
        return d

    def _dataset(self, ds: DatasetSpec, p: URIRef, spec: ProductSpec,
                 subjects: list[URIRef]) -> None:
        g = self.graph
        d, svc = self.iri("dataset", spec.key, ds.key), self.iri("service", spec.key, ds.key)
        g.add((p, DPROD.outputPort, svc))
        g.add((svc, RDF.type, DCAT.DataService))
        g.add((svc, RDFS.label, Literal(f"{ds.label} – output port")))
        g.add((svc, DCAT.servesDataset, d))
        if ds.endpoint:
            g.add((svc, DCAT.endpointURL, URIRef(ds.endpoint)))
        g.add((d, RDF.type, DCAT.Dataset))
        g.add((d, RDFS.label, Literal(ds.label)))
        if ds.description:
            g.add((d, DCTERMS.description, Literal(ds.description)))
        if ds.rows is not None:
            g.add((d, MESH.profiledRows, Literal(ds.rows)))
        for note in ds.notes:
            g.add((d, RDFS.comment, Literal(note)))
        for i, f in enumerate(ds.fields):
            fi = self.iri("field", spec.key, ds.key, f.name)
            g.add((d, MESH.hasField, fi))
            g.add((fi, RDF.type, MESH.Field))
            g.add((fi, RDFS.label, Literal(f.name)))
            g.add((fi, MESH.position, Literal(i + 1)))
            if f.datatype:
                g.add((fi, MESH.datatype, URIRef(f.datatype)))
            if f.description:
                g.add((fi, DCTERMS.description, Literal(f.description)))
            for note in f.notes:
                g.add((fi, RDFS.comment, Literal(note)))
            for ex in f.examples[:5]:
                g.add((fi, MESH.exampleValue, Literal(ex)))
            concept = f.concept
            if concept is None:
                best = [s for s in f.suggestions if s.kind == "concept"
                        and s.confidence >= ASSERT_CONFIDENCE]
                if best:
                    concept = max(best, key=lambda s: s.confidence).target
            if concept:
                g.add((fi, MESH.meansConcept, URIRef(concept)))
                subjects.append(URIRef(concept))
            for pd in f.personal_data:
                g.add((fi, DPV.hasPersonalData, URIRef(pd)))
            for s in f.suggestions:
                self._suggestion(fi, s)

    def _suggestion(self, subject: URIRef, s: Suggestion) -> None:
        """Record a suggestion as a reified, evidenced mesh:Suggestion (never a fact)."""
        g = self.graph
        node = BNode()
        prop = MESH.suggestedConcept if s.kind == "concept" else MESH.suggestedPersonalData
        g.add((subject, prop, URIRef(s.target)))
        g.add((subject, MESH.suggestion, node))
        g.add((node, RDF.type, MESH.Suggestion))
        g.add((node, MESH.suggests, URIRef(s.target)))
        g.add((node, MESH.suggestionKind, Literal(s.kind)))
        g.add((node, MESH.confidence, Literal(round(s.confidence, 2), datatype=XSD.decimal)))
        g.add((node, MESH.evidence, Literal(s.evidence)))
        if self.activity is not None:
            g.add((node, PROV.wasGeneratedBy, self.activity))

    def add_activity(self, label: str, used: list[str]) -> URIRef:
        """Describe the import run as a prov:Activity the products and suggestions cite."""
        act = URIRef(self.base + "activity")
        self.graph.add((act, RDF.type, PROV.Activity))
        self.graph.add((act, RDFS.label, Literal(label)))
        self.graph.add((act, PROV.startedAtTime, Literal(
            datetime.now(UTC).replace(microsecond=0), datatype=XSD.dateTime)))
        for u in used:
            self.graph.add((act, PROV.used, Literal(u)))
        self.activity = act
        return act


def _few(items: list[str], n: int = 3) -> str:
    head = ", ".join(f"<{i}>" for i in items[:n])
    return head + (f" and {len(items) - n} more" if len(items) > n else "")
