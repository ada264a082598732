"""Discovery on the embedded store and on a SPARQL server holding the same graphs, in turns.

python -m bench.discovery --n 10000 --remote sparql+http://127.0.0.1:8891/sparql
                          [--embedded bench/output/n10000/store-endpoint] [--runs 50]

The issue's target: on Virtuoso, the discovery query within 3x of embedded at 10,000
products. Both stores must hold the same inferred graphs with the search index (for
example the embedded store of `python -m bench.pages`, copied to the server with
`meshkg migrate --to` or Virtuoso's bulk loader from `meshkg export --format nquads`).
Both sides send meshkg's own discovery query (bench.queries.discovery_meshkg) through
`Store.query`, for a level-3 concept and a top concept, and the p50 of each is printed
with the ratio; the runs alternate so that both see the same machine load.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from bench.generate import Manifest
from bench.queries import discovery_meshkg


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=10000)
    p.add_argument("--remote", required=True, help="MESHKG_STORE of the server")
    p.add_argument("--embedded", type=Path, help="the embedded store (default: "
                   "bench/output/nN/store-endpoint)")
    p.add_argument("--runs", type=int, default=50)
    args = p.parse_args(argv)
    from kg.config import load_settings
    from kg.store import open_store
    out = Path(__file__).parent / "output" / f"n{args.n}"
    man = Manifest.load(out / "manifest.json")
    stores = {"embedded": open_store(load_settings().replace(
                  store=str(args.embedded or out / "store-endpoint"))),
              "remote": open_store(load_settings().replace(store=args.remote))}
    for key, concept in (("level-3 concept", man.narrow_concept),
                         ("top concept", man.broad_concept)):
        text = discovery_meshkg(concept)
        times: dict[str, list[float]] = {name: [] for name in stores}
        rows = {name: len(s.query(text)) for name, s in stores.items()}  # warm-up
        if len(set(rows.values())) != 1:
            raise SystemExit(f"the stores answer differently for {concept}: {rows}")
        for _ in range(args.runs):
            for name, s in stores.items():
                t0 = time.perf_counter()
                s.query(text)
                times[name].append(time.perf_counter() - t0)
        p50 = {name: statistics.median(ts) * 1000 for name, ts in times.items()}
        print(f"{key} ({rows['embedded']:,} products): embedded {p50['embedded']:.2f} ms, "
              f"remote {p50['remote']:.2f} ms p50 of {args.runs}: "
              f"{p50['remote'] / p50['embedded']:.1f}x")
    for s in stores.values():
        s.close()


if __name__ == "__main__":
    main()
