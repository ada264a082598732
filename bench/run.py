"""Run the benchmark: each step, each side in its own subprocess, then one table."""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from bench._worker import MARK
from bench.generate import ensure

OUTPUT = Path(__file__).resolve().parent / "output"
STEPS = ("load", "infer", "query", "validate", "validate-one", "infer-one")
#: whole-graph baseline step whose run a one-product step reuses (no incremental mode)
REUSE = {"validate-one": "validate", "infer-one": "infer"}
PACKAGES = ("rdflib", "pyoxigraph", "pyshacl", "pyshacl-turbo", "owlrl")


@dataclass(frozen=True)
class Measure:
    """One row of the table and the target it is held to."""

    key: str
    label: str
    step: str
    target: str
    kind: str  # "ratio" (baseline/meshkg ≥ limit) or "max" (meshkg ≤ limit seconds)
    limit: float | None


MEASURES = (
    Measure("load", "load all files (write_parsed)", "load", "≥ 5× rdflib", "ratio", 5),
    Measure("load-bulk", "load all files (raw bulk_load)", "load", "≥ 5× rdflib", "ratio", 5),
    Measure("infer", "entailments after a full load", "infer", "≤ 10 s", "max", 10),
    Measure("discovery", "discovery: concept + narrower, p50", "query", "≤ 5 ms", "max", 0.005),
    Measure("discovery-broad", "discovery: top concept + narrower, p50", "query", "—", "max",
            None),
    Measure("label-search", "label search CONTAINS, p50", "query", "≤ 10 ms", "max", 0.010),
    Measure("validate", "full validation", "validate", "≥ 5× pyshacl", "ratio", 5),
    Measure("validate-one", "one changed product: its file re-loaded", "validate-one",
            "≤ 0.5 s", "max", 0.5),
    Measure("validate-one-add", "one changed product: triples added", "validate-one",
            "≤ 0.5 s", "max", 0.5),
    Measure("infer-one", "entailments after a one-product change", "infer-one", "≤ 0.5 s",
            "max", 0.5),
)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark meshkg against plain rdflib / pySHACL / owlrl on the same "
                    "generated data mesh. Each step runs each side in its own subprocess.")
    p.add_argument("--n", type=int, action="append",
                   help="number of products (repeat for several sizes; default 1000)")
    p.add_argument("--steps", default=",".join(STEPS),
                   help=f"comma-separated steps out of {','.join(STEPS)} (default: all)")
    p.add_argument("--skip-baseline", default="",
                   help="comma-separated steps whose baseline side is not run (e.g. the "
                        "whole-graph pyshacl/owlrl runs at 10,000 products)")
    p.add_argument("--seed", type=int, default=42, help="generator seed (default 42)")
    p.add_argument("--format", choices=("nt", "ttl"), default="nt",
                   help="file format of the generated data (default nt)")
    p.add_argument("--runs", type=int, default=50, help="query repetitions for p50 (default 50)")
    p.add_argument("--query-budget", type=float, default=20.0,
                   help="stop repeating a query after this many seconds (min 3 runs)")
    p.add_argument("--timeout", type=float, default=300.0,
                   help="seconds a baseline pySHACL/owlrl run may take (default 300)")
    p.add_argument("--regenerate", action="store_true", help="regenerate the data")
    p.add_argument("--markdown", type=Path, default=OUTPUT / "results.md",
                   help="where to write the Markdown table (default bench/output/results.md)")
    return p


def _run_worker(side: str, step: str, manifest: Path, args) -> dict:
    cmd = [sys.executable, "-m", "bench._worker", side, step, str(manifest), str(args.runs),
           str(args.query_budget), str(args.timeout)]
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True,
                              timeout=2 * args.timeout + 900)
    except subprocess.TimeoutExpired:
        return {"status": "killed", "rows": {}, "wall": time.perf_counter() - start}
    for line in proc.stdout.splitlines():
        if line.startswith(MARK):
            res = json.loads(line[len(MARK):])
            res["wall"] = time.perf_counter() - start
            return res
    tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
    return {"status": "error", "rows": {}, "error": tail, "wall": time.perf_counter() - start}


def run_size(n: int, steps: list[str], skip: set[str], args) -> dict:
    """Generate (or reuse) the data for n products and run the steps; return the results."""
    out_dir = OUTPUT / f"n{n}"
    man, fresh = ensure(n, out_dir, seed=args.seed, fmt=args.format, force=args.regenerate)
    print(f"\n== N = {n:,}: {man.triples:,} triples in {len(man.files)} files, "
          f"{man.injected_count} injected violations "
          f"({f'generated in {man.seconds:.1f} s' if fresh else 'reused'})", flush=True)
    manifest = out_dir / "manifest.json"
    results: dict[str, dict] = {}
    for step in steps:
        for side in ("baseline", "meshkg"):
            if side == "baseline" and step in skip:
                results[(side, step)] = {"status": "skipped", "rows": {}}
                continue
            whole = results.get((side, REUSE.get(step)))
            if side == "baseline" and whole and whole["status"] in ("ok", "timeout"):
                rows = {m.key: dict(whole["rows"][REUSE[step]],
                                    reused=f"same whole-graph run as '{REUSE[step]}'")
                        for m in MEASURES if m.step == step and whole["rows"]}
                results[(side, step)] = dict(whole, rows=rows, reused=True)
                continue
            print(f"  {step:<13} {side:<9}", end=" ", flush=True)
            res = _run_worker(side, step, manifest, args)
            results[(side, step)] = res
            print(f"{res['status']:<8} {res['wall']:7.1f} s wall"
                  + (f"\n{res['error']}" if res.get("error") else ""), flush=True)
    return {"n": n, "manifest": man.__dict__, "results": {f"{s}:{t}": r for (s, t), r
                                                          in results.items()}}


def _fmt(seconds: float | None, query: bool) -> str:
    if seconds is None:
        return "—"
    if query or seconds < 0.1:
        return f"{seconds * 1000:.2f} ms"
    return f"{seconds:.2f} s"


def rows(run: dict, timeout: float) -> list[dict]:
    """Turn one size's results into table rows with ratios and target status."""
    out = []
    for m in MEASURES:
        b = run["results"].get(f"baseline:{m.step}")
        k = run["results"].get(f"meshkg:{m.step}")
        if b is None and k is None:
            continue
        q = m.step == "query"
        brow = (b or {}).get("rows", {}).get(m.key) or (b or {}).get("rows", {}).get(m.step)
        krow = (k or {}).get("rows", {}).get(m.key)
        bs = brow["seconds"] if brow else None
        ks = krow["seconds"] if krow else None
        if b is None or b["status"] == "skipped":
            btext = "skipped"
        elif b["status"] == "timeout":
            btext = f"> {timeout:.0f} s"
        elif brow is None:
            btext = b["status"]
        else:
            btext = _fmt(bs, q)
        ktext = _fmt(ks, q) if krow else (k or {}).get("status", "—")
        lower = timeout if b and b["status"] == "timeout" else bs
        ratio = None if lower is None or not ks else lower / ks
        rtext = "—" if ratio is None else (
            ("> " if b["status"] == "timeout" else "") + f"{ratio:,.1f}×")
        if m.limit is None or ks is None:
            status = "—"
        elif m.kind == "max":
            status = "met" if ks <= m.limit else "not met"
        elif ratio is None:
            status = "unknown (no baseline)"
        elif ratio >= m.limit:
            status = "met"
        else:
            status = "unknown (bound too low)" if b["status"] == "timeout" else "not met"
        notes = []
        for side, row in (("baseline", brow), ("meshkg", krow)):
            if row:
                notes.append(f"{side}: {row.get('reused') or row.get('detail', '')}")
        out.append({
            "n": run["n"], "measure": m.label, "baseline": btext, "meshkg": ktext,
            "ratio": rtext, "target": m.target, "status": status,
            "peak": f"{_mb(b)} / {_mb(k)}", "notes": "; ".join(notes)})
    return out


def _mb(res: dict | None) -> str:
    if not res or res.get("peak_mb") is None or res.get("reused"):
        return "—"
    return f"{res['peak_mb']:,.0f}"


def markdown(all_rows: list[dict]) -> str:
    """Render the rows as two Markdown tables: figures, then what each side reported."""
    head = ("| N | measure | baseline | meshkg | baseline/meshkg | peak RSS MB (baseline / "
            "meshkg) | target | status |\n|---:|---|---:|---:|---:|---:|---|---|\n")
    body = "".join(
        f"| {r['n']:,} | {r['measure']} | {r['baseline']} | {r['meshkg']} | {r['ratio']} | "
        f"{r['peak']} | {r['target']} | {r['status']} |\n" for r in all_rows)
    notes = "\n| N | measure | what each side reported |\n|---:|---|---|\n" + "".join(
        f"| {r['n']:,} | {r['measure']} | {r['notes']} |\n" for r in all_rows)
    return head + body + notes


def environment() -> str:
    """Describe the versions and the machine."""
    import os
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
        mem = f", {kb / 1024 / 1024:.1f} GiB RAM"
    except OSError:
        pass
    vers = ", ".join(f"{p} {version(p)}" for p in PACKAGES)
    return (f"Python {platform.python_version()}, {vers}; {platform.machine()}, "
            f"nproc {os.cpu_count()}{mem}")


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run every size and print / write the table."""
    args = _parser().parse_args(argv)
    sizes = args.n or [1000]
    steps = [s.strip() for s in args.steps.split(",") if s.strip()]
    skip = {s.strip() for s in args.skip_baseline.split(",") if s.strip()}
    unknown = (set(steps) | skip) - set(STEPS)
    if unknown:
        _parser().error(f"unknown step(s): {', '.join(sorted(unknown))}")
    steps = [s for s in STEPS if s in steps]  # the store needs load before the rest
    OUTPUT.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    runs = [run_size(n, steps, skip, args) for n in sizes]
    all_rows = [r for run in runs for r in rows(run, args.timeout)]
    text = (f"Command: `python -m bench {' '.join(argv if argv is not None else sys.argv[1:])}`"
            f"\n\n{environment()}\n\n{markdown(all_rows)}")
    print("\n" + text)
    print(f"total wall time {time.perf_counter() - start:.0f} s")
    args.markdown.parent.mkdir(parents=True, exist_ok=True)
    args.markdown.write_text(text, encoding="utf-8")
    args.markdown.with_suffix(".json").write_text(json.dumps(runs, indent=1, default=str),
                                                  encoding="utf-8")
    print(f"wrote {args.markdown}")
    return 0
