"""The SHACL engine: meshkg's shapes (and DPROD's, and a steward's rule files), the
vocabulary class hierarchy every run adds to its data, and one validation run over
N-Triples (core constraints in the configured engine, SPARQL-based ones as queries)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

from rdflib import BNode, Graph, URIRef
from rdflib.namespace import RDF, RDFS, SH

from kg import resources
from kg.config import SHACL_ENGINES, Settings
from kg.errors import ParseError, UsageError
from kg.namespaces import DPROD, DPROD_OLD
from kg.store.base import Store
from kg.validation.report import Finding, Report

log = logging.getLogger(__name__)
RDFS_SUBCLASS = RDFS.subClassOf

SHAPES_FILE = resources.shapes_file()
DPROD_SHAPES_FILE = resources.VOCAB_DIR / "dprod-shapes.ttl"
_SEVERITY = {SH.Violation: "Violation", SH.Warning: "Warning", SH.Info: "Info"}
_ENGINE_LOCK = threading.Lock()


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
        try:
            conforms, report_graph, _ = validate(
                data, shacl_graph=core, inference="none", advanced=True,
                allow_warnings=True, allow_infos=True, do_owl_imports=False)
        except (ValueError, TypeError, KeyError, NotImplementedError) as exc:
            # a shapes graph the engine cannot compile (a steward's rule file, a
            # profile's shapes): say so, instead of a traceback
            raise UsageError(f"the SHACL engine ({engine}) cannot use these shapes: {exc}; "
                             "nothing was validated (settings: shacl_engine)") from exc
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
