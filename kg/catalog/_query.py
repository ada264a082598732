"""Run the catalog's `.rq` files with bound values and say what ran (`Ran`).

Values are serialized by `term_to_sparql` (kg.store.base), never pasted in as they
come. One value is written in place of its variable (`_inline`), a set of values as a
VALUES block at the start of the query (`_lead`): pyoxigraph plans both well, but
joins a substituted or trailing VALUES binding in only after evaluating the rest,
which makes a lineage query orders of magnitude slower on a large mesh. Queries that
read the search index name its graphs by placeholder (`#DISCOVERY#`, `#LABELS#`,
`#SCHEMA#`), filled in from kg.searchindex.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping

from rdflib import URIRef
from rdflib.term import Node

from kg import searchindex
from kg.catalog.model import Ran
from kg.errors import UsageError
from kg.namespaces import SCHEMA_INFERRED_GRAPH, sparql_prefixes
from kg.queries import load_query
from kg.store.base import Result, Store, term_to_sparql

VCARD = "http://www.w3.org/2006/vcard/ns#"
FOAF = "http://xmlns.com/foaf/0.1/"
_PREFIXES = (sparql_prefixes() + f"PREFIX vcard: <{VCARD}>\nPREFIX foaf: <{FOAF}>\n"
             f"PREFIX idx: <{searchindex.INDEX}>\n")
#: graph names the query files name by placeholder (kept in one place: kg.searchindex)
_GRAPHS = {"#DISCOVERY#": searchindex.DISCOVERY_GRAPH, "#LABELS#": searchindex.LABELS_GRAPH,
           "#SCHEMA#": SCHEMA_INFERRED_GRAPH}

MAX_QUERY_TEXT = 200  # longest search text accepted, in characters


def query_text(name: str) -> str:
    """Return the full text of a catalog query file, with its PREFIX lines."""
    text = load_query(name)
    for hook, graph in _GRAPHS.items():
        text = text.replace(hook, graph)
    return _PREFIXES + text


def _lead(text: str, values: str) -> str:
    """Put a VALUES block at the start of a query's WHERE group (pyoxigraph plans a leading
    VALUES well; a trailing one, or a substitution, after joining everything else)."""
    head, brace, body = text.partition("{")
    return head + brace + "\n  " + values + "\n" + body


def _run_for(store: Store, name: str, var: str, iris: list[str]):
    """Run a query for a set of IRIs, bound by a leading VALUES block on `?var`, in
    batches; the query shown is the bound one when one batch was enough."""
    text = query_text(name)
    start = time.perf_counter()
    out = Result("select")
    shown = text
    for i in range(0, len(iris), 400):
        values = f"VALUES ?{var} {{ " + " ".join(term_to_sparql(URIRef(x))
                                                 for x in iris[i:i + 400]) + " }"
        shown = _lead(text, values)
        part = store.query(shown)
        out.vars = part.vars
        out.rows += part.rows
    ms = (time.perf_counter() - start) * 1000
    return out, Ran(name, shown if len(iris) <= 400 else text, round(ms, 2))


def _inline(text: str, bindings: Mapping[str, Node] | None) -> str:
    """Write bound values in place of their variables: `(<iri> AS ?v)` in the projection,
    the term itself in the query's pattern (queries never GROUP BY a bound variable)."""
    if not bindings:
        return text
    head, brace, body = text.partition("{")
    for name, term in bindings.items():
        value = term_to_sparql(term)
        pattern = re.compile(rf"[?$]{re.escape(name)}\b")
        head = pattern.sub(lambda _m, v=value, n=name: f"({v} AS ?{n})", head)
        body = pattern.sub(lambda _m, v=value: v, body)
    return head + brace + body


def _run(store: Store, name: str, bindings: Mapping[str, Node] | None = None):
    """Run a query with single values written in place of their variables (`_inline`)."""
    text = _inline(query_text(name), bindings)
    start = time.perf_counter()
    result = store.query(text)
    ms = (time.perf_counter() - start) * 1000
    return result, Ran(name, text, round(ms, 2))


def _iri(value: str | Node, what: str = "IRI") -> URIRef:
    """Return a value as an IRI, refusing text that no IRI can hold."""
    if isinstance(value, URIRef):
        return value
    text = str(value).strip()
    if not text or any(c in text for c in '<>"{}|^`\\ \n\r\t'):
        raise UsageError(f"not a valid {what}: {text!r}")
    return URIRef(text)


def _norm_query(q: str) -> str:
    """Return a search text with its white space collapsed, refusing a too long one."""
    q = " ".join(str(q).split())
    if len(q) > MAX_QUERY_TEXT:
        raise UsageError(f"search text is longer than {MAX_QUERY_TEXT} characters")
    return q
