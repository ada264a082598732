"""Where the scale benchmark keeps its results and which steps it measures, in order.

Shared by bench.scale (which writes the results and draws the plot after a run) and
bench.plot (which redraws it from the file), so neither imports the other's module.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "output"
STEPS = ("load", "bulk-load", "migrate", "export-load", "discovery", "page", "validate-one",
         "infer-one", "validate")


def load_results(path: Path) -> dict:
    """Return the accumulated results (empty when none were written yet)."""
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
