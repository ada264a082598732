"""SPARQL endpoint throughput: meshkg serve vs rdflib-endpoint on the same generated mesh.

python -m bench.endpoint --n 1000 [--n 10000] [--seconds 10] [--clients 1,4,16]

Each side runs as a server in its own process group on a free loopback port:
`meshkg serve --no-demo --threads 8` over an on-disk store built with
kg.sources and kg.inference, and rdflib-endpoint on uvicorn over an rdflib
Graph of every triple in that store (the files, the vocabularies and the
entailments, the skos:broaderTransitive closure among them), so that both
sides give the same answers.
Clients are threads in this process, each with one keep-alive connection
(http.client: a requests.Session costs several times more client CPU per
request, and the clients share the two cores with the servers). A cell runs
for --seconds; a request started before the deadline is waited for. Every
server started is stopped on the way out, Ctrl-C included.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from bench.generate import _ADJ, _CONCEPT_WORDS, _NOUN, BASE, Manifest, ensure
from bench.queries import discovery_union

ROOT = Path(__file__).resolve().parent
OUTPUT = ROOT / "output"
RESULTS = ROOT / "RESULTS-endpoint.md"
SPARQL_JSON = "application/sparql-results+json"
TOP_CONCEPTS = [BASE + "concept/" + w.lower() for w in _CONCEPT_WORDS]
SEARCH_TERMS = [f"{a} {n}" for a, n in itertools.product(_ADJ[:6], _NOUN[:10])]

PREFIXES = """PREFIX dct: <http://purl.org/dc/terms/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dprod: <https://www.omg.org/spec/DPROD/>
"""
LOOKUP = "SELECT ?p ?o WHERE { #IRI# ?p ?o }"
#: the issue's discovery query, over the closure inference materialised; products only
#: (fields are about concepts too, through mesh:meansConcept ⊑ dct:subject)
DISCOVERY = PREFIXES + """SELECT DISTINCT ?p WHERE {
  ?p dct:subject ?c ; a dprod:DataProduct . ?c skos:broaderTransitive* #IRI# .
}"""
LABEL = PREFIXES + """SELECT ?p ?label WHERE {
  ?p rdfs:label ?label . FILTER(CONTAINS(LCASE(STR(?label)), #TEXT#))
}"""
KINDS = ("lookup", "discovery", "discovery-union", "label", "page", "mix")
KIND_TITLES = {"lookup": "IRI lookup", "discovery": "concept + narrower (issue's text)",
               "discovery-union": "concept + narrower (bench.queries form)",
               "label": "label CONTAINS", "page": "product page (HTML)",
               "mix": "mix (lookup, discovery, label in turn)"}


# --------------------------------------------------------------------------- data, store


def manifest_for(n: int) -> Manifest:
    """Return the generated data set of n products, generating it when missing."""
    man, made = ensure(n, OUTPUT / f"n{n}")
    if made:
        print(f"generated {n:,} products into {OUTPUT / f'n{n}'}", file=sys.stderr)
    return man


def _store_dir(man: Manifest) -> Path:
    # its own folder: bench.meshkg_side's `store` may be in use by another run
    return Path(man.context_file).parent / "store-endpoint"


def build_store(man: Manifest) -> tuple[Path, Path, float | None]:
    """Build (or reuse) the served store and its N-Triples dump; return both and build s."""
    from kg.store.oxigraph import OxigraphStore
    path = _store_dir(man)
    dump = path.with_name("store-endpoint.nt")
    done = path.with_name("store-endpoint.done")
    stamp = json.dumps({"n": man.n, "seed": man.seed, "generator": man.generator,
                        "triples": man.triples})
    if done.is_file() and done.read_text() == stamp and dump.is_file():
        return path, dump, None
    import pyoxigraph as ox

    from kg.inference import infer
    from kg.loading import parse_file
    from kg.sources import load_vocabularies, write_parsed
    shutil.rmtree(path, ignore_errors=True)
    done.unlink(missing_ok=True)
    start = time.perf_counter()
    store = OxigraphStore(path)
    try:
        load_vocabularies(store)
        write_parsed(store, [parse_file(Path(f)) for f in man.files], validate=False,
                     run_inference=False)
        infer(store)
        store.flush()
        # every triple of every graph: the files, the vocabularies and all entailments
        # (the skos:broaderTransitive closure, and the sub-property triples that make a
        # field's mesh:meansConcept a dct:subject), so both sides give the same answers
        ox.serialize((ox.Triple(q.subject, q.predicate, q.object) for q in store.raw),
                     output=str(dump), format=ox.RdfFormat.N_TRIPLES)
    finally:
        store.close()
    seconds = time.perf_counter() - start
    done.write_text(stamp)
    return path, dump, seconds


# --------------------------------------------------------------------------- servers


def free_port() -> int:
    """Return a loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port: int, path: str, timeout: float = 5.0) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Accept": SPARQL_JSON})
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


def _answer(port: int, path: str, timeout: float = 600.0) -> tuple[int | None, float]:
    """GET once; return the number of result rows (None for HTML) and the seconds taken."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        t0 = time.perf_counter()
        conn.request("GET", path, headers={"Accept": SPARQL_JSON})
        resp = conn.getresponse()
        body = resp.read()
        took = time.perf_counter() - t0
    finally:
        conn.close()
    if resp.status != 200:
        raise RuntimeError(f"HTTP {resp.status} for {path[:120]}: {body[:300]!r}")
    if "json" not in resp.getheader("Content-Type", ""):
        return None, took
    return len(json.loads(body)["results"]["bindings"]), took


def _stop(proc: subprocess.Popen) -> None:
    """Stop a server and its children (its own process group): TERM, then KILL."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(15)
        except subprocess.TimeoutExpired:
            pass
        except ProcessLookupError:
            return
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # sandbox workers left behind, if any
    except ProcessLookupError:
        pass
    proc.wait()


@contextmanager
def server(name: str, cmd: list[str], env: dict, port: int, probe: str,
           log: Path, ready_within: float = 600.0) -> Iterator[dict]:
    """Start a server in its own process group; yield once `probe` answers 200; stop it."""
    log.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}; see {log}")
            try:
                if _get(port, probe) == 200:
                    break
            except OSError:
                pass
            if time.perf_counter() - start > ready_within:
                raise RuntimeError(f"{name} not ready after {ready_within:.0f} s; see {log}")
            time.sleep(0.25)
        yield {"pid": proc.pid, "port": port, "ready_s": time.perf_counter() - start}
    finally:
        _stop(proc)


def meshkg_server(store: Path, port: int, log: Path, threads: int = 8):
    """Run `meshkg serve --no-demo` over the store."""
    exe = shutil.which("meshkg")
    cmd = ([exe] if exe else [sys.executable, "-c", "import sys; from kg.cli import main; "
                                                   "sys.exit(main())"])
    cmd += ["serve", "--no-demo", "--port", str(port), "--threads", str(threads)]
    env = {**os.environ, "MESHKG_STORE": str(store), "MESHKG_LOAD_DEMO": "false"}
    probe = "/sparql?" + urlencode({"query": "ASK {}"})
    return server("meshkg serve", cmd, env, port, probe, log)


def rdflib_server(files: list[str], port: int, log: Path):
    """Run rdflib-endpoint on uvicorn over the files (the baseline)."""
    cmd = [sys.executable, "-m", "bench._endpoint_worker", str(port), *files]
    probe = "/sparql?" + urlencode({"query": "ASK {}"})
    return server("rdflib-endpoint", cmd, dict(os.environ), port, probe, log)


# --------------------------------------------------------------------------- requests


def _iri(iri: str) -> str:
    from rdflib import URIRef

    from kg.store.base import term_to_sparql
    return term_to_sparql(URIRef(iri))


def _text(text: str) -> str:
    from rdflib import Literal

    from kg.store.base import term_to_sparql
    return term_to_sparql(Literal(text))


def _sparql(query: str) -> str:
    return "/sparql?" + urlencode({"query": query})


def request_paths(man: Manifest, kind: str, seed: int = 7) -> list[str]:
    """Return the GET paths one client cycles through for a kind of request."""
    rng = random.Random(seed)
    products = [BASE + f"product/{rng.randrange(man.n)}" for _ in range(200)]
    if kind == "lookup":
        return [_sparql(LOOKUP.replace("#IRI#", _iri(p))) for p in products]
    if kind == "discovery":
        return [_sparql(DISCOVERY.replace("#IRI#", _iri(c))) for c in TOP_CONCEPTS]
    if kind == "discovery-union":
        # the union-graph form: rdflib-endpoint has no search index to read
        return [_sparql(discovery_union(c)) for c in TOP_CONCEPTS]
    if kind == "label":
        terms = rng.sample(SEARCH_TERMS, len(SEARCH_TERMS))
        return [_sparql(LABEL.replace("#TEXT#", _text(t))) for t in terms]
    if kind == "page":
        return ["/product?" + urlencode({"iri": p}) for p in products]
    if kind == "mix":
        parts = [request_paths(man, k, seed) for k in ("lookup", "discovery", "label")]
        # lookup, discovery, label in turn, each walking its own list
        return [parts[i % 3][i // 3 % len(parts[i % 3])] for i in range(600)]
    raise ValueError(kind)


@dataclass
class Cell:
    """The outcome of one (side, kind, clients) run."""

    side: str
    kind: str
    clients: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""
    skipped: str = ""
    load: tuple[float, float] = (0.0, 0.0)

    @property
    def qps(self) -> float:
        """Completed requests per second of wall time."""
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float | None:
        """Return the q-quantile latency in seconds (nearest rank)."""
        if not self.latencies:
            return None
        xs = sorted(self.latencies)
        return xs[min(len(xs) - 1, max(0, round(q * len(xs)) - 1))]

    def as_dict(self) -> dict:
        """Return the figures as plain data."""
        return {"side": self.side, "kind": self.kind, "clients": self.clients,
                "requests": len(self.latencies), "errors": self.errors,
                "first_error": self.first_error, "skipped": self.skipped,
                "seconds": self.seconds, "qps": self.qps,
                "p50_ms": _ms(self.pct(0.5)), "p99_ms": _ms(self.pct(0.99)),
                "load_avg": list(self.load)}


def _ms(s: float | None) -> float | None:
    return None if s is None else s * 1000


def run_cell(port: int, paths: list[str], clients: int, seconds: float,
             timeout: float = 120.0) -> tuple[list[float], int, str, float]:
    """Run `clients` threads against the port for `seconds`; return latencies, errors, wall."""
    lock = threading.Lock()
    latencies: list[float] = []
    errors = [0, ""]
    start = time.perf_counter()
    deadline = start + seconds
    last = [start]

    def client(k: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        mine, i = [], k * 7
        try:
            while time.perf_counter() < deadline:
                path = paths[i % len(paths)]
                i += 1
                t0 = time.perf_counter()
                try:
                    conn.request("GET", path, headers={"Accept": SPARQL_JSON})
                    resp = conn.getresponse()
                    resp.read()
                    ok = resp.status == 200
                    why = f"HTTP {resp.status}"
                except (OSError, http.client.HTTPException) as exc:
                    ok, why = False, f"{type(exc).__name__}: {exc}"
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
                t1 = time.perf_counter()
                if ok:
                    mine.append(t1 - t0)
                else:
                    with lock:
                        errors[0] += 1
                        errors[1] = errors[1] or why
        finally:
            conn.close()
            with lock:
                latencies.extend(mine)
                last[0] = max(last[0], time.perf_counter())

    threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors[0], errors[1], last[0] - start


def measure_side(side: str, port: int, man: Manifest, kinds: list[str], clients: list[int],
                 seconds: float) -> tuple[list[Cell], dict]:
    """Warm up, then run every (kind, clients) cell; return the cells and answer sizes."""
    cells, answers = [], {}
    for kind in kinds:
        paths = request_paths(man, kind)
        warm = [_answer(port, p) for p in paths[:3]]
        answers[kind] = warm[0][0]
        one = statistics.mean(t for _, t in warm)
        for c in clients:
            cell = Cell(side, kind, c)
            # the baseline answers one request at a time: a queue of c slow requests would
            # run far past the cell's time, and on into the next cell
            if one * c > max(3 * seconds, 30):
                cell.skipped = f"one request ≈ {one:.1f} s, {c} in a queue ≈ {one * c:.0f} s"
                cells.append(cell)
                print(f"  {side:16} {kind:10} {c:3} clients: skipped ({cell.skipped})",
                      file=sys.stderr, flush=True)
                continue
            before = os.getloadavg()[0]
            cell.latencies, cell.errors, cell.first_error, cell.seconds = run_cell(
                port, paths, c, seconds)
            cell.load = (before, os.getloadavg()[0])
            cells.append(cell)
            print(f"  {side:16} {kind:10} {c:3} clients: {cell.qps:8.1f} q/s  "
                  f"p50 {_fmt(_ms(cell.pct(0.5)))}  p99 {_fmt(_ms(cell.pct(0.99)))}  "
                  f"({len(cell.latencies)} ok, {cell.errors} errors)", file=sys.stderr,
                  flush=True)
    return cells, answers


# --------------------------------------------------------------------------- report


def _fmt(ms: float | None) -> str:
    if ms is None:
        return "–"
    return f"{ms:,.1f} ms" if ms < 100 else f"{ms:,.0f} ms"


def versions() -> dict[str, str]:
    """Return the versions of Python and the packages the comparison depends on."""
    from importlib.metadata import PackageNotFoundError, version
    out = {"python": sys.version.split()[0]}
    for pkg in ("pyoxigraph", "rdflib", "rdflib-endpoint", "waitress", "uvicorn", "fastapi"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def machine() -> str:
    """Return cores, CPU model and memory of this machine, in one line."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem = next(int(x.split()[1]) for x in Path("/proc/meminfo").read_text().splitlines()
                   if x.startswith("MemTotal"))
        mem_s = f", {mem / 1e6:.0f} GB RAM"
    except (OSError, StopIteration):
        mem_s = ""
    return f"nproc {os.cpu_count()}{', ' + model if model else ''}{mem_s}"


def environment_lines(load: list[float]) -> list[str]:
    """Return the markdown lines naming versions, machine and load average."""
    v = versions()
    lo, hi = (min(load), max(load)) if load else (0.0, 0.0)
    return [f"Versions: {', '.join(f'{k} {x}' for k, x in v.items())}.",
            f"Machine: {machine()}; 1-minute load average during the run {lo:.2f}–{hi:.2f} "
            "(the two cores are shared with other work; clients and servers share them too).",
            f"Run at {time.strftime('%Y-%m-%d %H:%M %Z')}."]


def replace_section(name: str, body: str, path: Path = RESULTS) -> None:
    """Write body between this benchmark's markers in the results file, keeping the rest."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    text = path.read_text() if path.is_file() else (
        "# meshkg: SPARQL endpoint and browser pages\n\n"
        "Written by `python -m bench.endpoint` and `python -m bench.pages`; each replaces "
        "its own section.\n\n")
    block = f"{begin}\n{body.rstrip()}\n{end}"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)


def publish(name: str, record: dict, text: str, no_write: bool) -> None:
    """Write output/<name>.json, print `text` and, unless no_write, make it section `name`."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    (OUTPUT / f"{name}.json").write_text(json.dumps(record, indent=1))
    print(text)
    if not no_write:
        replace_section(name, text)


def _by(cells: list[dict], side: str, kind: str, c: int) -> dict | None:
    return next((x for x in cells if (x["side"], x["kind"], x["clients"]) == (side, kind, c)),
                None)


def table(run: dict) -> str:
    """Return the throughput table of one data size as markdown."""
    cells, clients = run["cells"], run["clients"]
    lines = [f"### {run['n']:,} products ({run['triples']:,} triples generated)", "",
             "| request | clients | meshkg q/s | p50 | p99 | rdflib-endpoint q/s | p50 | p99 "
             "| ratio |",
             "|---|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for kind in KINDS:
        for c in clients:
            m, r = _by(cells, "meshkg", kind, c), _by(cells, "rdflib-endpoint", kind, c)
            if m is None and r is None:
                continue

            def cols(x):
                if x is None:
                    return ["n/a", "", ""]
                if x["skipped"]:
                    return [f"skipped: {x['skipped']}", "", ""]
                err = f" ({x['errors']} errors)" if x["errors"] else ""
                return [f"{x['qps']:,.1f}{err}", _fmt(x["p50_ms"]), _fmt(x["p99_ms"])]
            ratio = (f"{m['qps'] / r['qps']:,.1f}×" if m and r and r["qps"] else "")
            lines.append(f"| {KIND_TITLES[kind]} | {c} | " + " | ".join(cols(m) + cols(r))
                         + f" | {ratio} |")
    lines += ["", "Setup: " + run["setup"]]
    a = run.get("answers", {})
    if a:
        m, r = a.get("meshkg", {}), a.get("rdflib-endpoint", {})
        same = ", ".join(f"{k} {m.get(k)} / {r.get(k, 'n/a')}" for k in m
                         if m.get(k) is not None)
        lines += ["", f"Rows in the first answer of each kind, meshkg / rdflib-endpoint: {same}."]
    return "\n".join(lines)


def _clients(c: int) -> str:
    return f"{c} client" + ("s" if c != 1 else "")


def verdicts(run: dict) -> list[str]:
    """Return the two targets of the endpoint issue, each met or not met, for one size."""
    cells, n = run["cells"], run["n"]
    look = [x for x in cells if x["side"] == "meshkg" and x["kind"] == "lookup"]
    best = max(look, key=lambda x: x["qps"]) if look else None
    mix = [x for x in cells if x["side"] == "meshkg" and x["kind"] == "mix"]
    best_mix = max(mix, key=lambda x: x["qps"]) if mix else None
    out = []
    if best:
        met = "met" if best["qps"] >= 300 else "not met"
        extra = (f"; the three-query mix peaks at {best_mix['qps']:,.0f} q/s "
                 f"({_clients(best_mix['clients'])})" if best_mix else "")
        out.append(f"- {n:,} products, ≥ 300 simple queries/s on 2 cores: **{met}**: IRI "
                   f"lookups peak at {best['qps']:,.0f} q/s ({_clients(best['clients'])})"
                   f"{extra}.")
    for kind in ("discovery", "discovery-union"):
        ratios, skipped = [], []
        for c in run["clients"]:
            m, r = _by(cells, "meshkg", kind, c), _by(cells, "rdflib-endpoint", kind, c)
            if m and r and r["qps"]:
                ratios.append((c, m["qps"] / r["qps"]))
            elif m and r and r["skipped"] and ratios and ratios[0][0] == 1:
                # rdflib-endpoint runs queries on uvicorn's event loop, one at a time: more
                # clients cannot raise its rate above the 1-client cell's
                one = _by(cells, "rdflib-endpoint", kind, 1)["qps"]
                skipped.append(f"≈ {m['qps'] / one:,.1f}× at {c} clients against "
                               "rdflib-endpoint's 1-client rate (its cell skipped)")
        if not ratios:
            continue
        met = "met" if all(x >= 10 for _, x in ratios) else (
            "not met" if all(x < 10 for _, x in ratios) else "met at some client counts only")
        out.append(f"- {n:,} products, ≥ 10× rdflib-endpoint's throughput on discovery, "
                   f"{KIND_TITLES[kind].split('(')[1].rstrip(')')}: **{met}**: "
                   + ", ".join([f"{x:,.1f}× at {_clients(c)}" for c, x in ratios] + skipped)
                   + ".")
    return out


def markdown(runs: list[dict], command: str, load: list[float], notes: list[str]) -> str:
    """Return the endpoint section of RESULTS-endpoint.md."""
    parts = ["## Endpoint throughput (issue: SPARQL 1.1 endpoint, Speed)", "",
             f"Command: `{command}`", "", *environment_lines(load), "",
             "Each cell: that many client threads, one keep-alive connection each, sending "
             "GET requests back to back for the cell's time (requests in flight at the "
             "deadline are waited for); q/s = completed 200 answers / wall time. Latency "
             "is per request, nearest rank. Requests rotate: 200 random products, the 8 top "
             "concepts (each with an eighth of the products below it), 60 two-word label "
             "searches. SPARQL answers are asked for as application/sparql-results+json.",
             "", "Queries (the concept and text vary):", "", "```sparql",
             LOOKUP.replace("#IRI#", "<product>"), "",
             DISCOVERY.replace("#IRI#", "<top>").replace(PREFIXES, ""), "",
             LABEL.replace("#TEXT#", '"daily orders"').replace(PREFIXES, ""), "```", ""]
    for run in runs:
        parts += [table(run), ""]
    parts += ["### Targets", ""]
    for run in runs:
        parts += verdicts(run)
    if notes:
        parts += ["", "### Notes", "", *[f"- {x}" for x in notes]]
    return "\n".join(parts) + "\n"


# --------------------------------------------------------------------------- main


def run_size(n: int, args, load: list[float]) -> dict:
    """Build both servers over n products and measure every cell."""
    man = manifest_for(n)
    store, dump, built = build_store(man)
    out = OUTPUT / f"n{n}"
    setup = [f"meshkg store {'built in ' + format(built, '.1f') + ' s' if built else 'reused'}"
             f" (vocabularies + write_parsed + infer)"]
    cells: list[Cell] = []
    answers: dict[str, dict] = {}
    kinds = [k for k in KINDS if k in args.kinds]
    load.append(os.getloadavg()[0])
    with meshkg_server(store, free_port(), out / "meshkg-serve.log") as info:
        setup.append(f"meshkg serve ready in {info['ready_s']:.1f} s")
        got, answers["meshkg"] = measure_side("meshkg", info["port"], man, kinds,
                                              args.clients, args.seconds)
        cells += got
    load.append(os.getloadavg()[0])
    if not args.skip_baseline:
        with rdflib_server([str(dump)], free_port(), out / "rdflib-endpoint.log") as info:
            setup.append(f"rdflib-endpoint ready (files parsed) in {info['ready_s']:.1f} s")
            got, answers["rdflib-endpoint"] = measure_side(
                "rdflib-endpoint", info["port"], man, [k for k in kinds if k != "page"],
                args.clients, args.seconds)
            cells += got
    load.append(os.getloadavg()[0])
    load += [c.load[1] for c in cells]
    return {"n": n, "triples": man.triples, "clients": args.clients,
            "cells": [c.as_dict() for c in cells], "answers": answers,
            "setup": "; ".join(setup) + "."}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.endpoint", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, action="append", help="products (repeatable; 1000)")
    p.add_argument("--seconds", type=float, default=10.0, help="length of one cell (10)")
    p.add_argument("--clients", type=lambda s: [int(x) for x in s.split(",")],
                   default=[1, 4, 16], help="concurrent clients per cell (1,4,16)")
    p.add_argument("--kinds", type=lambda s: s.split(","), default=list(KINDS),
                   help="requests to measure (" + ",".join(KINDS) + ")")
    p.add_argument("--skip-baseline", action="store_true", help="meshkg only")
    add_results_options(p)
    return p


def add_results_options(p: argparse.ArgumentParser) -> None:
    """Add --no-write and --note, the options of the benchmarks that write a results section."""
    p.add_argument("--no-write", action="store_true", help=f"do not rewrite {RESULTS.name}")
    p.add_argument("--note", action="append", default=[], help="a note for the results")


def _sigterm(*_):
    raise KeyboardInterrupt


def interrupt_on_sigterm() -> None:
    """Make SIGTERM raise KeyboardInterrupt, so that finally-blocks stop the servers."""
    signal.signal(signal.SIGTERM, _sigterm)


def main(argv: list[str] | None = None) -> int:
    """Run the endpoint benchmark for each --n; print the tables, write the results."""
    args = _parser().parse_args(argv)
    sizes = args.n or [1000]
    interrupt_on_sigterm()
    command = "python -m bench.endpoint " + " ".join(sys.argv[1:] if argv is None else argv)
    load: list[float] = []
    runs = []
    try:
        for n in sizes:
            print(f"endpoint benchmark at {n:,} products", file=sys.stderr, flush=True)
            runs.append(run_size(n, args, load))
    except KeyboardInterrupt:
        print("interrupted: servers stopped", file=sys.stderr)
        return 130
    publish("endpoint", {"command": command, "versions": versions(), "runs": runs,
                         "load": load}, markdown(runs, command, load, args.note), args.no_write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
