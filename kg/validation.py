"""SHACL validation of the asserted data, whole or per changed resource.

Shapes run on asserted data only (no inference: range entailments would make
bad links look valid). For each focus resource meshkg pulls its description
and the context its shapes need (types with the class hierarchy, schemes,
labels, broader chains) from the store, validates that small graph, and keeps
the findings in the validation graph so pages and `stats` can show them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH, XSD

from kg import resources
from kg.config import SHACL_ENGINES, Settings
from kg.errors import ParseError, UsageError
from kg.namespaces import (
    DPROD,
    DPROD_OLD,
    GRAPH_PREFIX,
    INFERRED_PREFIX,
    MESH,
    META_GRAPH,
    VOCAB_GRAPH_PREFIX,
)
from kg.queries import load_query
from kg.store.base import Store, term_to_sparql

log = logging.getLogger(__name__)

SHAPES_FILE = resources.shapes_file()
DPROD_SHAPES_FILE = Path(__file__).parent / "vocab" / "dprod-shapes.ttl"
VALIDATION_GRAPH = GRAPH_PREFIX + "validation"
BATCH = 400
_SEVERITY = {SH.Violation: "Violation", SH.Warning: "Warning", SH.Info: "Info"}
_ENGINE_LOCK = threading.Lock()
RDFS_SUBCLASS = RDFS.subClassOf


@dataclass
class Finding:
    """One validation result, as a steward reads it."""

    severity: str
    focus: str
    path: str | None
    shape: str | None
    message: str
    value: str | None = None
    constraint: str | None = None
    #: set by the gate: this Violation refuses the write (kg.validation.GatePolicy)
    refuses: bool = False

    def to_dict(self) -> dict:
        """Return the finding as a plain dict."""
        return {k: v for k, v in self.__dict__.items()}


@dataclass
class Report:
    """The outcome of validating some focus resources."""

    results: list[Finding] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    @property
    def conforms(self) -> bool:
        """True when no result is a Violation."""
        return not any(f.severity == "Violation" for f in self.results)

    def count(self, severity: str) -> int:
        """Count the findings of one severity."""
        return sum(1 for f in self.results if f.severity == severity)

    def for_focus(self, focus: str) -> list[Finding]:
        """Return the findings about one resource."""
        return [f for f in self.results if f.focus == focus]

    def to_json(self) -> dict:
        """Return the report as JSON-ready data."""
        return {"conforms": self.conforms, "checked": len(self.checked),
                "violations": self.count("Violation"), "warnings": self.count("Warning"),
                "infos": self.count("Info"), "results": [f.to_dict() for f in self.results]}

    def to_graph(self) -> Graph:
        """Return a standard sh:ValidationReport graph."""
        g = Graph()
        g.bind("sh", SH)
        report = BNode()
        g.add((report, RDF.type, SH.ValidationReport))
        g.add((report, SH.conforms, Literal(self.conforms)))
        for f in self.results:
            r = BNode()
            g.add((report, SH.result, r))
            g.add((r, RDF.type, SH.ValidationResult))
            g.add((r, SH.resultSeverity, SH[f.severity]))
            g.add((r, SH.focusNode, _node(f.focus)))
            g.add((r, SH.resultMessage, Literal(f.message)))
            if f.path:
                g.add((r, SH.resultPath, URIRef(f.path)))
            if f.shape:
                g.add((r, SH.sourceShape, _node(f.shape)))
            if f.constraint:
                g.add((r, SH.sourceConstraintComponent, URIRef(f.constraint)))
            if f.value is not None:
                g.add((r, SH.value, Literal(f.value)))
        return g

    def refusing(self) -> list[Finding]:
        """Return the findings the gate marked as refusing the write."""
        return [f for f in self.results if f.refuses]

    def to_text(self, *, per_shape: int | None = 10) -> str:
        """Return a readable table: severity, focus node, path, shape, message.

        At most `per_shape` findings of one shape and severity are written out (None: all);
        the rest are counted, so that a 2,000-concept vocabulary with one recurring
        finding reads in a screen, not in 9,000 lines."""
        if not self.results:
            return f"Conforms: {len(self.checked)} resources checked, no findings.\n"
        lines = []
        shown: dict[tuple, int] = {}
        for f in sorted(self.results, key=_order):
            key = (f.severity, f.shape, f.refuses)
            shown[key] = shown.get(key, 0) + 1
            if per_shape is not None and shown[key] > per_shape:
                continue
            head = f"{f.severity} (refuses)" if f.refuses else f.severity
            lines.append(f"{head:<9} {f.focus}\n          path:  {f.path or '-'}\n"
                         f"          shape: {f.shape or '-'}\n          {f.message}"
                         + (f"\n          value: {f.value}" if f.value else ""))
        for (sev, shape, _), n in sorted(shown.items(), key=lambda kv: str(kv[0])):
            if per_shape is not None and n > per_shape:
                lines.append(f"… and {n - per_shape} more {sev} finding(s) of shape "
                             f"{shape or '-'} (`meshkg validate --format json` lists all)")
        summary = (f"{'Conforms' if self.conforms else 'Does not conform'}: "
                   f"{self.count('Violation')} violations, {self.count('Warning')} warnings, "
                   f"{self.count('Info')} infos in {len(self.checked)} resources checked.")
        if any(f.refuses for f in self.results):
            summary += f" {len(self.refusing())} violation(s) refuse the write."
        return "\n".join(lines) + "\n" + summary + "\n"


#: what the gate refuses (setting `gate`): "strict", every Violation; "governance", the
#: Violations of shapes marked `mesh:refusesWrite true` (or those the `refuse` setting names)
GATE_MODES = ("strict", "governance")


@dataclass(frozen=True)
class GatePolicy:
    """Which Violations refuse a write (settings `gate` and `refuse`)."""

    mode: str = "governance"
    refuse: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, settings) -> GatePolicy:
        """The policy the settings name."""
        return cls(mode=settings.gate, refuse=tuple(settings.refuse))

    def mark(self, report: Report, shapes: Graph) -> list[Finding]:
        """Mark and return the findings of `report` that refuse the write."""
        if self.mode == "strict":
            chosen = None
        elif self.refuse:
            chosen = {_shape_iri(name) for name in self.refuse}
        else:
            chosen = refusing_shapes(shapes)
        for f in report.results:
            f.refuses = f.severity == "Violation" and (chosen is None or f.shape in chosen)
        return report.refusing()


def _shape_iri(name: str) -> str:
    """A shape named in the `refuse` setting: an IRI, `mesh:Local` or a local name."""
    if name.startswith(("http://", "https://", "urn:")):
        return name
    return str(MESH) + name.removeprefix("mesh:")


def refusing_shapes(shapes: Graph) -> set[str]:
    """The shapes marked `mesh:refusesWrite true`."""
    return {str(s) for s in shapes.subjects(MESH.refusesWrite, Literal(True))}


@lru_cache(maxsize=1)
def vocabulary_hierarchy() -> bytes:
    """The rdfs:subClassOf links between named classes of the shipped vocabularies and
    meshkg's ontology, as N-Triples, added to every data graph validation runs on (the
    gate's and `meshkg validate`'s alike): with them sh:class and sh:targetClass follow
    the standards' own class hierarchy (an odrl:Set is an odrl:Policy)."""
    import pyoxigraph as ox
    sub = str(RDFS_SUBCLASS)
    paths = [resources.VOCAB_DIR / n for n in resources.VOCABULARIES] + [
        resources.ontology_file()]
    lines = set()
    for path in paths:
        if not path.is_file():
            continue
        data = _rewrite_dprod(path.read_text(encoding="utf-8")).encode()
        for t in ox.parse(data, format=ox.RdfFormat.TURTLE):
            if (t.predicate.value == sub and isinstance(t.subject, ox.NamedNode)
                    and isinstance(t.object, ox.NamedNode)):
                lines.add(f"<{t.subject.value}> <{sub}> <{t.object.value}> .")
    return ("\n".join(sorted(lines)) + "\n").encode()


def _order(f: Finding):
    return ({"Violation": 0, "Warning": 1, "Info": 2}.get(f.severity, 3), f.focus, f.path or "")


def _node(text: str):
    return BNode(text[2:]) if text.startswith("_:") else URIRef(text)


def _rewrite_dprod(data: str) -> str:
    return data.replace(DPROD_OLD, str(DPROD))


@lru_cache(maxsize=16)
def _shapes_cached(paths: tuple[str, ...]) -> str:
    g = Graph()
    for p in paths:
        try:
            text = Path(p).read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise UsageError(f"no such shapes file: {p}") from exc
        try:
            g.parse(data=_rewrite_dprod(text), format="turtle")
        except Exception as exc:  # rdflib raises many types for bad Turtle
            raise ParseError(f"shapes do not parse: {exc}", source=p) from exc
    _refuse_unsafe_shapes(g, paths)
    return g.serialize(format="nt")


def _refuse_unsafe_shapes(g: Graph, paths) -> None:
    from kg.sparqlsafety import check_query
    for q in g.objects(None, SH.select):
        check_query(str(q), known_graphs=set)
    for q in g.objects(None, SH.ask):
        check_query(str(q), known_graphs=set)


def load_shapes(extra: Sequence[str | Path] = (), *, dprod: bool = False) -> Graph:
    """Return the shapes graph: meshkg's shapes, DPROD's if asked, and extra rule files."""
    paths = [str(SHAPES_FILE)]
    if dprod:
        paths.append(str(DPROD_SHAPES_FILE))
    paths += [str(p) for p in extra]
    g = Graph()
    g.parse(data=_shapes_cached(tuple(paths)), format="nt")
    return g


# -- the engine ---------------------------------------------------------------

def validate_graph(data: Graph, shapes: Graph | None = None, *,
                   focus: Iterable[str] | None = None,
                   engine: str = Settings.shacl_engine, evaluator=None) -> Report:
    """Validate an rdflib graph (never modified) against shapes; keep only `focus` results.

    `engine` is `settings.shacl_engine` (kg.config.SHACL_ENGINES); with `evaluator` (a
    kg.store.sandbox.Evaluator) the SPARQL-based constraints run in it, within its
    budgets (shapes from outside the code: a steward's rule files)."""
    shapes = shapes if shapes is not None else load_shapes()
    results = run_engine(data.serialize(format="nt", encoding="utf-8"), shapes,
                         engine=engine, evaluator=evaluator)
    keep = None if focus is None else set(focus)
    report = Report(results=[f for f in results if keep is None or f.focus in keep])
    report.checked = sorted(keep) if keep is not None else sorted(
        {f.focus for f in results})
    return report


def run_engine(ntriples: bytes, shapes: Graph, *, store: Store | None = None,
               default_graphs: list[str] | None = None,
               engine: str = Settings.shacl_engine, evaluator=None) -> list[Finding]:
    """Validate N-Triples against shapes: the SHACL `engine` (`settings.shacl_engine`) for
    core constraints, and the SPARQL-based ones as one query each (kg.shaclsparql) over
    `store` when given (which must hold the same data in `default_graphs`), else over an
    in-memory copy."""
    from kg import shaclsparql
    ntriples = ntriples + vocabulary_hierarchy()
    # pySHACL mutates a shapes graph while validating (pySHACL issue 314): split() and the
    # copy below give each run its own shapes graph
    core, constraints = shaclsparql.split(shapes)
    if core is shapes:
        core = Graph()
        for t in shapes:
            core.add(t)
    validate = _engine(engine)
    if validate.__module__.startswith("pyshacl_turbo"):
        # pyshacl-turbo reads a pyoxigraph store natively; text would go through rdflib
        import pyoxigraph as ox
        data = ox.Store()
        data.load(ntriples, format=ox.RdfFormat.N_TRIPLES)
    else:
        data = Graph()
        data.parse(data=ntriples, format="nt")
    with _ENGINE_LOCK:
        conforms, report_graph, _ = validate(
            data, shacl_graph=core, inference="none", advanced=True,
            allow_warnings=True, allow_infos=True, do_owl_imports=False)
    found = _findings(report_graph)
    if constraints and evaluator is not None:
        found += [Finding(**r) for r in shaclsparql.run(
            None, constraints, answer=lambda q: evaluator.query(ntriples, q, graph=_SCRATCH))]
    elif constraints:
        if store is None:
            from kg.store.oxigraph import OxigraphStore
            store = OxigraphStore()
            store.raw.load(ntriples, format=_ox_nt(), to_graph=_ox_named(_SCRATCH))
            default_graphs = [_SCRATCH]
        found += [Finding(**r) for r in shaclsparql.run(store, constraints,
                                                        default_graphs=default_graphs)]
    return found


_SCRATCH = "urn:meshkg:graph:validation-scratch"


def _ox_nt():
    import pyoxigraph as ox
    return ox.RdfFormat.N_TRIPLES


def _ox_named(iri: str):
    import pyoxigraph as ox
    return ox.NamedNode(iri)


def _engine(choice: str):
    """Return the validate function of the named engine (kg.config.SHACL_ENGINES)."""
    if choice not in SHACL_ENGINES:
        raise UsageError(f"unknown SHACL engine {choice!r}; one of {', '.join(SHACL_ENGINES)}")
    if choice == "turbo":
        try:
            import pyshacl_turbo
            return pyshacl_turbo.validate
        except ImportError:
            log.info("pyshacl-turbo not installed; using pyshacl")
    import pyshacl
    return pyshacl.validate


def _findings(report: Graph) -> list[Finding]:
    out = []
    for r in report.subjects(RDF.type, SH.ValidationResult):
        sev = report.value(r, SH.resultSeverity)
        focus = report.value(r, SH.focusNode)
        path = report.value(r, SH.resultPath)
        shape = report.value(r, SH.sourceShape)
        msg = report.value(r, SH.resultMessage)
        value = report.value(r, SH.value)
        comp = report.value(r, SH.sourceConstraintComponent)
        out.append(Finding(
            severity=_SEVERITY.get(sev, str(sev)),
            focus=_text(focus),
            path=_path_text(report, path),
            shape=_text(shape) if shape is not None else None,
            message=str(msg) if msg is not None else _default_message(comp),
            value=None if value is None else str(value),
            constraint=None if comp is None else str(comp)))
    return out


def _path_text(report: Graph, path) -> str | None:
    """A result's path as a steward reads it: the property, or for a path of standard
    synonyms (sh:alternativePath) its first, meshkg's own choice."""
    if path is None or isinstance(path, URIRef):
        return None if path is None else str(path)
    alternatives = report.value(path, SH.alternativePath)
    if alternatives is not None:
        first = report.value(alternatives, RDF.first)
        if isinstance(first, URIRef):
            return str(first)
    return "(complex path)"


def _text(t) -> str:
    return f"_:{t}" if isinstance(t, BNode) else str(t)


def _default_message(comp) -> str:
    return f"fails {str(comp).rsplit('#', 1)[-1]}" if comp else "fails a constraint"


# -- pulling views from a store --------------------------------------------------

def asserted_graphs(store: Store, *, exclude: Iterable[str] = ()) -> list[str]:
    """Return the graphs holding asserted data (not inferred, meta or validation)."""
    skip = set(exclude)
    return [g for g in store.graph_names()
            if g not in skip and not g.startswith(INFERRED_PREFIX)
            and g not in (META_GRAPH, VALIDATION_GRAPH)]


def _values(var: str, iris: Iterable[str]) -> str:
    body = " ".join(term_to_sparql(URIRef(i)) for i in iris)
    return f"VALUES ?{var} {{ {body} }}"


def describe(store: Store, focus: Sequence[str], *, graphs: list[str] | None = None) -> Graph:
    """Pull the description of focus resources plus the context shapes need."""
    return describe_with_subjects(store, focus, graphs=graphs)[0]


def _graph_filter(store: Store, graphs: list[str] | None) -> str:
    """A FILTER expression on ?g admitting the asserted graphs (or just `graphs`)."""
    if graphs is None:
        graphs = asserted_graphs(store)
    excluded = [g for g in store.graph_names() if g not in set(graphs)]
    if not excluded:
        return "true"
    return "?g NOT IN (" + ", ".join(term_to_sparql(URIRef(g)) for g in excluded) + ")"


def describe_with_subjects(store: Store, focus: Sequence[str], *,
                           graphs: list[str] | None = None) -> tuple[Graph, set[str]]:
    """Pull descriptions plus context; also return the nodes described (not mere context)."""
    gfilter = _graph_filter(store, graphs)
    values = _values("focus", focus)
    g = Graph()
    for name in ("validation_describe", "validation_relation_uses"):
        q = load_query(name).replace("#VALUES#", values).replace("#GRAPHFILTER#", gfilter)
        for t in store.query(q).triples:
            g.add(t)
    described = {_text(s) for s in g.subjects()}
    objects = {str(o) for o in g.objects() if isinstance(o, URIRef)}
    for t in context_for(store, sorted(objects | set(focus)), graphs=graphs, _filter=gfilter):
        g.add(t)
    return g, described


def context_for(store: Store, iris: Sequence[str], *, graphs: list[str] | None = None,
                _filter: str | None = None) -> list:
    """Return what shapes need to know about IRIs: types with the class hierarchy, schemes,
    labels and broader chains (read from the schema closure when it exists)."""
    from kg.namespaces import SCHEMA_INFERRED_GRAPH
    out: list = []
    if store.has_graph(SCHEMA_INFERRED_GRAPH):
        gfilter = _filter if _filter is not None else _graph_filter(store, graphs)
        for i in range(0, len(iris), 500):
            q = load_query("validation_context_closure").replace(
                "#VALUES#", _values("r", iris[i:i + 500])).replace("#GRAPHFILTER#", gfilter)
            out += store.query(q).triples
        return out
    for i in range(0, len(iris), 500):
        q = load_query("validation_context").replace("#VALUES#", _values("r", iris[i:i + 500]))
        out += store.query(q, default_graphs=graphs).triples
    return out


_TOP_LEVEL = [str(DPROD.DataProduct), "http://www.w3.org/2004/02/skos/core#Concept",
              str(MESH.ConceptRelation), str(MESH.DataDomain)]


def focus_resources(store: Store, *, graphs: list[str] | None = None) -> list[str]:
    """Return every resource validation starts from: products, concepts, relations, domains,
    and any other targeted resource that no product owns."""
    if graphs is None:
        graphs = asserted_graphs(store)
    graphs = [g for g in graphs if not g.startswith(VOCAB_GRAPH_PREFIX)]
    if not graphs:
        return []
    q = load_query("validation_focus").replace("#VALUES#", _values("class", _TOP_LEVEL))
    return sorted({str(r["s"]) for r in store.query(q, default_graphs=graphs).rows
                   if isinstance(r["s"], URIRef)})


def validate_store(store: Store, resources: Sequence[str] | None = None, *,
                   shapes: Graph | None = None, save: bool = True,
                   graphs: list[str] | None = None,
                   engine: str = Settings.shacl_engine) -> Report:
    """Validate the given resources (default: all) in batches and keep the findings.

    `engine` is `settings.shacl_engine` (kg.config.SHACL_ENGINES)."""
    shapes = shapes if shapes is not None else load_shapes()
    if graphs is None:
        graphs = asserted_graphs(store)
    todo = list(resources) if resources is not None else focus_resources(store, graphs=graphs)
    if resources is None and _whole_graph_fits(store, graphs):
        report = _validate_whole(store, shapes, graphs, todo, engine)
        if save:
            save_report(store, report, full=True)
        return report
    report = Report()
    seen: set[tuple] = set()
    for i in range(0, len(todo), BATCH):
        batch = todo[i:i + BATCH]
        # findings are kept only for the focus resources and the nodes they own;
        # neighbours pulled in for their type or label are context, not checked
        data, described = describe_with_subjects(store, batch, graphs=graphs)
        part = validate_graph(data, shapes, focus=described | set(batch), engine=engine)
        for f in part.results:
            key = (f.severity, f.focus, f.path, f.shape, f.message, f.value)
            if key not in seen:
                seen.add(key)
                report.results.append(f)
        report.checked += batch
    if save:
        save_report(store, report, full=resources is None)
    return report


#: above this many asserted triples, full validation goes in batches of described views
#: (bounded memory) instead of one pass over a dump of the whole data
WHOLE_GRAPH_LIMIT = 3_000_000


def _whole_graph_fits(store: Store, graphs: list[str]) -> bool:
    sizes = store.graphs()
    return sum(sizes.get(g, 0) for g in graphs) <= WHOLE_GRAPH_LIMIT


def _validate_whole(store: Store, shapes: Graph, graphs: list[str],
                    focus: list[str], engine: str) -> Report:
    """Validate the union of the asserted graphs in one pass; keep the findings about
    resources described outside the shipped vocabularies, as the views do."""
    own = [g for g in graphs if not g.startswith(VOCAB_GRAPH_PREFIX)]
    own_text = b"".join(store.dump(g, "ntriples") for g in own)
    vocab_text = b"".join(store.dump(g, "ntriples") for g in graphs if g not in set(own))
    embedded = getattr(store, "kind", None) == "embedded"
    results = run_engine(own_text + vocab_text, shapes, store=store if embedded else None,
                         default_graphs=graphs if embedded else None, engine=engine)
    return keep_findings(results, own_text, focus)


def keep_findings(results: list[Finding], described: bytes, focus: list[str]) -> Report:
    """Return a report of the findings about `focus` or a subject of the `described`
    N-Triples, without duplicates."""
    keep = _subjects(described) | set(focus)
    report = Report(checked=list(focus))
    seen: set[tuple] = set()
    for f in results:
        key = (f.severity, f.focus, f.path, f.shape, f.message, f.value)
        if f.focus in keep and key not in seen:
            seen.add(key)
            report.results.append(f)
    return report


def _subjects(ntriples: bytes) -> set[str]:
    """Return the subjects of N-Triples text as finding foci name them (IRI or _:id)."""
    out: set[str] = set()
    for line in ntriples.split(b"\n"):
        if not line or line[:1] == b"#":
            continue
        head = line.split(b" ", 1)[0].decode("utf-8")
        out.add(head[1:-1] if head.startswith("<") else head)
    return out


# -- keeping results ----------------------------------------------------------------

def _status_iri(focus: str) -> str:
    return "urn:meshkg:validation:" + hashlib.sha1(focus.encode("utf-8")).hexdigest()


def save_report(store: Store, report: Report, *, full: bool = False) -> None:
    """Store per-resource status and findings in the validation graph."""
    import pyoxigraph as ox
    g = ox.NamedNode(VALIDATION_GRAPH)
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    dt = ox.NamedNode(str(XSD.dateTime))
    integer = ox.NamedNode(str(XSD.integer))
    quads = []
    by_focus: dict[str, list[Finding]] = {f: [] for f in report.checked}
    for f in report.results:
        by_focus.setdefault(f.focus, []).append(f)

    def q(s, p, o):
        quads.append(ox.Quad(s, ox.NamedNode(str(p)), o, g))

    for focus, findings in by_focus.items():
        if focus.startswith("_:"):
            continue
        st = ox.NamedNode(_status_iri(focus))
        q(st, MESH.focus, ox.NamedNode(focus))
        q(st, MESH.checkedAt, ox.Literal(now, datatype=dt))
        for sev in ("Violation", "Warning", "Info"):
            n = sum(1 for f in findings if f.severity == sev)
            q(st, MESH[sev.lower() + "Count"], ox.Literal(str(n), datatype=integer))
        for f in findings:
            r = ox.BlankNode()
            q(st, MESH.finding, r)
            q(r, SH.resultSeverity, ox.NamedNode(str(SH[f.severity])))
            q(r, SH.resultMessage, ox.Literal(f.message))
            if f.path:
                q(r, SH.resultPath, ox.NamedNode(f.path))
            if f.shape and not f.shape.startswith("_:"):
                q(r, SH.sourceShape, ox.NamedNode(f.shape))
            if f.value is not None:
                q(r, SH.value, ox.Literal(f.value))
            if not f.focus.startswith("_:"):
                q(r, SH.focusNode, ox.NamedNode(f.focus))
    if full:
        store.write_quads({VALIDATION_GRAPH: quads})
        return
    keep = _kept_status(store, set(by_focus))
    store.write_quads({VALIDATION_GRAPH: keep + quads})


def _kept_status(store: Store, replaced: set[str]) -> list:
    """Return the stored status quads of resources not re-validated now."""
    import pyoxigraph as ox

    from kg.loading import parse_bytes
    if not store.has_graph(VALIDATION_GRAPH):
        return []
    data = store.dump(VALIDATION_GRAPH, "ntriples")
    parsed = parse_bytes(data, "ntriples", source="validation graph", graph=VALIDATION_GRAPH) \
        if data.strip() else None
    if parsed is None:
        return []
    drop = {_status_iri(f) for f in replaced}
    dropped_nodes: set = set()
    for q in parsed.quads:
        if isinstance(q.subject, ox.NamedNode) and q.subject.value in drop \
                and q.predicate.value == str(MESH.finding):
            dropped_nodes.add(q.object)
    return [q for q in parsed.quads
            if not (isinstance(q.subject, ox.NamedNode) and q.subject.value in drop)
            and q.subject not in dropped_nodes]


def product_status(store: Store) -> dict[str, dict]:
    """Return the last validation status of each checked resource."""
    res = store.query(load_query("validation_status"), default_graphs=[VALIDATION_GRAPH]) \
        if store.has_graph(VALIDATION_GRAPH) else None
    out: dict[str, dict] = {}
    for r in res.rows if res else ():
        out[str(r["focus"])] = {
            "conforms": int(r["violations"]) == 0,
            "violations": int(r["violations"]), "warnings": int(r["warnings"]),
            "infos": int(r["infos"]), "checked_at": str(r["checked"])}
    return out


def stored_findings(store: Store, focus: str) -> list[Finding]:
    """Return the stored findings about one resource."""
    if not store.has_graph(VALIDATION_GRAPH):
        return []
    res = store.query(load_query("validation_findings"), bindings={"focus": URIRef(focus)},
                      default_graphs=[VALIDATION_GRAPH])
    return [Finding(severity=str(r["severity"]).rsplit("#", 1)[-1], focus=focus,
                    path=str(r["path"]) if "path" in r else None,
                    shape=str(r["shape"]) if "shape" in r else None,
                    message=str(r["message"]),
                    value=str(r["value"]) if "value" in r else None) for r in res.rows]


def report_json(report: Report) -> str:
    """Return a report as indented JSON text."""
    return json.dumps(report.to_json(), indent=2, ensure_ascii=False)
