"""What a SPARQL request may read and how an update is written: the dataset a query's
FROM or an update's USING (and the Protocol's graph parameters) names must exist, or be
written earlier in the same request; an update goes through the SHACL gate
(kg.gate.apply_update) with relative IRIs read against `base_iri`. Used by the endpoint
(webapp.sparql)."""

from __future__ import annotations

import re

from kg import gate
from kg.errors import QueryRefused, QuerySyntaxError, UsageError
from kg.sparqlsafety import check_update, check_user_text, keyword_in, tokens
from webapp import get_settings, get_store


def _readable_position(message: str, shift: int = 0) -> str:
    def repl(m: re.Match) -> str:
        return f"line {int(m[1]) - shift}, column {m[2]}"
    return re.sub(r"\b(\d+):(\d+)(?=:)", repl, message, count=1)


def _with_using(text: str, using: list[str], using_named: list[str]) -> str:
    """Apply using-graph-uri / using-named-graph-uri as USING clauses (Protocol §2.2.3),
    once the update's dataset has passed the check a query's FROM passes."""
    check_dataset(text, "USING", [("using-graph-uri", iri) for iri in using]
                  + [("using-named-graph-uri", iri) for iri in using_named])
    if not using and not using_named:
        return text
    toks = list(tokens(text))
    if any(k == "word" and t.upper() in ("USING", "WITH") for k, t, _ in toks):
        raise UsageError("the update names its dataset with USING or WITH and the request "
                         "with using-graph-uri / using-named-graph-uri; give only one "
                         "(SPARQL 1.1 Protocol §2.2.3)")
    clause = "".join([f"USING <{i}> " for i in using]
                     + [f"USING NAMED <{i}> " for i in using_named])
    out, last, depth, prev = [], 0, 0, None
    for kind, tok, pos in toks:
        if tok == "{":
            depth += 1
        elif tok == "}":
            depth -= 1
        elif kind == "word" and tok.upper() == "WHERE" and depth == 0 and prev == "}":
            out += [text[last:pos], clause]
            last = pos
        prev = tok
    out.append(text[last:])
    return "".join(out)


def check_dataset(text: str, keyword: str, params: list[tuple[str, str]] = ()) -> None:
    """Let a query (keyword FROM) or an update (USING) read only graphs there are: the
    graphs its text names after FROM [NAMED] / USING [NAMED] (by IRI or prefixed name)
    and those of the request's parameters must be in the store or written by an earlier
    operation of the same request (Protocol §2.2.3's own tests fill a graph with INSERT
    DATA, then read it with using-graph-uri); an engine or server could fetch any other.

    kg.sparqlsafety.check_query reads only `FROM <iri>`; the engine reads keywords
    without a word boundary (`FROMNAMED<…>`, `USINGg:x`) and prefixed names too, so a
    keyword (or NAMED) glued to what follows is refused, a prefixed name is checked as
    its IRI, and a text with the keyword whose IRI holds a quote is refused (the lexer
    may then read the keyword as part of a string)."""
    mentioned = re.search(keyword, text, re.IGNORECASE) is not None
    if not mentioned and not params:
        return  # nearly every query: not lexed a second time
    toks = list(tokens(text))
    if mentioned and any(kind == "iri" and "'" in tok for kind, tok, _ in toks):
        raise QueryRefused(f"a text with {keyword} and an IRI holding a quote is not "
                           "accepted (the quote may be read as part of a comparison); "
                           "write it as %27")
    params = list(params)
    prefixes: dict[str, str] = {}
    store_graphs: set[str] | None = None
    written: set[str] = set()  # by the operations before this one
    took_params = False

    def check(dataset: list[tuple[str, str]]) -> None:
        nonlocal store_graphs
        for what, iri in dataset:
            if iri in written:
                continue
            if store_graphs is None:
                store_graphs = set(get_store().graphs())
            if iri not in store_graphs:
                raise QueryRefused(f"{what} <{iri}>: no such graph in the store; meshkg "
                                   "never fetches graphs from the web or from files")

    for first, last in _operations(toks):
        dataset, writes, modify, inserts, with_graph = [], set(), False, False, None
        depth, template = 0, None  # template: the depth of an INSERT template's braces
        for i in range(first, last):
            kind, tok, _pos = toks[i]
            up = tok.upper() if kind == "word" else tok
            if tok == "{":
                depth += 1
                if template == -1:
                    template = depth
            elif tok == "}":
                if depth == template:
                    template = None
                depth -= 1
            elif kind != "word":
                continue
            elif (up == "PREFIX" and i + 2 < len(toks) and toks[i + 1][0] == "word"
                    and toks[i + 1][1].endswith(":") and toks[i + 2][0] == "iri"):
                prefixes[toks[i + 1][1][:-1]] = toks[i + 2][1][1:-1]
            elif keyword_in(tok, keyword):
                dataset.append(_dataset_graph(text, toks, i, prefixes, keyword))
            elif up == "INSERT" and depth == 0:
                template = -1  # the next brace opens it
                inserts = True
            elif (up == "GRAPH" and template is not None) or up == "TO" or (
                    up == "GRAPH" and depth == 0 and _after(toks, i, first) == "CREATE"):
                graph = _graph_name(toks, i + 1, prefixes)
                if graph is not None:
                    writes.add(graph)
            elif up == "WITH" and depth == 0:
                with_graph = _graph_name(toks, i + 1, prefixes)
            elif up == "WHERE" and depth == 0 and i > first and toks[i - 1][1] == "}":
                modify = True
        if inserts and with_graph is not None:  # the template's default graph
            writes.add(with_graph)
        if modify:
            dataset += params
            took_params = True
        check(dataset)
        written |= writes
    if not took_params:
        check(params)


def _operations(toks: list) -> list[tuple[int, int]]:
    """Split an update's tokens into its operations (at `;` outside braces)."""
    out, first, depth = [], 0, 0
    for i, (_kind, tok, _pos) in enumerate(toks):
        depth += (tok == "{") - (tok == "}")
        if tok == ";" and depth == 0:
            out.append((first, i))
            first = i + 1
    out.append((first, len(toks)))
    return out


def _after(toks: list, i: int, first: int) -> str:
    """Return the keyword before toks[i], SILENT skipped."""
    j = i - 1
    while j >= first and toks[j][1].upper() == "SILENT":
        j -= 1
    return toks[j][1].upper() if j >= first else ""


def _graph_name(toks: list, j: int, prefixes: dict[str, str]) -> str | None:
    """Return the graph IRI at toks[j] (skipping GRAPH after TO), or None."""
    if j < len(toks) and toks[j][0] == "word" and toks[j][1].upper() == "GRAPH":
        j += 1
    if j >= len(toks):
        return None
    kind, tok, _ = toks[j]
    if kind == "iri":
        return tok[1:-1]
    if kind == "word" and ":" in tok:
        prefix, local = tok.split(":", 1)
        if prefix in prefixes:
            return prefixes[prefix] + re.sub(r"\\(.)", r"\1", local)
    return None


def _dataset_graph(text: str, toks: list, i: int, prefixes: dict[str, str],
                   keyword: str) -> tuple[str, str]:
    """Return ("USING" or "USING NAMED", … with its position; graph IRI) of toks[i]."""
    _kind, tok, pos = toks[i]
    where = (f"line {text.count(chr(10), 0, pos) + 1}, "
             f"column {pos - text.rfind(chr(10), 0, pos)}")
    if tok.upper() != keyword:
        raise QueryRefused(f"{tok!r} ({where}): write {keyword} apart from what follows it")
    what, j = keyword, i + 1
    if j < len(toks) and toks[j][0] == "word" and keyword_in(toks[j][1], "NAMED"):
        if toks[j][1].upper() != "NAMED":
            raise QueryRefused(f"{toks[j][1]!r} ({where}): write NAMED apart from what "
                               "follows it")
        what, j = f"{keyword} NAMED", j + 1
    if j < len(toks) and toks[j][0] == "word" and toks[j][1].upper() == "GRAPH":
        raise QueryRefused(f"{what} ({where}) must name a graph by its IRI")
    graph = _graph_name(toks, j, prefixes)
    if graph is None:
        raise QueryRefused(f"{what} ({where}) must name a graph by its IRI or a declared "
                           "prefix")
    return f"{what} ({where})", graph


def apply_update(text: str) -> None:
    """Run a SPARQL Update through the SHACL gate, relative IRIs against base_iri."""
    settings = get_settings()
    check_update(text)
    check_user_text(text, update=True)
    try:
        gate.apply_update(get_store(), f"BASE <{settings.base_iri}>\n{text}",
                          timeout=settings.update_timeout,
                          memory_mb=settings.update_memory_mb)
    except QuerySyntaxError as exc:
        raise QuerySyntaxError(_readable_position(exc.message, shift=1)) from None
