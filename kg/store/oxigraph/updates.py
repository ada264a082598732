"""SPARQL Update texts the embedded store reads and writes: which named graphs an update
may change (`may_write`), and DELETE/INSERT operations that carry the store's own blank
nodes (`data_ops`, run with `UPDATE_FUNCTIONS`)."""

from __future__ import annotations

import re
import uuid

import pyoxigraph as ox

from kg.sparqlsafety import tokens
from kg.store import ntdiff

_GRAPH_OPERAND = {"GRAPH", "WITH", "TO", "INTO", "MOVE", "COPY", "ADD", "DROP", "CLEAR",
                  "CREATE"}


_KEYWORDS = (*_GRAPH_OPERAND, "WHERE", "DELETE", "INSERT", "SILENT", "DEFAULT", "BASE",
             "ALL", "NAMED")


def _glued(word: str) -> bool:
    """Tell whether the engine may read a keyword glued to more letters in a word
    (`MOVESILENT`, `GRAPHp:g`, `trueGRAPH`: it matches keywords with no word boundary)."""
    pre = word.split(":", 1)[0].upper()
    head = re.sub(r"^(?:TRUE|FALSE|E\d+)", "", pre)
    return pre not in _KEYWORDS and any(k in head for k in _KEYWORDS)


def may_write(sparql: str) -> set[str] | None:
    """The named graphs an update may change, or None when its text does not tell.

    A named graph is written only where the update names it: after GRAPH (outside the
    WHERE block of an INSERT/DELETE, which only reads), WITH, TO, INTO or as the
    operand of MOVE, COPY, ADD, DROP, CLEAR, CREATE. When every such name is a full IRI
    (or DEFAULT) those IRIs are the answer; anything else there (a prefixed name, a
    variable, ALL, NAMED), an escape anywhere (`\\u0061` in an IRI names another graph
    than its text) or an IRI holding a quote (which the engine may read as a comparison),
    and any graph may be written. After a BASE (the web app puts one before every user's
    update) only absolute IRIs without dot segments are taken as written: a relative one
    names a graph resolved against the base.
    """
    toks = list(tokens(sparql))
    iris: set[str] = set()
    based = False
    depth, read_only_at = 0, None  # brace depth; the depth a WHERE block opened at
    where_next = False
    for i, (kind, tok, _) in enumerate(toks):
        if kind == "iri" and ("'" in tok or "\\" in tok):
            return None
        if kind == "word" and _glued(tok):
            return None
        if kind == "other":
            if tok == "\\":
                return None
            if tok == "{":
                if where_next and read_only_at is None:
                    read_only_at = depth
                where_next = False
                depth += 1
            elif tok == "}":
                depth -= 1
                if read_only_at is not None and depth == read_only_at:
                    read_only_at = None
            continue
        if kind != "word":
            continue
        up = tok.upper()
        if up == "BASE":
            based = True
            continue
        if up in ("ALL", "NAMED"):
            return None
        if up == "WHERE" and depth == 0:
            # DELETE WHERE { … } deletes what its block matches: that block writes
            where_next = i == 0 or toks[i - 1][1].upper() != "DELETE"
            continue
        if read_only_at is not None or up not in _GRAPH_OPERAND:
            continue
        j = i + 1
        while j < len(toks) and toks[j][0] == "word" and toks[j][1].upper() in (
                "SILENT", "GRAPH"):
            j += 1
        if j >= len(toks):
            return None
        nxt_kind, nxt = toks[j][0], toks[j][1]
        if nxt_kind == "iri":
            iris.add(nxt[1:-1])
        elif not (nxt_kind == "word" and nxt.upper() == "DEFAULT"):
            return None
    if based and not all(_ABSOLUTE.match(iri) and not _DOT_SEGMENT.search(iri)
                         for iri in iris):
        return None
    return iris


#: an IRI with a scheme, which a BASE leaves as it is (RFC 3986 §5.2.2), unless its path
#: holds `.` or `..` segments, which resolution removes
_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_DOT_SEGMENT = re.compile(r"(^|/)\.\.?(/|$)")


#: blank nodes cross a SPARQL update as literals of this datatype, turned back into the
#: same blank node by _TERM in the WHERE clause (a blank node written in INSERT DATA is
#: a new one, and DELETE DATA refuses them). Both IRIs are new in every process, so no
#: data and no user's update can hold or call them.
_SECRET = uuid.uuid4().hex
_BLANK_DATATYPE = f"urn:meshkg:datatype:blank-node:{_SECRET}"
_TERM = f"urn:meshkg:function:term:{_SECRET}"


def _term(t):
    if isinstance(t, ox.Literal) and t.datatype.value == _BLANK_DATATYPE:
        return ox.BlankNode(t.value)
    return t


UPDATE_FUNCTIONS = {ox.NamedNode(_TERM): _term}


def data_ops(op: str, graph: str, lines) -> list[str]:
    """INSERT or DELETE the N-Triples lines in a graph: lines without blank nodes as DATA,
    lines with them through VALUES, each blank node the very same node."""
    plain = [x for x in lines if x and not (ntdiff.has_blank(x) and _real_blank(x))]
    blank = [x for x in lines if x and ntdiff.has_blank(x) and _real_blank(x)]
    ops = []
    if plain:
        body = b"\n".join(plain).decode("utf-8")
        ops.append(f"{op} DATA {{ GRAPH <{graph}> {{\n{body}\n}} }}")
    if blank:
        rows = []
        for line in blank:
            s, p, o = ntdiff.terms(line)
            rows.append(b"(" + _value(s) + b" " + p + b" " + _value(o) + b")")
        body = b"\n".join(rows).decode("utf-8")
        ops.append(f"{op} {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} WHERE {{ VALUES (?s0 ?p ?o0) "
                   f"{{\n{body}\n}} BIND(<{_TERM}>(?s0) AS ?s) BIND(<{_TERM}>(?o0) AS ?o) }}")
    return ops


def _value(term: bytes) -> bytes:
    if term.startswith(b"_:"):
        return b'"' + term[2:] + b'"^^<' + _BLANK_DATATYPE.encode() + b">"
    return term


def _real_blank(line: bytes) -> bool:
    """Tell whether an N-Triples line's subject or object is a blank node."""
    subject, _, obj = ntdiff.terms(line)
    return subject.startswith(b"_:") or obj.startswith(b"_:")
