"""Run one scale step on one store in its own process (python -m bench._scale_worker).

Usage: python -m bench._scale_worker STEP MANIFEST RUNS
The store is the one MESHKG_STORE (and MESHKG_GSP_URL, …) name, opened as
`meshkg` opens it. Prints `SCALE-PROGRESS {json}` lines while it works and one
`SCALE-RESULT {json}` line at the end; the parent measures this process's peak
RSS (it is meshkg's own memory: the server's is separate) and its time budget.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from pathlib import Path

from bench.generate import BASE, DCT, Manifest
from bench.queries import discovery_meshkg

RESULT = "SCALE-RESULT "
PROGRESS = "SCALE-PROGRESS "
#: the graph a one-product edit goes to, like a steward's per-resource graph
EDIT_GRAPH = "urn:meshkg:graph:curated:bench-scale-edit"


def _emit(mark: str, data: dict) -> None:
    print(mark + json.dumps(data), flush=True)


def _open():
    from kg.config import load_settings
    from kg.store import open_store
    settings = load_settings()
    return settings, open_store(settings)


def _p50(fn, runs: int, warmup: int = 1) -> tuple[float, list[float], object]:
    for _ in range(warmup):
        fn()
    times, last = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        last = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times, last


def load(man: Manifest, runs: int) -> dict:
    """`meshkg load --no-validate DATA_DIR`: open, vocabularies, parse, write, infer."""
    from kg.sources import ensure_vocabularies, load_files
    t0 = time.perf_counter()
    _, store = _open()
    ensure_vocabularies(store)  # what every meshkg command does first (open_from)
    vocab = time.perf_counter() - t0
    start = time.perf_counter()
    report = load_files(store, man.files, validate=False, show_progress=False)
    seconds = time.perf_counter() - start
    inferred = report.inference.seconds if report.inference else 0.0
    t1 = time.perf_counter()
    store.close()
    close = time.perf_counter() - t1
    return {"seconds": seconds + close, "detail": (
        f"{report.triples:,} triples in {len(report.graphs)} graphs; parse + write "
        f"{seconds - inferred:.1f} s, inference {inferred:.1f} s "
        f"({report.inference.triples if report.inference else 0:,} entailments), "
        f"close {close:.1f} s; before it, vocabularies {vocab:.1f} s (not counted)")}


def bulk_load(man: Manifest, runs: int) -> dict:
    """Load with the engine's own bulk loader, then `meshkg infer`: the fallback when
    meshkg's load path cannot load N (e.g. memory). Same graphs, same meta graph.

    Embedded: pyoxigraph's bulk_load, file by file (streams, not transactional).
    Virtuoso: its bulk loader (`ld_add` per file with meshkg's graph IRI, then
    `rdf_loader_run`), which reads the files itself: nothing passes through Python.
    """
    import os
    import subprocess
    from types import SimpleNamespace

    import pyoxigraph as ox

    from kg.inference import infer
    from kg.loading import graph_for_path, meta_quads
    from kg.sources import ensure_vocabularies
    _, store = _open()
    ensure_vocabularies(store)
    start = time.perf_counter()
    files = [Path(f) for f in man.files]
    if store.kind == "embedded":
        for f in files:
            store.raw.bulk_load(path=str(f), format=ox.RdfFormat.N_TRIPLES,
                                to_graph=ox.NamedNode(graph_for_path(f)))
        store.flush()
        how = "pyoxigraph bulk_load"
    else:
        sql = "".join(f"ld_add('{f.resolve()}', '{graph_for_path(f)}'); " for f in files)
        subprocess.run(["isql-vt", f"127.0.0.1:{os.environ['MESHKG_BENCH_VIRTUOSO_SQL']}",
                        "dba", "dba", f"exec={sql} rdf_loader_run(); checkpoint;"],
                       check=True, capture_output=True)
        how = "Virtuoso ld_add + rdf_loader_run + checkpoint"
    store.write_quads({}, add=[q for f in files for q in meta_quads(SimpleNamespace(
        graph=graph_for_path(f), source=str(f), count=_lines(f)), "file")])
    written = time.perf_counter() - start
    report = infer(store)
    seconds = time.perf_counter() - start
    store.close()
    return {"seconds": seconds, "detail": (
        f"{how} {written:.1f} s, then infer() {report.seconds:.1f} s "
        f"({report.triples:,} entailments)")}


def migrate(man: Manifest, runs: int) -> dict:
    """`meshkg migrate --to` the server, from the embedded store the same N built."""
    import os

    from kg.config import load_settings
    from kg.migrate import migrate as copy
    from kg.store import open_store
    _, there = _open()
    here = open_store(load_settings().replace(store=os.environ["MESHKG_BENCH_EMBEDDED"]))
    start = time.perf_counter()
    counts = copy(here, there)
    seconds = time.perf_counter() - start
    here.close()
    there.close()
    return {"seconds": seconds, "detail": (
        f"{len(counts)} graphs, {sum(counts.values()):,} triples (sources, entailments, "
        f"search index) copied from the embedded store")}


def export_load(man: Manifest, runs: int) -> dict:
    """`meshkg export --format nquads` of the embedded store the same N built, read by
    Virtuoso's bulk loader: the same graphs, entailments and search index, no `infer`.

    The meshkg side is the export (its peak RSS is this process's); the rest is the
    server's. The file goes to bench/output/nN/export/ (a Virtuoso DirsAllowed folder).
    """
    import os
    import subprocess

    from kg.config import load_settings
    from kg.store import open_store
    here = open_store(load_settings().replace(store=os.environ["MESHKG_BENCH_EMBEDDED"]))
    path = Path(os.environ["MESHKG_BENCH_EXPORT_DIR"]) / "store.nq"
    path.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with path.open("wb") as out:  # what `meshkg export --format nquads -o FILE` does
        here.dump_to(out, None, "nquads")
    here.close()
    exported = time.perf_counter() - start
    _emit(PROGRESS, {"exported_s": exported, "bytes": path.stat().st_size})
    subprocess.run(["isql-vt", f"127.0.0.1:{os.environ['MESHKG_BENCH_VIRTUOSO_SQL']}",
                    "dba", "dba", f"exec=ld_add('{path.resolve()}', 'urn:meshkg:bench:none'); "
                    "rdf_loader_run(); checkpoint;"], check=True, capture_output=True)
    seconds = time.perf_counter() - start
    _, there = _open()
    quads = sum(there.graphs().values())
    there.close()
    path.unlink()
    return {"seconds": seconds, "detail": (
        f"meshkg export {exported:.1f} s ({quads:,} quads in named graphs after the load: "
        f"sources, entailments, search index), then Virtuoso ld_add + rdf_loader_run + "
        f"checkpoint {seconds - exported:.1f} s")}


def _lines(path: Path) -> int:
    """Triples in an N-Triples file (one a line)."""
    with path.open("rb") as f:
        return sum(1 for line in f if line.strip())


def discovery(man: Manifest, runs: int) -> dict:
    """The meshkg discovery query (bench.queries) for a level-3 and a top concept, p50."""
    _, store = _open()
    out = {}
    for key, concept in (("narrow", man.narrow_concept), ("broad", man.broad_concept)):
        text = discovery_meshkg(concept)
        p50, times, rows = _p50(lambda text=text: len(store.query(text)), runs)
        out[key] = {"seconds": p50, "rows": rows, "runs": len(times)}
    return {"seconds": out["narrow"]["seconds"], "broad_seconds": out["broad"]["seconds"],
            "detail": (f"p50 of {out['narrow']['runs']}, {out['narrow']['rows']:,} products "
                       f"(a top concept: {out['broad']['seconds'] * 1000:,.1f} ms, "
                       f"{out['broad']['rows']:,} products)")}


def page(man: Manifest, runs: int) -> dict:
    """GET /product?iri=… through the Flask app's test client, rotating products, p50."""
    from webapp import create_app
    settings, store = _open()
    app = create_app(settings, store=store)
    client = app.test_client()
    rng = random.Random(7)
    iris = [BASE + f"product/{rng.randrange(man.n)}" for _ in range(runs + 1)]
    first = None
    times, sizes = [], []
    for i, iri in enumerate(iris):
        t0 = time.perf_counter()
        resp = client.get("/product", query_string={"iri": iri})
        took = time.perf_counter() - t0
        if resp.status_code != 200:
            raise RuntimeError(f"GET /product?iri={iri}: HTTP {resp.status_code}")
        if i == 0:
            first = took  # the first request also builds per-store caches
        else:
            times.append(took)
            sizes.append(len(resp.data))
    return {"seconds": statistics.median(times), "detail": (
        f"p50 of {len(times)} products, first request {first:.2f} s, "
        f"{statistics.mean(sizes) / 1000:.0f} kB")}


def validate_one(man: Manifest, runs: int) -> dict:
    """gate.check of a one-product change (a dct:subject added), p50 after a warm-up."""
    import pyoxigraph as ox

    from kg import gate
    _, store = _open()
    extra = ox.Quad(ox.NamedNode(man.changed_product), ox.NamedNode(DCT + "subject"),
                    ox.NamedNode(man.extra_subject), ox.NamedNode(EDIT_GRAPH))
    p50, times, report = _p50(
        lambda: gate.check(store, replace={}, add=[extra], drop=[]), runs)
    return {"seconds": p50, "detail": (
        f"p50 of {len(times)}; {len(report.checked):,} resources re-validated, "
        f"{report.count('Violation')} violations")}


def infer_one(man: Manifest, runs: int) -> dict:
    """A one-product edit written to its own graph, then infer(changed=[that graph]), p50."""
    import pyoxigraph as ox

    from kg.inference import infer
    _, store = _open()
    subjects = [BASE + f"concept/{w}" for w in ("sale-0-0-0", "customer-1-1-1",
                                                 "finance-2-2-2", "risk-3-3-3")]
    times, report = [], None
    for i in range(runs + 1):
        quad = ox.Quad(ox.NamedNode(man.changed_product), ox.NamedNode(DCT + "subject"),
                       ox.NamedNode(subjects[i % len(subjects)]), ox.NamedNode(EDIT_GRAPH))
        t0 = time.perf_counter()
        store.write_quads({EDIT_GRAPH: [quad]})
        report = infer(store, changed=[EDIT_GRAPH])
        if i:  # the first run is a warm-up
            times.append(time.perf_counter() - t0)
    store.drop(EDIT_GRAPH)
    infer(store, changed=[EDIT_GRAPH])
    return {"seconds": statistics.median(times), "detail": (
        f"p50 of {len(times)} (write + infer); {report.triples:,} entailments, "
        f"schema recomputed: {report.schema_recomputed}")}


def validate(man: Manifest, runs: int) -> dict:
    """validate_store over every focus resource, as `meshkg validate` (findings not saved)."""
    from kg.validation import validate_store
    _, store = _open()
    start = time.perf_counter()
    report = validate_store(store, save=False)
    return {"seconds": time.perf_counter() - start, "detail": (
        f"{len(report.checked):,} resources, {report.count('Violation')} violations, "
        f"{report.count('Warning')} warnings")}


STEPS = {"load": load, "bulk-load": bulk_load, "migrate": migrate, "export-load": export_load,
         "discovery": discovery, "page": page,
         "validate-one": validate_one, "infer-one": infer_one, "validate": validate}


def _allow_many_headers() -> None:
    """Let http.client read Virtuoso's answers to queries over many graphs.

    Virtuoso echoes every default-graph-uri and named-graph-uri it is sent as an
    `X-SPARQL-default-graph` / `X-SPARQL-named-graph` header; kg.store.remote sends
    every graph as both, so a store of more than ~48 graphs (N = 1,000 has 65)
    gets answers with more than 100 headers, which http.client refuses ("got
    more than 100 headers"). A benchmark-only workaround until kg handles it.
    """
    import http.client
    http.client._MAXHEADERS = 100_000


def main(argv: list[str]) -> int:
    """Run the step and print its result as JSON."""
    import os
    step, manifest, runs = argv
    if os.environ.get("MESHKG_STORE", "").startswith("sparql+"):
        _allow_many_headers()
    import kg
    man = Manifest.load(Path(manifest))
    out = STEPS[step](man, int(runs))
    # which checkout's kg ran, relative to this repository (results carry no machine paths)
    here, used = Path(__file__).resolve().parents[1], Path(kg.__file__).resolve().parent
    out["kg"] = (str(used.relative_to(here)) if used.is_relative_to(here)
                 else f"another checkout ({used.parent.name}/kg)")
    _emit(RESULT, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
