"""Reliability under concurrency, kills and runaway clients, against a real `meshkg serve`.

    python -m bench.reliability [--writers 8] [--writes 50] [--kills 10] [--seconds 20]
                                [--parts concurrency,kills,fairness] [--no-write]

1. Concurrent writers: `--writers` clients each send `--writes` writes at once through
   SPARQL Update, through Graph Store POST, and across both paths; every acknowledged
   write is looked up afterwards (lost = acknowledged and absent).
2. kill -9: `meshkg load` of a generated file is killed at a random moment `--kills`
   times; each time the store is reopened as the CLI and the browser open it (derived
   state recovered) and checked: it opens, every source graph has its entailments, no
   write is left underived, and `meshkg validate` runs.
3. Runaway fairness: two clients (127.0.0.2, 127.0.0.3; two threads each) repeat a
   cartesian query for `--seconds`; a third client's simple queries and home page are
   timed (p50/p99), and once without the attackers for comparison.

Prints one table and writes bench/RESULTS-reliability.md (command, versions, load); a run
of only some `--parts` prints and keeps the file. Only loopback addresses are used; every
loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import os
import platform
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from importlib.metadata import version
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS-reliability.md"
PARTS = ("concurrency", "kills", "fairness")
TOKEN = "bench-steward-token"
COMMENT = "http://www.w3.org/2000/01/rdf-schema#comment"
RUNAWAY = ("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . "
           "FILTER(CONCAT(STR(?c), STR(?f), STR(?i), STR(?l)) = \"never\") }")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """A `meshkg serve` process over a fresh store holding the demo mesh."""

    def __init__(self, folder: Path, **env: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environ = {**os.environ, "MESHKG_UPDATES_ENABLED": "true",
                   "MESHKG_STEWARD_TOKENS": "sha256:" + hashlib.sha256(TOKEN.encode()).hexdigest(),
                   **env}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kg.cli", "--store", str(folder), "serve",
             "--port", str(self.port)], env=environ, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                if request(self, "GET", "/", timeout=5)[0] == 200:
                    return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise SystemExit("meshkg serve did not answer within 180 s")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def request(server, method: str, path: str, *, body: bytes | None = None,
            headers: dict | None = None, source: str = "127.0.0.1",
            timeout: float = 120.0) -> tuple[int, bytes, float]:
    """One HTTP request from a loopback source address: (status, body, seconds)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout,
                                      source_address=(source, 0))
    started = time.monotonic()
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read(), time.monotonic() - started
    finally:
        conn.close()


def _auth(extra: dict | None = None) -> dict:
    return {"Authorization": f"Bearer {TOKEN}", **(extra or {})}


def _update(server, graph: str, subject: str):
    text = f'INSERT DATA {{ GRAPH <{graph}> {{ <{subject}> <{COMMENT}> "bench" }} }}'
    return request(server, "POST", "/sparql", body=urllib.parse.urlencode(
        {"update": text}).encode(), headers=_auth(
        {"Content-Type": "application/x-www-form-urlencoded"}))


def _post(server, graph: str, subject: str):
    return request(server, "POST", "/graph-store?" + urllib.parse.urlencode({"graph": graph}),
                   body=f'<{subject}> <{COMMENT}> "bench" .'.encode(),
                   headers=_auth({"Content-Type": "text/turtle"}))


def _ask(server, graph: str, subject: str, source: str = "127.0.0.1") -> bool:
    q = f"ASK {{ GRAPH <{graph}> {{ <{subject}> <{COMMENT}> ?o }} }}"
    status, body, _ = request(server, "GET", "/sparql?" + urllib.parse.urlencode(
        {"query": q}), headers={"Accept": "application/sparql-results+json"}, source=source)
    return status == 200 and b"true" in body


def concurrency(server, writers: int, writes: int) -> list[dict]:
    """Writers at once through each path and across paths; count what was lost."""
    rows = []
    for path in ("SPARQL Update", "Graph Store POST", "across both"):
        acked, failed, times = [], [], []
        lock = threading.Lock()
        tag = path.split()[0].lower()

        def writer(n: int, path=path, tag=tag, acked=acked, failed=failed, times=times,
                   lock=lock):
            for i in range(writes):
                use_update = path == "SPARQL Update" or (path == "across both" and n % 2)
                graph = f"urn:meshkg:graph:curated:bench-{tag}"
                subject = f"https://demo.meshkg.org/id/bench/{tag}/{n}-{i}"
                status, body, seconds = (_update if use_update else _post)(
                    server, graph, subject)
                with lock:
                    times.append(seconds)
                    (acked if status in (200, 201, 204) else failed).append(
                        (graph, subject, status))

        started = time.monotonic()
        threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.monotonic() - started
        lost = [a for a in acked if not _ask(server, a[0], a[1])]
        rows.append({"path": path, "writes": writers * writes, "acknowledged": len(acked),
                     "refused": len(failed), "lost": len(lost), "seconds": wall,
                     "per second": len(acked) / wall if wall else 0.0,
                     "p50": statistics.median(times), "p99": _p99(times)})
    return rows


def _p99(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(0.99 * (len(values) - 1))))]


def kills(folder: Path, count: int) -> dict:
    """kill -9 `meshkg load` at random moments; reopen and check the store each time."""
    from bench.generate import ensure
    out = Path(__file__).resolve().parent / "output" / "n2000"
    manifest, _ = ensure(2000, out)
    files = sorted(manifest.files)[:6]
    store = folder / "killed"
    shutil.rmtree(store, ignore_errors=True)
    rng = random.Random(7)
    survived, problems, finished = 0, [], 0
    for k in range(count):
        proc = subprocess.Popen([sys.executable, "-m", "kg.cli", "--store", str(store),
                                 "load", *files], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.2, 8.0))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        else:
            finished += 1
        proc.wait()
        trouble = _check_after_kill(store)
        if trouble:
            problems.append(f"kill {k}: {trouble}")
        else:
            survived += 1
    return {"kills": count, "load finished before the kill": finished,
            "consistent after reopening": survived, "problems": problems}


def _check_after_kill(store: Path) -> str | None:
    code = (
        "import sys\n"
        "from kg.store.oxigraph import OxigraphStore\n"
        "from kg.inference import recover, source_graphs, instance_graph, _pending\n"
        f"s = OxigraphStore({str(store)!r})\n"
        "recover(s)\n"
        "missing = [g for g in source_graphs(s) if g.startswith('file:')\n"
        "           and not s.has_graph(instance_graph(g))]\n"
        "left = _pending(s)\n"
        "s.close()\n"
        "print(missing, left)\n"
        "sys.exit(1 if missing or left else 0)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=600)
    if proc.returncode != 0:
        return (proc.stdout + proc.stderr).strip()[-300:]
    proc = subprocess.run([sys.executable, "-m", "kg.cli", "--store", str(store), "validate"],
                          capture_output=True, text=True, timeout=600)
    if proc.returncode not in (0, 1):
        return f"meshkg validate exit {proc.returncode}: {proc.stderr.strip()[-300:]}"
    return None


def fairness(server, seconds: float) -> list[dict]:
    """A client's simple queries and home page timed, without and with runaway clients."""
    rows = []
    for attacked in (False, True):
        stop = threading.Event()
        refused = []

        def attacker(source: str, refused=refused, stop=stop):
            while not stop.is_set():
                status, _, _ = request(server, "GET", "/sparql?" + urllib.parse.urlencode(
                    {"query": RUNAWAY}), source=source,
                    headers={"Accept": "application/sparql-results+json"})
                refused.append(status)

        threads = [threading.Thread(target=attacker, args=(src,)) for src in
                   ("127.0.0.2", "127.0.0.2", "127.0.0.3", "127.0.0.3")] if attacked else []
        for t in threads:
            t.start()
        time.sleep(1.0 if attacked else 0)
        queries, pages = [], []
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            status, _, s = request(server, "GET", "/sparql?" + urllib.parse.urlencode(
                {"query": "ASK { ?s ?p ?o }"}),
                headers={"Accept": "application/sparql-results+json"})
            queries.append(s if status == 200 else float("inf"))
            status, _, s = request(server, "GET", "/")
            pages.append(s if status == 200 else float("inf"))
            time.sleep(0.1)
        stop.set()
        for t in threads:
            t.join()
        rows.append({"attackers": 2 if attacked else 0, "requests": len(queries),
                     "query p50": statistics.median(queries), "query p99": _p99(queries),
                     "page p50": statistics.median(pages), "page p99": _p99(pages),
                     "attacker answers": len(refused),
                     "attacker 503": sum(1 for s in refused if s == 503)})
    return rows


def _ms(x: float) -> str:
    return "failed" if x == float("inf") else f"{x * 1000:.0f} ms"


def report(args, conc, kill, fair) -> str:
    """The Markdown of RESULTS-reliability.md."""
    load = os.getloadavg()
    lines = [
        "# Reliability: concurrency, kill -9 and runaway clients", "",
        f"Command: `python -m bench.reliability {' '.join(sys.argv[1:])}`  ",
        f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; Python "
        f"{platform.python_version()}, pyoxigraph {version('pyoxigraph')}, waitress "
        f"{version('waitress')}; {os.cpu_count()} cores; load average at the end "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}.", ""]
    if conc is not None:
        lines += _concurrency_lines(args, conc)
    if kill is not None:
        lines += _kill_lines(kill)
    if fair is not None:
        lines += _fairness_lines(args, fair)
    return "\n".join(lines) + "\n"


def _concurrency_lines(args, conc) -> list[str]:
    lines = ["## Concurrent writers (a real `meshkg serve` over the demo mesh)", "",
             f"{args.writers} writers × {args.writes} writes each, all at once "
             "(writes/s: acknowledged writes over the wall time).", "",
             "| path | writes | acknowledged | refused | lost | wall | writes/s | p50 | p99 |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in conc:
        lines.append(f"| {r['path']} | {r['writes']} | {r['acknowledged']} | {r['refused']} "
                     f"| **{r['lost']}** | {r['seconds']:.1f} s | {r['per second']:.1f} "
                     f"| {_ms(r['p50'])} | {_ms(r['p99'])} |")
    return lines + [""]


def _kill_lines(kill) -> list[str]:
    lines = ["## kill -9 during `meshkg load`", "",
             f"{kill['kills']} kills at random moments (0.2–8 s) of a load of 6 files generated "
             "by bench/generate.py at 2,000 products"
             f"; the load had finished before {kill['load finished before the kill']} "
             "of them. After each, the store is reopened as the CLI and the browser open it "
             "and checked (every source graph has its entailments, no write left "
             "underived, `meshkg validate` runs).", "",
             f"Consistent after reopening: **{kill['consistent after reopening']} of "
             f"{kill['kills']}**."]
    lines += [f"- {p}" for p in kill["problems"]]
    return lines + [""]


def _fairness_lines(args, fair) -> list[str]:
    lines = ["## Runaway clients", "",
             "Two clients (127.0.0.2, 127.0.0.3, two threads each) repeat a cartesian "
             f"query (query_timeout 4 s) for {args.seconds:g} s; a third client sends a "
             "simple ASK and loads the home page every 100 ms.", "",
             "| attackers | requests | ASK p50 | ASK p99 | home p50 | home p99 | "
             "attacker answers | of them 503 |", "|---|---|---|---|---|---|---|---|"]
    for r in fair:
        lines.append(f"| {r['attackers']} | {r['requests']} | {_ms(r['query p50'])} "
                     f"| {_ms(r['query p99'])} | {_ms(r['page p50'])} | {_ms(r['page p99'])} "
                     f"| {r['attacker answers']} | {r['attacker 503']} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run the three parts and write RESULTS-reliability.md."""
    p = argparse.ArgumentParser(prog="python -m bench.reliability", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--writers", type=int, default=8)
    p.add_argument("--writes", type=int, default=50)
    p.add_argument("--kills", type=int, default=10)
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--parts", default=",".join(PARTS),
                   help=f"which parts to run, comma-separated (default: {','.join(PARTS)})")
    p.add_argument("--no-write", action="store_true", help="print only, keep RESULTS")
    args = p.parse_args(argv)
    parts = [x.strip() for x in args.parts.split(",") if x.strip()]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        p.error(f"unknown part {', '.join(unknown)}; known: {', '.join(PARTS)}")
    conc = kill = fair = None
    with tempfile.TemporaryDirectory(prefix="meshkg-reliability-") as tmp:
        folder = Path(tmp)
        if "concurrency" in parts or "fairness" in parts:
            server = Served(folder / "store", MESHKG_QUERY_TIMEOUT="4")
            try:
                if "concurrency" in parts:
                    conc = concurrency(server, args.writers, args.writes)
                if "fairness" in parts:
                    fair = fairness(server, args.seconds)
            finally:
                server.stop()
        if "kills" in parts:
            kill = kills(folder, args.kills)
    text = report(args, conc, kill, fair)
    print(text)
    if not args.no_write and set(parts) == set(PARTS):
        RESULTS.write_text(text, encoding="utf-8")
    lost = sum(r["lost"] for r in conc or ())
    return 1 if lost or (kill and kill["problems"]) else 0


if __name__ == "__main__":
    sys.exit(main())
