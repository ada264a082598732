"""How meshkg's cost grows with the number of products, embedded and on Virtuoso.

python -m bench.scale --n 1000,10000,100000 [--backends embedded,virtuoso]
                      [--steps load,discovery,page,validate-one,infer-one,validate]
                      [--budget-s 900]

For each N the mesh is generated (streamed to disk, bench/generate.py), then for
each backend every step runs in its own subprocess (bench/_scale_worker.py) on
the store MESHKG_STORE names, loaded by meshkg's own load path. The peak RSS of
that subprocess is meshkg's memory; Virtuoso's is sampled from /proc of the
virtuoso-t process this benchmark started (bench/virtuoso.py, its own ports and
folder). A step that runs past --budget-s is stopped and recorded as over budget,
with how far it got. Results accumulate in bench/output/scale.json (a re-run
replaces the figures of the same N, backend and step); the table goes to
bench/output/scale.md and the plot to bench/scale.png (python -m bench.plot).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import signal
import subprocess
import sys
import threading
import time
from importlib.metadata import version
from itertools import pairwise
from pathlib import Path

from bench._scale_results import HERE, OUTPUT, STEPS, load_results
from bench._scale_worker import PROGRESS, RESULT
from bench.generate import ensure
from bench.virtuoso import Virtuoso

BACKENDS = ("embedded", "virtuoso")
#: ways of filling a store, each tried when the ones before it did not finish in this run
LOADS = ("load", "bulk-load", "migrate", "export-load")
TITLES = {"load": "load (`meshkg load --no-validate`, with inference)",
          "bulk-load": "fallback load: the engine's bulk loader + `meshkg infer`",
          "migrate": "`meshkg migrate --to` the server, from the embedded store",
          "export-load": "`meshkg export --format nquads` of the embedded store, read by "
                         "Virtuoso's bulk loader",
          "discovery": "discovery query, p50",
          "page": "product page `GET /product`, p50",
          "validate-one": "validation of one changed product, p50",
          "infer-one": "inference after a one-product change, p50",
          "validate": "full validation"}
#: repetitions per step (p50); load and full validation run once
RUNS = {"load": 1, "bulk-load": 1, "migrate": 1, "export-load": 1, "discovery": 20, "page": 10,
        "validate-one": 3, "infer-one": 3, "validate": 1}
PACKAGES = ("pyoxigraph", "rdflib", "pyshacl", "pyshacl-turbo", "flask", "requests")


def _csv(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", default="1000,10000", help="product counts (default 1000,10000)")
    p.add_argument("--backends", default=",".join(BACKENDS),
                   help=f"out of {','.join(BACKENDS)} (default: both)")
    p.add_argument("--steps", default=",".join(STEPS),
                   help=f"out of {','.join(STEPS)} (default: all, in this order)")
    p.add_argument("--budget-s", type=float, default=900.0,
                   help="seconds one step may take before it is stopped (default 900)")
    p.add_argument("--max-rss-gb", type=float, default=12.0,
                   help="stop a step whose meshkg process holds more than this (default 12; "
                        "the machine is shared)")
    p.add_argument("--reuse-store", action="store_true",
                   help="keep a store a previous run loaded (skip `load` when it finished)")
    p.add_argument("--virtuoso-dir", type=Path, default=Path("/tmp/meshkg-bench-virtuoso"),
                   help="scratch folder of the benchmark's own Virtuoso (one database per N)")
    p.add_argument("--virtuoso-ports", default="1112,8891",
                   help="SQL and HTTP ports of that Virtuoso (default 1112,8891)")
    p.add_argument("--virtuoso-buffers", type=int, default=340_000,
                   help="NumberOfBuffers, 8 KB pages (default 340000 ≈ 2.7 GB)")
    p.add_argument("--results", type=Path, default=OUTPUT / "scale.json",
                   help="where results accumulate (default bench/output/scale.json)")
    p.add_argument("--report", action="store_true",
                   help="only write the table and the plot from the results")
    p.add_argument("--seed", type=int, default=42)
    return p


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1000
    except OSError:
        pass
    return 0.0


def _watch(pid: int, server: Virtuoso | None, cap_mb: float, stop: threading.Event,
           peak: list[float], capped: list[bool]) -> None:
    """Sample the server's memory each second; stop the worker past the memory cap."""
    while not stop.is_set():
        mem = server.memory_mb() if server else None
        if mem:
            peak[0] = max(peak[0], mem["rss_mb"])
        if _rss_mb(pid) > cap_mb:
            capped[0] = True
            os.killpg(pid, signal.SIGKILL)
        stop.wait(1.0)


def run_step(step: str, manifest: Path, env: dict, budget: float,
             server: Virtuoso | None, cap_mb: float = 12_000) -> dict:
    """Run one step in a subprocess within the budget and memory cap; return its figures."""
    cmd = [sys.executable, "-m", "bench._scale_worker", step, str(manifest), str(RUNS[step])]
    backend = "virtuoso" if server is not None else "embedded"
    log = manifest.parent / f"scale-{backend}-{step}.stderr"
    start = time.perf_counter()
    peak, capped = [0.0], [False]
    stop = threading.Event()
    lines: list[str] = []
    with log.open("w") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True, env=env,
                                start_new_session=True)
        threading.Thread(target=_watch, args=(proc.pid, server, cap_mb, stop, peak, capped),
                         daemon=True).start()
        reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
        reader.start()
        timer = threading.Timer(budget, lambda: os.killpg(proc.pid, signal.SIGKILL))
        timer.start()
        # wait4 gives the child's own peak RSS, also when it had to be stopped
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        timer.cancel()
        reader.join(5)
    stop.set()
    wall = time.perf_counter() - start
    res: dict = {"status": "error", "wall": wall, "peak_rss_mb": usage.ru_maxrss / 1000}
    progress = [json.loads(x[len(PROGRESS):]) for x in lines if x.startswith(PROGRESS)]
    if progress:
        res["progress"] = progress[-1]
    for x in lines:
        if x.startswith(RESULT):
            res.update(json.loads(x[len(RESULT):]), status="ok")
    if res["status"] != "ok":
        if capped[0]:
            res["status"] = "over memory"
            res["error"] = f"stopped at {cap_mb / 1000:.0f} GB RSS after {wall:.0f} s"
        elif proc.returncode == -signal.SIGKILL and wall >= budget - 1:
            res["status"] = "over budget"
        else:
            tail = log.read_text(errors="replace").strip().splitlines()
            res["error"] = (tail[-1] if tail else f"exit {proc.returncode}")[-400:]
    if server is not None:
        res["server_peak_mb"] = peak[0]
        mem = server.memory_mb()
        res["server_rss_mb"] = mem["rss_mb"] if mem else None
    return res


def _env(backend: str, n: int, server: Virtuoso | None, store_dir: Path, budget: float) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MESHKG_")}
    env["PYTHONPATH"] = os.pathsep.join([str(HERE.parent), env.get("PYTHONPATH", "")])
    env["MESHKG_REMOTE_TIMEOUT"] = str(budget)
    if backend == "virtuoso":
        env["MESHKG_STORE"] = server.store
        env["MESHKG_GSP_URL"] = server.gsp_url
        env["MESHKG_BENCH_VIRTUOSO_SQL"] = str(server.sql_port)
        env["MESHKG_BENCH_EMBEDDED"] = str(store_dir)
        env["MESHKG_BENCH_EXPORT_DIR"] = str(store_dir.parent / "export")
    else:
        env["MESHKG_STORE"] = str(store_dir)
    return env


def run_backend(n: int, backend: str, steps: list[str], args, results: dict) -> None:
    """Prepare the store of one backend for n products and run the steps on it."""
    man, _ = ensure(n, OUTPUT / f"n{n}", seed=args.seed)
    manifest = OUTPUT / f"n{n}" / "manifest.json"
    store_dir = OUTPUT / f"n{n}" / "scale-store"
    sql_port, http_port = (int(x) for x in _csv(args.virtuoso_ports))
    server = None
    statuses = {results.get(_key(n, backend, s), {}).get("status") for s in LOADS}
    # a load stopped at its budget may have written all data but not all entailments
    partial = "ok" not in statuses and "over budget" in statuses
    reuse = args.reuse_store and ("ok" in statuses or partial)
    if backend == "virtuoso":
        server = Virtuoso(args.virtuoso_dir / f"n{n}", sql_port=sql_port, http_port=http_port,
                          buffers=args.virtuoso_buffers, dirty=args.virtuoso_buffers * 3 // 4,
                          data_dirs=(str((OUTPUT / f"n{n}" / "data").resolve()),
                                     str((OUTPUT / f"n{n}" / "export").resolve())))
        server.stop()
        server.start(fresh=not reuse)
    elif not reuse:
        shutil.rmtree(store_dir, ignore_errors=True)
    env = _env(backend, n, server, store_dir, args.budget_s)
    started = time.strftime("%Y-%m-%d %H:%M")
    try:
        for step in steps:
            if step in LOADS and reuse:
                print(f"  {n:>7,} {backend:<9} {step:<13} store reused", flush=True)
                continue
            if step in ("migrate", "export-load") and (
                    server is None or not (store_dir / "CURRENT").is_file()):
                continue  # copies the embedded store of the same N to the server
            if step in ("bulk-load", "migrate", "export-load"):
                if any(results.get(_key(n, backend, s), {}).get("status") == "ok"
                       and results[_key(n, backend, s)].get("at") == started
                       for s in LOADS[:LOADS.index(step)]):
                    continue  # only a fallback when an earlier way of loading did not finish
                # a stopped load may have left part of the data: start from empty
                if server is not None:
                    server.stop()
                    server.start(fresh=True)
                else:
                    shutil.rmtree(store_dir, ignore_errors=True)
            if step not in LOADS and not any(
                    results.get(_key(n, backend, s), {}).get("status") == "ok"
                    and results[_key(n, backend, s)].get("at") == started
                    for s in LOADS) and not reuse:
                # nothing was loaded in this run: figures on an empty store would mislead
                results[_key(n, backend, step)] = dict(
                    status="not run", wall=0.0, peak_rss_mb=0.0, n=n, backend=backend,
                    step=step, triples=man.triples, load_avg=os.getloadavg()[0],
                    at=started, commit=_commit(), error="no store: neither load finished")
                _save(results, args.results)
                print(f"  {n:>7,} {backend:<9} {step:<13} not run (no store)", flush=True)
                continue
            print(f"  {n:>7,} {backend:<9} {step:<13}", end=" ", flush=True)
            res = run_step(step, manifest, env, args.budget_s, server, args.max_rss_gb * 1000)
            if step == "load" and server is not None and res["status"] == "ok":
                t0 = time.perf_counter()
                server.checkpoint()
                res["checkpoint_s"] = time.perf_counter() - t0
                res["disk_mb"] = server.disk_mb()
            elif step == "load" and res["status"] == "ok":
                res["disk_mb"] = sum(f.stat().st_size for f in store_dir.rglob("*")
                                     if f.is_file()) / 1e6
            if reuse and partial and res.get("detail"):
                res["detail"] += "; on a store whose load ran over budget (entailments partial)"
            res.update(n=n, backend=backend, step=step, triples=man.triples,
                       load_avg=os.getloadavg()[0], at=started, commit=_commit())
            results[_key(n, backend, step)] = res
            _save(results, args.results)
            print(f"{res['status']:<11} {_cell(res)}  (wall {res['wall']:.0f} s, load avg "
                  f"{res['load_avg']:.1f})" + (f"\n      {res['error']}" if "error" in res
                                                else ""), flush=True)
    finally:
        if server is not None:
            server.stop()


def _key(n: int, backend: str, step: str) -> str:
    return f"{n}:{backend}:{step}"


def _commit() -> str:
    """The code measured: `git describe` of this checkout, or $MESHKG_BENCH_COMMIT (a copy)."""
    if os.environ.get("MESHKG_BENCH_COMMIT"):
        return os.environ["MESHKG_BENCH_COMMIT"]
    try:
        out = subprocess.run(["git", "-C", str(HERE.parent), "describe", "--always", "--dirty"],
                             capture_output=True, text=True, timeout=10)
        return out.stdout.strip() or "?"
    except OSError:
        return "?"


def _save(results: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=1), encoding="utf-8")


def _time(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:,.1f} ms"
    if seconds < 100:
        return f"{seconds:,.2f} s"
    return f"{seconds:,.0f} s"


def _cell(res: dict | None) -> str:
    """One table cell: time and meshkg's peak RSS (and the server's, on Virtuoso)."""
    if res is None:
        return "—"
    mem = f"{res['peak_rss_mb']:,.0f} MB"
    if res.get("server_peak_mb"):
        mem += f" (+ server {res['server_peak_mb']:,.0f})"
    if res["status"] == "ok":
        return f"{_time(res['seconds'])} · {mem}"
    if res["status"] == "not run":
        return "not run (nothing loaded)"
    if res["status"] == "over memory":
        return f"stopped over the memory cap ({res['wall']:,.0f} s) · {mem}"
    if res["status"] == "over budget":
        got = res.get("progress")
        how = f", {got['done']:,} of {got['of']:,} done" if got else ""
        return f"over budget ({res['wall']:,.0f} s{how}) · {mem}"
    return f"failed: {_short(res.get('error', '?'))} · {mem}"


def _short(error: str) -> str:
    """The server's or the exception's own words, without the URL and class in front."""
    at = error.rfind("Error ")
    text = error[at:] if at >= 0 else error.split(": ", 1)[-1]
    return text if len(text) <= 90 else text[:87] + "…"


def exponent(results: dict, backend: str, step: str, n1: int, n2: int) -> float | None:
    """Return b in time ∝ N^b between two sizes, when both finished."""
    a = results.get(_key(n1, backend, step))
    b = results.get(_key(n2, backend, step))
    if not a or not b or a["status"] != "ok" or b["status"] != "ok" or not a["seconds"]:
        return None
    return math.log(b["seconds"] / a["seconds"]) / math.log(n2 / n1)


def markdown(results: dict) -> str:
    """Render the results: one table (step × N·backend), growth exponents, details."""
    sizes = sorted({r["n"] for r in results.values()})
    backends = [b for b in BACKENDS if any(r["backend"] == b for r in results.values())]
    cols = [(n, b) for n in sizes for b in backends]
    lines = ["| step | " + " | ".join(f"{n:,} {b}" for n, b in cols) + " |",
             "|---|" + "---:|" * len(cols)]
    for step in STEPS:
        if not any(r["step"] == step for r in results.values()):
            continue
        lines.append(f"| {TITLES[step]} | " + " | ".join(
            _cell(results.get(_key(n, b, step))) for n, b in cols) + " |")
    if len(sizes) < 2:
        return "\n".join(lines) + "\n"
    lines += ["", "Growth: b in time ∝ N^b between consecutive sizes (1 = linear in the "
              "number of products, 0 = flat).", "",
              "| step | " + " | ".join(f"{b} {n1:,}→{n2:,}" for b in backends
                                      for n1, n2 in pairwise(sizes)) + " |",
              "|---|" + "---:|" * (len(backends) * max(0, len(sizes) - 1))]
    for step in STEPS:
        cells = []
        for b in backends:
            for n1, n2 in pairwise(sizes):
                e = exponent(results, b, step, n1, n2)
                cells.append("—" if e is None else f"{e:.2f}")
        if any(c != "—" for c in cells):
            lines.append(f"| {TITLES[step]} | " + " | ".join(cells) + " |")
    lines += ["", "| N | backend | step | what it did | load avg | when, code |",
              "|---:|---|---|---|---:|---|"]
    for n in sizes:
        for b in backends:
            for step in STEPS:
                r = results.get(_key(n, b, step))
                if r is None:
                    continue
                extra = []
                if "checkpoint_s" in r:
                    extra.append(f"checkpoint after it {r['checkpoint_s']:.1f} s")
                if r.get("disk_mb"):
                    extra.append(f"on disk {r['disk_mb']:,.0f} MB")
                what = "; ".join([r.get("detail") or r.get("error", "") or r["status"]] + extra)
                lines.append(f"| {n:,} | {b} | {step} | {what.replace('|', '/')} | "
                             f"{r['load_avg']:.1f} | {r['at']}, {r['commit']} |")
    return "\n".join(lines) + "\n"


def environment() -> str:
    """Describe the versions and the machine."""
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            mem = f", {int(f.readline().split()[1]) / 1024 / 1024:.1f} GiB RAM"
    except OSError:
        pass
    try:
        virt = subprocess.run(["virtuoso-t", "-?"], capture_output=True, text=True,
                              timeout=10)
        vline = next((x for x in (virt.stdout + virt.stderr).splitlines()
                      if "Version" in x), "").strip()
    except OSError:
        vline = "virtuoso-t not found"
    vers = ", ".join(f"{p} {version(p)}" for p in PACKAGES)
    return (f"Python {platform.python_version()}, {vers}; Virtuoso: {vline}; "
            f"{platform.machine()}, nproc {os.cpu_count()}{mem}")


def main(argv: list[str] | None = None) -> int:
    """Run every size × backend × step; write the results, the table and the plot."""
    args = _parser().parse_args(argv)
    sizes = [int(x) for x in _csv(args.n)]
    backends = _csv(args.backends)
    steps = _csv(args.steps)
    bad = (set(backends) - set(BACKENDS)) | (set(steps) - set(STEPS))
    if bad:
        _parser().error(f"unknown backend(s) or step(s): {', '.join(sorted(bad))}")
    steps = [s for s in STEPS if s in steps]  # load first, full validation last
    if "virtuoso" in backends and shutil.which("virtuoso-t") is None:
        _parser().error("virtuoso-t not found (apt-get install virtuoso-opensource-7-bin)")
    results = load_results(args.results)
    start = time.perf_counter()
    for n in [] if args.report else sizes:
        man, fresh = ensure(n, OUTPUT / f"n{n}", seed=args.seed)
        print(f"== N = {n:,}: {man.triples:,} triples "
              f"({f'generated in {man.seconds:.0f} s' if fresh else 'reused'})", flush=True)
        for backend in backends:
            run_backend(n, backend, steps, args, results)
    text = environment() + "\n\n" + markdown(results)
    (OUTPUT / "scale.md").write_text(text, encoding="utf-8")
    print("\n" + text)
    print(f"total wall time {time.perf_counter() - start:.0f} s; wrote {args.results} and "
          f"{OUTPUT / 'scale.md'}")
    try:
        from bench.plot import plot
        print(f"plot: {plot(results, HERE / 'scale.png')}")
    except ImportError:
        print("no plot: pip install -e '.[bench]' (matplotlib)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
