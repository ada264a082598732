"""Browser page render times: p50/p99 of the meaning-first pages under `meshkg serve`.

python -m bench.pages --n 1000 [--n 10000] [--requests 30] [--warmup 3]

One client, one keep-alive connection, each page asked for --warmup times and
then --requests times (product and concept pages rotate over different IRIs),
against the same store bench.endpoint builds (it is built here when missing).
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import sys
import time
from urllib.parse import urlencode

from bench.endpoint import (
    OUTPUT,
    TOP_CONCEPTS,
    add_results_options,
    build_store,
    environment_lines,
    free_port,
    interrupt_on_sigterm,
    manifest_for,
    meshkg_server,
    publish,
)
from bench.generate import _CONCEPT_WORDS, BASE, Manifest

TARGET_MS = 50.0
PAGES = ("home", "concept-top", "concept-leaf", "product", "search", "search-broad",
         "suggest")
TITLES = {"home": "home `/`", "concept-top": "concept page, top concept",
          "concept-leaf": "concept page, leaf concept", "product": "product page",
          "search": "search `/search?q=daily orders`",
          "search-broad": "broad search `/search?q=data` (every product matches)",
          "suggest": "`/suggest?q=ord`"}


def page_paths(man: Manifest, page: str, count: int, seed: int = 11) -> list[str]:
    """Return `count` paths for a page, rotating IRIs where the page takes one."""
    rng = random.Random(seed)
    if page == "home":
        iris = [None]
    elif page == "concept-top":
        iris = TOP_CONCEPTS
    elif page == "concept-leaf":
        iris = [BASE + f"concept/{rng.choice(_CONCEPT_WORDS).lower()}-"
                + "-".join(str(rng.randrange(4)) for _ in range(3)) for _ in range(count)]
    elif page == "product":
        iris = [BASE + f"product/{rng.randrange(man.n)}" for _ in range(count)]
    elif page == "search":
        return ["/search?" + urlencode({"q": "daily orders"})] * count
    elif page == "search-broad":
        return ["/search?" + urlencode({"q": "data"})] * count
    elif page == "suggest":
        return ["/suggest?" + urlencode({"q": "ord"})] * count
    else:
        raise ValueError(page)
    base = {"home": "/", "concept-top": "/concept", "concept-leaf": "/concept",
            "product": "/product"}[page]
    return [base if iri is None else base + "?" + urlencode({"iri": iri})
            for iri in (iris[i % len(iris)] for i in range(count))]


def _time(conn: http.client.HTTPConnection, path: str) -> tuple[float, int, int]:
    t0 = time.perf_counter()
    conn.request("GET", path, headers={"Accept": "text/html,application/json;q=0.9"})
    resp = conn.getresponse()
    body = resp.read()
    return time.perf_counter() - t0, resp.status, len(body)


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(q * len(xs)) - 1))] * 1000


def measure(port: int, man: Manifest, requests: int, warmup: int,
            budget: float, timeout: float) -> list[dict]:
    """Time every page: warm-ups, then the timed requests; return one row per page.

    A page stops early once it has used `budget` seconds and has 5 timed requests,
    and at its first request that takes longer than `timeout` (recorded as an error).
    """
    rows = []
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        for page in PAGES:
            paths = page_paths(man, page, warmup + requests)
            times, sizes, bad, first = [], [], [], None
            start = time.perf_counter()
            for i, path in enumerate(paths):
                if len(times) >= 5 and time.perf_counter() - start > budget:
                    break
                try:
                    took, status, size = _time(conn, path)
                except TimeoutError:
                    bad.append(f"no answer within {timeout:.0f} s")
                    conn.close()  # the next page gets a fresh connection
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
                    break
                if i == 0:
                    first = took
                if status != 200:
                    bad.append(f"HTTP {status} {path}")
                elif i >= warmup:
                    times.append(took)
                    sizes.append(size)
            row = {"page": page, "requests": len(times), "errors": len(bad),
                   "first_error": bad[0] if bad else "",
                   "p50_ms": _pct(times, 0.5) if times else None,
                   "p99_ms": _pct(times, 0.99) if times else None,
                   "first_ms": first * 1000 if first is not None else None,
                   "kb": sum(sizes) / len(sizes) / 1000 if sizes else None,
                   "load_avg": os.getloadavg()[0]}
            rows.append(row)
            print(f"  {page:13} p50 {row['p50_ms'] or 0:7.1f} ms  p99 {row['p99_ms'] or 0:7.1f} ms"
                  f"  first {row['first_ms'] or 0:7.1f} ms  ({len(times)} ok, {len(bad)} errors)",
                  file=sys.stderr, flush=True)
    finally:
        conn.close()
    return rows


def markdown(runs: list[dict], command: str, load: list[float], notes: list[str]) -> str:
    """Return the pages section of RESULTS-endpoint.md."""
    sizes = [r["n"] for r in runs]
    head = ("| page | " + " | ".join(f"p50 at {n:,} | p99 at {n:,} | first at {n:,} | n"
                                     for n in sizes)
            + f" | size at {sizes[-1]:,} |")
    lines = ["## Page render times (issue: the meaning-first browser, Quality)", "",
             f"Command: `{command}`", "", *environment_lines(load), "",
             "One client, one keep-alive connection to `meshkg serve --no-demo --threads 8`; "
             "per page 3 warm-ups then 30 timed requests (unless the command says otherwise; "
             "a page stops early past `--budget` seconds once it has 5), the count is in "
             "the `n` column; "
             "wall time from request to the last byte, nearest-rank percentiles; `first` is "
             "the page's first request, before its warm-ups (what the server keeps between "
             "requests is not there yet, though earlier pages may have filled some). Product and "
             "concept pages rotate over different IRIs; top concepts have an eighth of all "
             "products below them.", "", head,
             "|---|" + "--:|--:|--:|--:|" * len(sizes) + "--:|"]
    for page in PAGES:
        cells, kb = [], None
        for run in runs:
            row = next(r for r in run["rows"] if r["page"] == page)
            err = f" ({row['first_error']})" if row["errors"] else ""
            cells += [f"{row['p50_ms']:,.1f} ms{err}" if row["p50_ms"] is not None
                      else f"– ({row['first_error']})",
                      f"{row['p99_ms']:,.1f} ms" if row["p99_ms"] is not None else "–",
                      f"{row['first_ms']:,.0f} ms" if row.get("first_ms") is not None else "–",
                      str(row["requests"])]
            kb = row["kb"]
        lines.append(f"| {TITLES[page]} | " + " | ".join(cells)
                     + (f" | {kb:,.0f} kB |" if kb else " | – |"))
    lines += ["", "Setup: " + " ".join(r["setup"] for r in runs), "", "### Target", ""]
    big = max(runs, key=lambda r: r["n"])
    over = [r for r in big["rows"] if r["p50_ms"] is None or r["p50_ms"] > TARGET_MS]
    met = "met" if not over else "not met"
    why = ("" if not over else ": over it " + ", ".join(
        f"{TITLES[r['page']]} (" + (f"{r['p50_ms']:,.0f} ms" if r["p50_ms"] is not None
                                   else r["first_error"]) + ")" for r in over))
    lines.append(f"- p50 ≤ {TARGET_MS:.0f} ms at {big['n']:,} products, every page: "
                 f"**{met}**{why}.")
    if big["n"] < 10000:
        lines.append("- The target names 10,000 products; this run stopped at "
                     f"{big['n']:,}: not assessed at 10,000.")
    if notes:
        lines += ["", "### Notes", "", *[f"- {x}" for x in notes]]
    return "\n".join(lines) + "\n"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.pages", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, action="append", help="products (repeatable; 1000)")
    p.add_argument("--requests", type=int, default=30, help="timed requests per page (30)")
    p.add_argument("--warmup", type=int, default=3, help="untimed requests first (3)")
    p.add_argument("--budget", type=float, default=60.0,
                   help="seconds per page after which it stops, given 5 timed requests (60)")
    p.add_argument("--timeout", type=float, default=60.0,
                   help="seconds one request may take; past it the page stops (60)")
    add_results_options(p)
    return p


def main(argv: list[str] | None = None) -> int:
    """Time the pages at each --n; print the table, write the results section."""
    args = _parser().parse_args(argv)
    interrupt_on_sigterm()  # the server is stopped in a finally-block
    command = "python -m bench.pages " + " ".join(sys.argv[1:] if argv is None else argv)
    runs, load = [], []
    try:
        for n in args.n or [1000]:
            print(f"page benchmark at {n:,} products", file=sys.stderr, flush=True)
            man = manifest_for(n)
            store, _, built = build_store(man)
            load.append(os.getloadavg()[0])
            log = OUTPUT / f"n{n}" / "meshkg-serve-pages.log"
            with meshkg_server(store, free_port(), log) as info:
                rows = measure(info["port"], man, args.requests, args.warmup, args.budget,
                               args.timeout)
            load += [r["load_avg"] for r in rows]
            built_s = f"store built in {built:.1f} s" if built else "store reused"
            runs.append({"n": n, "rows": rows,
                         "setup": f"{n:,}: {built_s}, server ready in {info['ready_s']:.1f} s."})
    except KeyboardInterrupt:
        print("interrupted: server stopped", file=sys.stderr)
        return 130
    publish("pages", {"command": command, "runs": runs},
            markdown(runs, command, load, args.note), args.no_write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
