"""SPARQL queries meshkg runs, one `.rq` file each."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_DIR = Path(__file__).parent


@cache
def load_query(name: str) -> str:
    """Return the text of kg/queries/<name>.rq."""
    return (_DIR / f"{name}.rq").read_text(encoding="utf-8")
