"""The meshkg side: an on-disk OxigraphStore loaded, queried, validated and inferred by kg."""

from __future__ import annotations

import shutil
import statistics
import time
from pathlib import Path

import pyoxigraph as ox

from bench import timing
from bench.generate import DCT, RDFS, Manifest
from bench.queries import discovery_meshkg, label_search_meshkg
from kg.loading import parse_file
from kg.namespaces import SCHEMA_INFERRED_GRAPH
from kg.store.oxigraph import OxigraphStore


def store_path(man: Manifest) -> Path:
    """Return where the benchmark's on-disk store lives."""
    return Path(man.context_file).parent / "store"


def _load(man: Manifest) -> tuple[OxigraphStore, dict]:
    from kg.sources import load_vocabularies, write_parsed
    path = store_path(man)
    shutil.rmtree(path, ignore_errors=True)
    store = OxigraphStore(path)
    start = time.perf_counter()
    load_vocabularies(store)
    vocab = time.perf_counter() - start
    start = time.perf_counter()
    parsed = [parse_file(Path(f)) for f in man.files]
    parse = time.perf_counter() - start
    report = write_parsed(store, parsed, validate=False, run_inference=False)
    store.flush()
    seconds = time.perf_counter() - start
    return store, {"load": {"seconds": seconds, "detail": (
        f"{report.triples:,} triples; parse {parse:.2f} s + write {seconds - parse:.2f} s; "
        f"vocabularies before it (not counted) {vocab:.2f} s")}}


def _open(man: Manifest, *, inferred: bool) -> OxigraphStore:
    """Open the store the load step built (building it untimed if missing)."""
    if (store_path(man) / "CURRENT").is_file():
        store = OxigraphStore(store_path(man))
    else:
        store, _ = _load(man)
    if inferred and not store.has_graph(SCHEMA_INFERRED_GRAPH):
        from kg.inference import infer
        infer(store)
    return store


def load(man: Manifest) -> dict:
    """Time parsing every file and writing it into a fresh on-disk store (no validation)."""
    _, res = _load(man)
    return res


def load_bulk(man: Manifest) -> dict:
    """Time pyoxigraph's bulk loader on the store's raw handle, one graph per file.

    This skips what write_parsed adds (staging graphs and their atomic move,
    the meta graph): it is the floor the engine allows, not meshkg's load path.
    """
    from kg.loading import graph_for_path
    path = store_path(man).with_name("store-bulk")
    shutil.rmtree(path, ignore_errors=True)
    store = OxigraphStore(path)
    fmt = ox.RdfFormat.N_TRIPLES if man.fmt == "nt" else ox.RdfFormat.TURTLE
    start = time.perf_counter()
    # one bulk_extend over every file: bulk_load per file pays a fixed cost per call
    store.raw.bulk_extend(
        ox.Quad(q.subject, q.predicate, q.object, g)
        for f in man.files
        for g in (ox.NamedNode(graph_for_path(Path(f))),)
        for q in ox.parse(path=f, format=fmt))
    store.flush()
    seconds = time.perf_counter() - start
    count = len(store.raw)
    store.close()
    shutil.rmtree(path, ignore_errors=True)
    return {"load-bulk": {"seconds": seconds, "detail": f"{count:,} quads"}}


def query(man: Manifest, runs: int, budget: float) -> dict:
    """Time the discovery queries (materialised broaderTransitive) and label search, p50."""
    store = _open(man, inferred=True)
    timing.mark_setup()
    out = {}
    for key, concept in (("discovery", man.narrow_concept),
                         ("discovery-broad", man.broad_concept)):
        text = discovery_meshkg(concept)

        def run(text=text):
            return len(store.query(text))
        out[key] = timing.p50(run, runs, budget)
    # meshkg's label search reads its label index, as kg.catalog.search does
    out["label-search"] = timing.p50(
        lambda: len(store.query(label_search_meshkg(store, man.search_term))), runs, budget)
    return out


def validate(man: Manifest) -> dict:
    """Time validate_store over every product, concept and domain (pyshacl-turbo views)."""
    from kg.validation import validate_store
    store = _open(man, inferred=False)
    timing.mark_setup()
    start = time.perf_counter()
    report = validate_store(store, save=False)
    seconds = time.perf_counter() - start
    detail = (f"{report.count('Violation')} violations, {report.count('Warning')} warnings, "
              f"{len(report.checked):,} resources")
    return {"validate": {"seconds": seconds, "detail": detail}}


def _changed_quads(man: Manifest) -> tuple[str, list]:
    """Return the changed product's file graph with that product's label edited."""
    parsed = parse_file(Path(man.changed_file))
    label = ox.NamedNode(RDFS + "label")
    quads = []
    for q in parsed.quads:
        if q.subject.value == man.changed_product and q.predicate == label:
            q = ox.Quad(q.subject, q.predicate, ox.Literal(q.object.value + " v2", language="en"),
                        q.graph_name)
        quads.append(q)
    return parsed.graph, quads


def _as_loaded(store: OxigraphStore, man: Manifest) -> list:
    """Write the changed product's file as the current `meshkg load` parses it (a store
    built by older code holds other blank-node labels) and bring its entailments up to
    date, untimed; return its quads."""
    from kg.inference import delta
    from kg.inference import infer as run_infer
    from kg.store import ntdiff
    parsed = parse_file(Path(man.changed_file))
    before = store.dump(parsed.graph, "ntriples")
    after = ntdiff.ntriples(parsed.quads)
    if sorted(before.splitlines()) != sorted(after.splitlines()):
        store.write_quads({parsed.graph: parsed.quads})
        run_infer(store, changed=[parsed.graph],
                  deltas={parsed.graph: delta(before, after)})
    return parsed.quads


def _p50_of(fn, runs: int) -> tuple[float, object]:
    fn()  # warm-up: shapes parsed and cached
    times, last = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        last = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), last


def validate_one(man: Manifest, runs: int = 5) -> dict:
    """Time gate.check of a one-product change: the file re-loaded, and triples added."""
    from kg import gate
    # as after `meshkg load`: the schema closure exists (validation reads class and
    # concept hierarchies from it; without it they are walked as paths)
    store = _open(man, inferred=True)
    graph, quads = _changed_quads(man)
    _as_loaded(store, man)
    extra = ox.Quad(ox.NamedNode(man.changed_product), ox.NamedNode(DCT + "subject"),
                    ox.NamedNode(man.extra_subject), ox.NamedNode(graph))
    timing.mark_setup()
    out = {}
    for key, kwargs in (("validate-one", {"replace": {graph: quads}, "add": []}),
                        ("validate-one-add", {"replace": {}, "add": [extra]})):
        seconds, report = _p50_of(lambda kw=kwargs: gate.check(store, drop=[], **kw), runs)
        out[key] = {"seconds": seconds, "detail": (
            f"p50 of {runs}; {len(report.checked):,} resources re-validated, "
            f"{report.count('Violation')} violations")}
    return out


def infer(man: Manifest) -> dict:
    """Time infer() over the whole store after a load."""
    from kg.inference import infer as run_infer
    store = _open(man, inferred=False)
    timing.mark_setup()
    report = run_infer(store)
    triples = sum(report.graphs.values())
    return {"infer": {"seconds": report.seconds, "detail": (
        f"{triples:,} instance entailments in {len(report.graphs)} graphs + schema graph")}}


def infer_one(man: Manifest, runs: int = 3) -> dict:
    """Time infer() after the changed product's file is re-written, as `meshkg load` does it:
    the graph's old and new N-Triples diffed, only what the changed triples touch re-derived."""
    from kg.inference import delta
    from kg.inference import infer as run_infer
    from kg.store import ntdiff
    store = _open(man, inferred=True)
    graph, quads = _changed_quads(man)
    original = _as_loaded(store, man)
    timing.mark_setup()
    times, report = [], None
    for i in range(runs * 2):
        version = quads if i % 2 == 0 else original  # every run is a real change
        before = store.dump(graph, "ntriples")
        store.write_quads({graph: version})
        change = delta(before, ntdiff.ntriples(version))
        report = run_infer(store, changed=[graph], deltas={graph: change})
        if i % 2 == 0:
            times.append(report.seconds)
    return {"infer-one": {"seconds": statistics.median(times), "detail": (
        f"p50 of {runs}; one product's label changed in a file of {len(quads):,} triples "
        f"(a domain file), entailments about what changed re-derived, {report.triples:,} "
        f"entailments in the graph, schema recomputed: {report.schema_recomputed}")}}


STEPS = {"load": load, "validate": validate, "validate-one": validate_one, "infer": infer,
         "infer-one": infer_one}


def run_step(step: str, man: Manifest, *, runs: int, budget: float) -> dict:
    """Run one meshkg step."""
    if step == "query":
        return query(man, runs, budget)
    if step == "load":
        return {**load_bulk(man), **load(man)}
    return STEPS[step](man)
