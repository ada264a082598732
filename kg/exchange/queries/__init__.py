"""SPARQL of the exchange package, one .rq file per query."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_DIR = Path(__file__).parent


@cache
def load(name: str) -> str:
    """Return the text of kg/exchange/queries/<name>.rq."""
    return (_DIR / f"{name}.rq").read_text(encoding="utf-8")
