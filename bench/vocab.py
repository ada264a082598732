"""Load time of a real thesaurus: `python -m bench.vocab [FILE ...]`.

For each file (default: the UAT thesaurus in tests/data/corpora/uat/UAT.rdf) it times,
each in a fresh on-disk store and a fresh subprocess:

- the engine floor: one pyoxigraph `bulk_load` of the file into an empty store;
- `meshkg load FILE` into a store holding only the shipped vocabularies (parse, gate,
  write, entailments and search index), as a steward runs it, split into its phases
  from the command's own output.

It prints one line per file with the ratio meshkg / floor."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = [ROOT / "tests" / "data" / "corpora" / "uat" / "UAT.rdf"]

_FLOOR = """
import sys, time, pyoxigraph as ox
path, folder = sys.argv[1], sys.argv[2]
fmt = ox.RdfFormat.RDF_XML if path.endswith('.rdf') else ox.RdfFormat.TURTLE
store = ox.Store(folder)
t = time.perf_counter()
store.bulk_load(path=path, format=fmt, to_graph=ox.NamedNode('urn:x'))
store.flush()
print(time.perf_counter() - t)
"""


def _floor(path: Path) -> float:
    with tempfile.TemporaryDirectory() as d:
        out = subprocess.run([sys.executable, "-c", _FLOOR, str(path), d + "/s"],
                             capture_output=True, text=True, check=True)
        return float(out.stdout.strip())


def _meshkg(path: Path) -> tuple[float, str]:
    with tempfile.TemporaryDirectory() as d:
        env = dict(os.environ, MESHKG_STORE=d + "/s")
        # the vocabularies first, outside the timing (every store has them)
        subprocess.run([sys.executable, "-m", "kg.cli", "stats"], env=env,
                       capture_output=True, check=True)
        t = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "kg.cli", "load", str(path)], env=env,
                             capture_output=True, text=True)
        took = time.perf_counter() - t
        if out.returncode != 0:
            raise SystemExit(f"meshkg load {path} failed: {out.stderr[:2000]}")
        return took, out.stdout.strip().replace("\n", "; ")


def main(argv: list[str] | None = None) -> int:
    files = [Path(a) for a in (argv if argv is not None else sys.argv[1:])] or DEFAULT
    print(f"load average {os.getloadavg()[0]:.2f}")
    for path in files:
        floor = _floor(path)
        took, said = _meshkg(path)
        print(f"{path.name}: meshkg load {took:.2f} s, engine floor (bulk_load) "
              f"{floor:.2f} s, ratio {took / floor:.1f}× — {said}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
