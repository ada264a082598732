"""SHACL validation of the asserted data, whole or per changed resource.

Shapes run on asserted data only (no inference: range entailments would make
bad links look valid). For each focus resource meshkg pulls its description
and the context its shapes need (types with the class hierarchy, schemes,
labels, broader chains) from the store, validates that small graph, and keeps
the findings in the validation graph so pages and `stats` can show them.

The package: kg.validation.report (findings, reports, the gate policy),
kg.validation.engine (shapes and one engine run) and, here, validation over a store:
described views, the whole-graph pass, and the findings kept in the validation graph.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from rdflib import Graph, URIRef
from rdflib.namespace import SH, XSD

from kg.config import Settings
from kg.namespaces import (
    DPROD,
    GRAPH_PREFIX,
    INFERRED_PREFIX,
    MESH,
    META_GRAPH,
    VOCAB_GRAPH_PREFIX,
)
from kg.queries import load_query
from kg.store.base import Store, term_to_sparql
from kg.validation.engine import (  # noqa: F401  (the package's names)
    DPROD_SHAPES_FILE,
    SHAPES_FILE,
    _rewrite_dprod,
    _text,
    load_shapes,
    run_engine,
    validate_graph,
    vocabulary_hierarchy,
)
from kg.validation.report import (  # noqa: F401  (the package's names)
    GATE_MODES,
    Finding,
    GatePolicy,
    Report,
    refusing_shapes,
    report_json,
)

log = logging.getLogger(__name__)

VALIDATION_GRAPH = GRAPH_PREFIX + "validation"
BATCH = 400



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

