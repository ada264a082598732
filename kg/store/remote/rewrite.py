"""Query and update texts rewritten for what servers need: values bound by a VALUES
block, Virtuoso's quirks (a UNION branch of only VALUES, large data blocks), the form."""

from __future__ import annotations

import re
from collections.abc import Mapping

from kg.errors import QuerySyntaxError, UsageError
from kg.sparqlsafety import tokens
from kg.store.remote.terms import TRIPLES_PER_OP, sparql_term
from kg.store.result import Term

_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
_VAR = re.compile(r"[A-Za-z0-9_]+\Z")


def query_form(sparql: str) -> str:
    """Return SELECT, ASK, CONSTRUCT or DESCRIBE for a query text."""
    for kind, tok, _ in tokens(sparql):
        if kind == "word" and tok.upper() in _FORMS:
            return tok.upper()
    raise QuerySyntaxError("not a SPARQL query: no SELECT, ASK, CONSTRUCT or DESCRIBE")


def _where_brace(sparql: str) -> int | None:
    """Return the offset just after the `{` that opens the WHERE clause, if any."""
    depth, started, template = 0, False, False
    for kind, tok, pos in tokens(sparql):
        if not started:
            if kind == "word" and tok.upper() in _FORMS:
                started = True
                template = tok.upper() == "CONSTRUCT"
            continue
        if kind != "other":
            if kind == "word":
                template = False
            continue
        if tok in "({":
            if tok == "{" and depth == 0 and not template:
                return pos + 1
            depth += 1
        elif tok in ")}":
            depth -= 1
            if depth == 0:
                template = False
    return None


def inject_values(sparql: str, bindings: Mapping[str, Term] | None, *,
                  subselect: bool = False) -> str:
    """Bind variables by a VALUES block at the start of the WHERE clause.

    At the start, not after the query (kg.store.base.bind_values), so that LIMIT,
    ORDER BY and aggregates see the bound values, and every server can push them down.
    With `subselect` the block is wrapped in `{ SELECT * WHERE { VALUES … } }`, the
    same solutions, which Virtuoso accepts as the given start of a `*`/`+` path where
    it refuses a plain VALUES ("transitive start not given").
    Values are serialized by `sparql_term`, which refuses anything that could
    escape its term: user text is never pasted.
    """
    if not bindings:
        return sparql
    for name in bindings:
        if not _VAR.match(name):
            raise UsageError(f"not a SPARQL variable name: {name!r}")
    head = " ".join(f"?{n}" for n in bindings)
    row = " ".join(sparql_term(v) for v in bindings.values())
    block = f" VALUES ({head}) {{ ({row}) }} "
    if subselect:
        block = f" {{ SELECT {head} WHERE {{{block}}} }} "
    at = _where_brace(sparql)
    if at is None:
        return f"{sparql}\nVALUES ({head}) {{ ({row}) }}"
    return sparql[:at] + block + sparql[at:]


def wrap_values_branches(sparql: str) -> str:
    """Wrap each UNION branch made only of a VALUES block in a sub-SELECT.

    Virtuoso answers no rows for such a branch (`{ VALUES ?s { <a> } } UNION { … }`
    drops <a>) and the right rows for `{ SELECT * WHERE { VALUES … } }`.
    """
    toks = list(tokens(sparql))
    edits: list[tuple[int, str]] = []
    for i, (kind, tok, pos) in enumerate(toks):
        if not (kind == "other" and tok == "{" and i + 1 < len(toks)
                and toks[i + 1][0] == "word" and toks[i + 1][1].upper() == "VALUES"):
            continue
        end = _values_end(toks, i + 2)
        if end is None or toks[end][1] != "}":
            continue
        before = toks[i - 1][1].upper() if i else ""
        after = toks[end + 1][1].upper() if end + 1 < len(toks) else ""
        if "UNION" in (before, after):
            edits += [(pos + 1, " SELECT * WHERE {"), (toks[end][2], "} ")]
    for at, text in reversed(edits):
        sparql = sparql[:at] + text + sparql[at:]
    return sparql


def _values_end(toks: list, at: int) -> int | None:
    """Return the index of the token after a VALUES block whose variables start at `at`."""
    i = at
    if i < len(toks) and toks[i][1] == "(":
        while i < len(toks) and toks[i][1] != ")":
            i += 1
    i += 1
    if i >= len(toks) or toks[i][1] != "{":
        return None
    while i < len(toks) and toks[i][1] != "}":
        i += 1
    return i + 1 if i + 1 < len(toks) else None


def split_data_ops(sparql: str, size: int = TRIPLES_PER_OP) -> str:
    """Split each INSERT DATA / DELETE DATA block of more than `size` statements into
    several operations of the same request (Virtuoso's parser gives up near 5,000).

    The same triples are written or deleted; blocks with blank-node labels, whose
    identity an operation scopes, are left whole.
    """
    toks = list(tokens(sparql))
    out: list[str] = []
    last = 0
    i = 0
    while i < len(toks):
        kind, tok, pos = toks[i]
        if not (kind == "word" and tok.upper() in ("INSERT", "DELETE") and i + 2 < len(toks)
                and toks[i + 1][1].upper() == "DATA" and toks[i + 2][1] == "{"):
            i += 1
            continue
        end, blocks = _data_blocks(sparql, toks, i + 2)
        if end is None or all(len(stmts) <= size for _, stmts in blocks) or any(
                t[0] == "word" and t[1].startswith("_:") for t in toks[i:end]):
            i = (end or i) + 1
            continue
        op = f"{tok.upper()} DATA"
        parts = []
        for graph, stmts in blocks:
            for k in range(0, len(stmts), size):
                body = " ".join(stmts[k:k + size])
                parts.append(f"{op} {{ GRAPH {graph} {{ {body} }} }}" if graph
                             else f"{op} {{ {body} }}")
        out += [sparql[last:pos], " ;\n".join(parts)]
        last = toks[end][2] + 1
        i = end + 1
    return "".join(out) + sparql[last:] if out else sparql


def _data_blocks(text: str, toks: list, at: int) -> tuple[int | None, list]:
    """Read the quad data opening at token `at` (a `{`): return the index of its closing
    `}` and its blocks as (graph IRI text or None, statement texts)."""
    blocks: list[tuple[str | None, list[str]]] = []
    graph: str | None = None
    stmts: list[str] = []
    start = None
    depth = 0  # brackets inside a statement
    i = at + 1
    while i < len(toks):
        kind, tok, pos = toks[i]
        if depth == 0 and kind == "word" and tok.upper() == "GRAPH" and start is None:
            if stmts:
                blocks.append((graph, stmts))
            graph, stmts = toks[i + 1][1], []
            i += 3  # GRAPH <g> {
            continue
        if depth == 0 and tok == "}" and kind == "other":
            if start is not None:
                stmts.append(text[start:pos].strip())
                start = None
            if stmts or graph is not None:
                blocks.append((graph, stmts))
            if graph is None:
                return i, blocks
            graph, stmts = None, []
            i += 1
            continue
        if start is None:
            start = pos
        if kind == "other" and tok in "[(":
            depth += 1
        elif kind == "other" and tok in "])":
            depth -= 1
        elif depth == 0 and kind == "other" and tok == "." and not (
                text[pos - 1:pos].isdigit() and text[pos + 1:pos + 2].isdigit()):
            stmts.append(text[start:pos + 1].strip())
            start = None
        i += 1
    return None, blocks
