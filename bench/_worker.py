"""Run one step of one side in its own process, so that memory peaks stay separable.

Usage: python -m bench._worker SIDE STEP MANIFEST RUNS QUERY_BUDGET STEP_BUDGET
Prints one line `BENCH-RESULT {json}` on success.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bench import timing
from bench.generate import Manifest

MARK = "BENCH-RESULT "


def main(argv: list[str]) -> int:
    """Run the step and print its rows and memory figures as JSON."""
    side, step, manifest, runs, query_budget, step_budget = argv
    timing.BUDGET = float(step_budget)
    man = Manifest.load(Path(manifest))
    if side == "baseline":
        from bench.baseline import run_step
    else:
        from bench.meshkg_side import run_step
    try:
        rows = run_step(step, man, runs=int(runs), budget=float(query_budget))
        status = "ok"
    except timing.BudgetExceeded:
        rows, status = {}, "timeout"
    out = {"status": status, "rows": rows, "peak_mb": timing.peak_mb(),
           "setup_mb": timing.setup_mb()}
    print(MARK + json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
