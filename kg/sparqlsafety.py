"""Refuse SPARQL that would make meshkg open a socket or a file.

A small lexer skips strings, IRIs and comments, so that only real keywords
count: SERVICE and LOAD are refused outright, FROM / FROM NAMED / USING only
for graphs the store holds. This runs before any engine sees the text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from kg.errors import QueryRefused

# The tokens follow SPARQL's own rules (whitespace is only space, tab, CR and LF; a
# comment ends at CR or LF; names are PN_PREFIX / PN_LOCAL, bare words hold no dot), so
# that text the engine executes is never read here as part of a comment, a string or an
# IRI. One reading stays ambiguous: `<` starts an IRI or is less-than (`FILTER(?o<'>#')`
# is a comparison with a string to the engine); see _hidden.
_LOCAL = r"(?:[\w\-:%]|\\.|\.(?=[\w\-:%\\]))*"
_REST = r"""
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
               |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
  | (?P<word>(?:[^\W\d_](?:[\w\-.]*[\w\-])?)?:""" + _LOCAL + r"""|[^\W\d]\w*)
  | (?P<var>[?$]\w+)
  | (?P<other>.)
    """
_TOKEN = re.compile(r"""
    (?P<ws>[\ \t\r\n]+)
  | (?P<comment>\#[^\r\n]*)
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)""" + _REST, re.VERBOSE | re.DOTALL)
# the same without IRIs: every `<` read as less-than
_TOKEN_LT = re.compile(r"""
    (?P<ws>[\ \t\r\n]+)
  | (?P<comment>\#[^\r\n]*)""" + _REST, re.VERBOSE | re.DOTALL)


def tokens(text: str) -> Iterator[tuple[str, str, int]]:
    """Yield (kind, text, offset) for the significant tokens of a SPARQL text."""
    return _lex(_TOKEN, text)


def _lex(pattern: re.Pattern, text: str) -> Iterator[tuple[str, str, int]]:
    for m in pattern.finditer(text):
        kind = m.lastgroup
        if kind in ("ws", "comment"):
            continue
        yield kind, m.group(), m.start()


def _hidden(text: str, words: tuple[str, ...]) -> tuple[str, int] | None:
    """A keyword the engine could see if an IRI holding a quote is in fact a `<`.

    Read with every `<` as less-than, such a text may show a keyword its IRI reading
    hides (`FILTER(?o<'>#') SERVICE …`); then it is refused. Texts without such an
    IRI (nearly all) are read once."""
    if not any(kind == "iri" and "'" in tok for kind, tok, _ in tokens(text)):
        return None
    for kind, tok, pos in _lex(_TOKEN_LT, text):
        if kind == "word" and tok.upper() in words:
            return tok.upper(), pos
    return None


def _line_col(text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"line {line}, column {col}"


def check_query(text: str, *, known_graphs: Callable[[], set[str]] | None = None) -> None:
    """Raise QueryRefused for SERVICE, LOAD, or FROM a graph the store does not hold."""
    _refuse_hidden(text)
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
    _refuse_hidden(text)
    for kind, tok, pos in tokens(text):
        if kind == "word" and tok.upper() in ("LOAD", "SERVICE"):
            raise QueryRefused(
                f"{tok.upper()} is not allowed in updates ({_line_col(text, pos)})")


def _refuse_hidden(text: str) -> None:
    hidden = _hidden(text, ("SERVICE", "LOAD"))
    if hidden:
        raise QueryRefused(
            f"{hidden[0]} ({_line_col(text, hidden[1])}) would be read by the engine if "
            "an IRI holding a quote is a comparison: write the quote in the IRI as %27")
