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
# is a comparison with a string to the engine); see _ambiguous. Keywords are matched
# without a word boundary by the engine; see keyword_in.
_LOCAL = r"(?:(?:[\w:%]|\\.)(?:[\w\-:%]|\\.)*(?:\.+(?:[\w\-:%]|\\.)+)?)?"
_REST = r"""
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
               |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
  | (?P<word>_:\w(?:[\w\-.]*[\w\-])?|(?:[^\W\d_](?:[\w\-.]*[\w\-])?)?:""" + _LOCAL + r"""
            |[^\W\d]\w*)
  | (?P<var>[?$]\w+)
  | (?P<other>.)
    """
_TOKEN = re.compile(r"""
    (?P<ws>[\ \t\r\n]+)
  | (?P<comment>\#[^\r\n]*)
  | (?P<iri><(?:[^<>"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>)"""
    + _REST, re.VERBOSE | re.DOTALL)


def tokens(text: str) -> Iterator[tuple[str, str, int]]:
    """Yield (kind, text, offset) for the significant tokens of a SPARQL text."""
    return _lex(_TOKEN, text)


def _lex(pattern: re.Pattern, text: str) -> Iterator[tuple[str, str, int]]:
    for m in pattern.finditer(text):
        kind = m.lastgroup
        if kind in ("ws", "comment"):
            continue
        yield kind, m.group(), m.start()


def keyword_in(word: str, keyword: str) -> bool:
    """Tell whether the engine may read `keyword` inside a word token.

    The engine matches keywords as fixed strings, with no word boundary after them, so
    `SERVICESILENT<…>`, `SERVICEp:x` and `trueSERVICE<…>` (or `1e5SERVICE`, lexed here
    as `1` and `e5SERVICE`) all hold a SERVICE it executes; only the part of a word
    before its first colon can hold one (after it comes a local name)."""
    return keyword in word.split(":", 1)[0].upper()


def _ambiguous(text: str) -> tuple[str, int] | None:
    """SERVICE or LOAD anywhere in a text whose IRI holds a quote.

    `<` starts an IRI or is less-than, and the engine may read each one either way
    (`FILTER(1<'>#') <http://x/#> … SERVICE …` hides SERVICE from any one reading):
    such a text is refused if the words appear anywhere in it, even in a string."""
    if not any(kind == "iri" and "'" in tok for kind, tok, _ in tokens(text)):
        return None
    m = re.search(r"SERVICE|LOAD", text, re.IGNORECASE)
    return (m.group().upper(), m.start()) if m else None


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
        if keyword_in(tok, "SERVICE"):
            raise QueryRefused(
                f"SERVICE is not allowed ({_line_col(text, pos)}): meshkg never calls "
                "other endpoints")
        if keyword_in(tok, "LOAD"):
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
        for word in ("LOAD", "SERVICE"):
            if kind == "word" and keyword_in(tok, word):
                raise QueryRefused(f"{word} is not allowed in updates ({_line_col(text, pos)})")


def _refuse_hidden(text: str) -> None:
    hidden = _ambiguous(text)
    if hidden:
        raise QueryRefused(
            f"{hidden[0]} ({_line_col(text, hidden[1])}) may be read by the engine: an IRI "
            "holding a quote can also be read as a comparison; write the quote as %27")


_MENTION = re.compile(r"service|load", re.IGNORECASE)
#: longer texts that mention SERVICE or LOAD are refused rather than parsed twice
GRAMMAR_MAX = 100_000


def check_user_text(text: str, *, update: bool = False) -> None:
    """A second, grammar-based look at SPARQL written by users (the HTTP endpoint, user
    updates, steward rules), on top of check_query / check_update.

    Three reviews each found texts the token rules above read differently from the
    engine and let through with a SERVICE or LOAD the engine then ran. A text that
    mentions either word anywhere is therefore also parsed by rdflib's SPARQL grammar
    (a full parser, not a lexer), and refused if that parse holds a SERVICE or LOAD, or
    if it fails (nothing could confirm the text calls no other server). Texts that do
    not mention the words, nearly all, are not parsed again.
    """
    m = _MENTION.search(text)
    if m is None:
        return
    word = m.group().upper()
    if len(text) > GRAMMAR_MAX:
        raise QueryRefused(f"a text of more than {GRAMMAR_MAX:,} characters that mentions "
                           f"{word} ({_line_col(text, m.start())}) is not accepted")
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
    try:
        tree = (parseUpdate if update else parseQuery)(text)
    except Exception as exc:
        raise QueryRefused(
            f"the text mentions {word} ({_line_col(text, m.start())}) and a second SPARQL "
            f"parser could not read it to confirm it calls no other server: {exc}") from exc
    found = _find(tree, {"ServiceGraphPattern": "SERVICE", "Load": "LOAD"})
    if found:
        raise QueryRefused(f"{found} is not allowed: meshkg never calls other servers or "
                           "reads files")


def _find(tree, names: dict[str, str]) -> str | None:
    """The keyword of the first parse-tree node named in `names`, walking without
    recursion (a deeply nested query must not exhaust the stack)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        name = getattr(node, "name", None)
        if isinstance(name, str) and name in names:
            return names[name]
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, (list, tuple)) or type(node).__name__ == "ParseResults":
            stack.extend(list(node))
    return None
