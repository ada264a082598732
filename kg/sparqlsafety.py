"""Refuse SPARQL that would make meshkg open a socket or a file.

A small lexer skips strings, IRIs and comments, so that only real keywords
count: SERVICE and LOAD are refused outright, FROM / FROM NAMED / USING only
for graphs the store holds. This runs before any engine sees the text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from kg.errors import QueryRefused

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<iri><[^<>"{}|^`\\\s]*>)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
               |'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
  | (?P<word>[A-Za-z_][A-Za-z0-9_\-.]*(?::(?:[^\s{}()<>,;"'.\#\\]|\\.)*)?
            |:(?:[^\s{}()<>,;"'.\#\\]|\\.)*)
  | (?P<var>[?$][A-Za-z0-9_]+)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


def tokens(text: str) -> Iterator[tuple[str, str, int]]:
    """Yield (kind, text, offset) for the significant tokens of a SPARQL text."""
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind in ("ws", "comment"):
            continue
        yield kind, m.group(), m.start()


def _line_col(text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"line {line}, column {col}"


def check_query(text: str, *, known_graphs: Callable[[], set[str]] | None = None) -> None:
    """Raise QueryRefused for SERVICE, LOAD, or FROM a graph the store does not hold."""
    toks = list(tokens(text))
    known: set[str] | None = None
    for i, (kind, tok, pos) in enumerate(toks):
        if kind != "word":
            continue
        up = tok.upper()
        if up == "SERVICE":
            raise QueryRefused(
                f"SERVICE is not allowed ({_line_col(text, pos)}): meshkg never calls "
                "other endpoints")
        if up == "LOAD":
            raise QueryRefused(f"LOAD is not allowed ({_line_col(text, pos)})")
        if up in ("FROM", "USING"):
            j = i + 1
            if j < len(toks) and toks[j][1].upper() == "NAMED":
                j += 1
            if j < len(toks) and toks[j][0] == "iri":
                iri = toks[j][1][1:-1]
                if known is None:
                    known = known_graphs() if known_graphs else set()
                if iri not in known:
                    raise QueryRefused(
                        f"{up} <{iri}> ({_line_col(text, pos)}): no such graph in the store; "
                        "meshkg never fetches graphs from the web or from files")


def check_update(text: str) -> None:
    """Raise QueryRefused for LOAD or SERVICE inside an update."""
    for kind, tok, pos in tokens(text):
        if kind == "word" and tok.upper() in ("LOAD", "SERVICE"):
            raise QueryRefused(
                f"{tok.upper()} is not allowed in updates ({_line_col(text, pos)})")
