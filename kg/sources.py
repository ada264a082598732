"""Load sources into the store through the gate: files, the shipped vocabularies, the demo."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kg import gate, resources
from kg.inference import InferenceReport, delta, infer
from kg.loading import Parsed, expand_paths, meta_quads, parse_file, progress
from kg.namespaces import META_GRAPH, ONTOLOGY_GRAPH, VOCAB_GRAPH_PREFIX
from kg.resources import VOCAB_DIR, VOCABULARIES  # the shipped vocabularies
from kg.store import ntdiff
from kg.store.base import Store
from kg.validation import Report

ONTOLOGY_FILE = resources.ontology_file()
DEMO_DIR = Path(__file__).parent / "demo"
DEMO_GRAPH_PREFIX = "https://demo.meshkg.org/graph/"


@dataclass
class LoadReport:
    """What a load wrote: graphs with triple counts, validation and inference."""

    graphs: dict[str, int] = field(default_factory=dict)
    validation: Report | None = None
    inference: InferenceReport | None = None

    @property
    def triples(self) -> int:
        """Triples written in this load."""
        return sum(self.graphs.values())


def _previous_graphs(store: Store, source_graph: str) -> set[str]:
    """Graphs a source brought last time (TriG/N-Quads files may bring several)."""
    from rdflib import URIRef
    if not store.has_graph(META_GRAPH):
        return set()
    res = store.query(
        "PREFIX mesh: <https://w3id.org/meshkg/ontology#>\n"
        "SELECT ?g ?src WHERE { ?g mesh:broughtBy ?src }",
        bindings={"src": URIRef(source_graph)}, default_graphs=[META_GRAPH])
    return {str(r["g"]) for r in res.rows}


def write_parsed(store: Store, parsed: list[Parsed], *, validate: bool = True,
                 kind: str = "file", run_inference: bool = True) -> LoadReport:
    """Write parsed sources, each replacing what it brought before, as one gated write."""
    import pyoxigraph as ox

    from kg.namespaces import MESH
    replace: dict[str, list] = {}
    drop: set[str] = set()
    meta_replace: list = []
    for p in parsed:
        by_graph: dict[str, list] = {g: [] for g in p.graphs}
        for q in p.quads:
            by_graph[q.graph_name.value].append(q)
        replace.update(by_graph)
        drop |= _previous_graphs(store, p.graph) - set(by_graph)
        meta_replace += meta_quads(p, kind)
        for g in by_graph:
            if g != p.graph:
                meta_replace.append(ox.Quad(ox.NamedNode(g), ox.NamedNode(str(MESH.broughtBy)),
                                            ox.NamedNode(p.graph), ox.NamedNode(META_GRAPH)))
    report = LoadReport(graphs={g: len(q) for g, q in replace.items()})
    # what replaced graphs hold now: the gate diffs against it, and inference re-derives
    # only what the changed triples mention
    before = {g: store.dump(g, "ntriples") for g in replace if store.has_graph(g)}
    report.validation = gate.write(store, replace=replace, drop=drop, validate=validate,
                                   before=before)
    _update_meta(store, [p.graph for p in parsed] + sorted(drop), meta_replace)
    if run_inference:
        deltas = {g: delta(old, ntdiff.ntriples(replace[g])) for g, old in before.items()}
        report.inference = infer(store, changed=list(replace) + sorted(drop), deltas=deltas)
    return report


def _update_meta(store: Store, graphs: list[str], quads: list) -> None:
    from rdflib import URIRef

    from kg.store.base import term_to_sparql
    if store.has_graph(META_GRAPH) and graphs:
        values = " ".join(term_to_sparql(URIRef(g)) for g in graphs)
        store.update(f"DELETE {{ GRAPH <{META_GRAPH}> {{ ?g ?p ?o }} }} WHERE {{ "
                     f"GRAPH <{META_GRAPH}> {{ ?g ?p ?o }} VALUES ?g {{ {values} }} }}")
    store.write_quads({}, add=quads)


def load_files(store: Store, paths: Iterable[str | Path], *, fmt: str | None = None,
               graph: str | None = None, validate: bool = True, max_bytes: int | None = None,
               show_progress: bool | None = None) -> LoadReport:
    """Parse every file first; then write them all through the gate, or nothing."""
    files = expand_paths(paths)
    if graph is not None and len(files) != 1:
        from kg.errors import UsageError
        raise UsageError("--graph names one graph: give exactly one file with it")
    if not validate and not _brought_before(store, files, graph):
        return _as_stored(store, _stream_new(store, files, fmt, graph, max_bytes,
                                             show_progress))
    parsed = [parse_file(f, fmt, graph=graph, max_bytes=max_bytes)
              for f in progress(files, "parsing", enabled=show_progress)]
    return _as_stored(store, write_parsed(store, parsed, validate=validate))


def _as_stored(store: Store, report: LoadReport) -> LoadReport:
    """Count what each graph holds once written: a file may state a triple twice (UAT's
    RDF/XML states 760 of its 24,898 again), a graph holds it once."""
    sizes = store.graphs()
    report.graphs = {g: sizes.get(g, n) for g, n in report.graphs.items()}
    return report


def _brought_before(store: Store, files: list[Path], graph: str | None) -> bool:
    """Tell whether any of the files (or the one graph named) was loaded before."""
    names = [graph] if graph is not None else [f.resolve().as_uri() for f in files]
    return any(store.has_graph(g) or _previous_graphs(store, g) for g in names)


def _stream_new(store: Store, files: list[Path], fmt: str | None, graph: str | None,
                max_bytes: int | None, show_progress: bool | None) -> LoadReport:
    """Load files never loaded before one at a time, so that a large mesh is never held
    in memory whole; all or nothing (the store drops what it wrote if one fails)."""
    import pyoxigraph as ox

    from kg.namespaces import MESH
    meta: list = []
    sources: list[str] = []

    def batches():
        for f in progress(files, "loading", enabled=show_progress):
            p = parse_file(f, fmt, graph=graph, max_bytes=max_bytes)
            sources.append(p.graph)
            meta.extend(meta_quads(p, "file"))
            by_graph: dict[str, list] = {g: [] for g in p.graphs}
            for q in p.quads:
                by_graph[q.graph_name.value].append(q)
            del p
            for g, quads in by_graph.items():
                if g != sources[-1]:
                    meta.append(ox.Quad(ox.NamedNode(g), ox.NamedNode(str(MESH.broughtBy)),
                                        ox.NamedNode(sources[-1]), ox.NamedNode(META_GRAPH)))
                yield g, quads

    written = store.write_new_graphs(batches())
    _update_meta(store, sources, meta)
    report = LoadReport(graphs=written)
    report.inference = infer(store, changed=list(written))
    return report


def load_vocabularies(store: Store) -> LoadReport:
    """Load the shipped standard vocabularies and the meshkg ontology."""
    parsed = [parse_file(VOCAB_DIR / name, graph=VOCAB_GRAPH_PREFIX + Path(name).stem)
              for name in VOCABULARIES if (VOCAB_DIR / name).is_file()]
    parsed.append(parse_file(ONTOLOGY_FILE, graph=ONTOLOGY_GRAPH))
    return write_parsed(store, parsed, validate=False, kind="vocabulary",
                        run_inference=False)


def ensure_vocabularies(store: Store) -> None:
    """Load the shipped vocabularies and ontology into a store that lacks them."""
    if not store.has_graph(ONTOLOGY_GRAPH):
        load_vocabularies(store)
        infer(store)


def load_demo(store: Store, *, show_progress: bool | None = None) -> LoadReport:
    """Load vocabularies, the ontology and the demo mesh, validated, with inference."""
    load_vocabularies(store)
    files = sorted(DEMO_DIR.glob("*.ttl"))
    parsed = [parse_file(f, graph=DEMO_GRAPH_PREFIX + f.stem)
              for f in progress(files, "loading demo", enabled=show_progress)]
    report = write_parsed(store, parsed, validate=True, kind="demo", run_inference=False)
    report.inference = infer(store)
    return report


def is_empty(store: Store) -> bool:
    """Tell whether the store holds no data product yet."""
    return not store.ask("ASK { ?p a <https://www.omg.org/spec/DPROD/DataProduct> }")


def drop_source(store: Store, graph: str) -> Report | None:
    """Remove one named graph and all it brought: its triples (through the gate), its
    entailments and search-index entries (derived again), its record in the meta graph
    (source path, time, count) and the index's dictionary words no other label uses.

    The caller refuses meshkg's own graphs (kg.namespaces.is_managed_graph). The whole
    sequence holds the store's write turn, so a write beside it (a re-import of the same
    source) never loses its meta record or words to it."""
    with store.writing():
        words = _index_words(store, graph)
        subjects = _subjects(store, graph)
        report = gate.write(store, drop=[graph])
        _update_meta(store, [graph], [])
        infer(store, changed=[graph])
        _forget_words(store, words)
        _forget_findings(store, subjects)
    return report


def _subjects(store: Store, graph: str) -> list[str]:
    """Return the IRIs one graph describes."""
    from rdflib import URIRef
    res = store.query("SELECT DISTINCT ?s WHERE { ?s ?p ?o FILTER(isIRI(?s)) }",
                      default_graphs=[graph])
    return sorted(str(r["s"]) for r in res.rows if isinstance(r["s"], URIRef))


def _forget_findings(store: Store, subjects: list[str]) -> None:
    """Remove the validation status (and findings) of resources no graph describes now."""
    from rdflib import URIRef

    from kg.namespaces import MESH
    from kg.store.base import term_to_sparql
    from kg.validation import VALIDATION_GRAPH
    if not store.has_graph(VALIDATION_GRAPH):
        return
    found = f"GRAPH <{VALIDATION_GRAPH}>"
    for i in range(0, len(subjects), 400):
        values = " ".join(term_to_sparql(URIRef(s)) for s in subjects[i:i + 400])
        store.update(
            f"DELETE {{ {found} {{ ?st ?p ?o . ?r ?rp ?ro }} }} WHERE {{ "
            f"VALUES ?focus {{ {values} }} {found} {{ ?st <{MESH.focus}> ?focus ; ?p ?o "
            f"OPTIONAL {{ ?st <{MESH.finding}> ?r . ?r ?rp ?ro }} }} "
            f"FILTER NOT EXISTS {{ GRAPH ?any {{ ?focus ?anyp ?anyo }} }} }}")


def _index_words(store: Store, graph: str) -> list[str]:
    """Return the dictionary words of the label entries one source brought."""
    from rdflib import URIRef

    from kg import searchindex as idx
    from kg.store.base import term_to_sparql
    if not store.has_graph(idx.LABELS_GRAPH):
        return []
    res = store.query(f"SELECT DISTINCT ?w WHERE {{ GRAPH <{idx.LABELS_GRAPH}> {{ ?e "
                      f"<{idx.SOURCE}> {term_to_sparql(URIRef(graph))} ; <{idx.WORD}> ?w }} }}")
    return sorted(str(r["w"]) for r in res.rows)


def _forget_words(store: Store, words: list[str]) -> None:
    """Remove dictionary words that no label entry uses any more (the index keeps them
    on its own: a word without entries finds nothing, but it still tells what was said)."""
    from rdflib import URIRef

    from kg import searchindex as idx
    from kg.store.base import term_to_sparql
    labels = f"GRAPH <{idx.LABELS_GRAPH}>"
    for i in range(0, len(words), 400):
        values = " ".join(term_to_sparql(URIRef(w)) for w in words[i:i + 400])
        store.update(f"DELETE {{ {labels} {{ ?w ?p ?o }} }} WHERE {{ VALUES ?w {{ {values} }} "
                     f"{labels} {{ ?w ?p ?o }} "
                     f"FILTER NOT EXISTS {{ {labels} {{ ?e <{idx.WORD}> ?w }} }} }}")
