"""What a SPARQL server answers, read into rdflib terms: SPARQL results (XML, JSON),
N-Triples, and the server's own words when it fails."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pyoxigraph as ox
import requests
from rdflib import BNode, Literal, URIRef

from kg.errors import ResultTooLarge, StoreError
from kg.store.oxigraph.convert import to_rdflib
from kg.store.result import Term

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
JSON_RESULTS = "application/sparql-results+json"
XML_RESULTS = "application/sparql-results+xml"
NTRIPLES = "application/n-triples"


def _parse_json(body: bytes) -> dict:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise StoreError(f"the SPARQL server sent results that are not SPARQL JSON: "
                         f"{body[:200]!r}") from exc


def parse_results(resp: requests.Response) -> bool | tuple[list[str], list[dict[str, Term]]]:
    """A SPARQL results document: the boolean of an ASK, or the variables and rows."""
    kind = resp.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
    if kind in (XML_RESULTS, "application/xml", "text/xml"):
        return _parse_xml(resp.content)
    data = _parse_json(resp.content)
    if "boolean" in data:
        return bool(data["boolean"])
    return (data.get("head", {}).get("vars", []),
            [{k: _json_term(v) for k, v in b.items()}
             for b in data.get("results", {}).get("bindings", [])])


def _parse_xml(body: bytes) -> bool | tuple[list[str], list[dict[str, Term]]]:
    """SPARQL Query Results XML, read by pyoxigraph (4x faster than ElementTree; no
    entities are expanded). Virtuoso names blank nodes `nodeID://b1`: the prefix goes."""
    try:
        answer = ox.parse_query_results(body.replace(b"<bnode>nodeID://", b"<bnode>"),
                                        ox.QueryResultsFormat.XML)
        if isinstance(answer, (bool, ox.QueryBoolean)):
            return bool(answer)
        names = [v.value for v in answer.variables]
        # the parser is lazy: a bad row raises while the rows are read
        rows = [{n: to_rdflib(t) for n, t in zip(names, solution, strict=False)
                 if t is not None}
                for solution in answer]
    except (SyntaxError, ValueError) as exc:
        raise StoreError(f"the SPARQL server sent results that are not SPARQL XML: "
                         f"{exc}: {body[:200]!r}") from exc
    return names, rows


def _json_term(d: dict) -> Term:
    kind, value = d.get("type"), d.get("value", "")
    if kind == "uri":
        return URIRef(value)
    if kind == "bnode":
        return BNode(value.removeprefix("nodeID://"))
    if kind in ("literal", "typed-literal"):
        lang, dt = d.get("xml:lang"), d.get("datatype")
        if lang:
            return Literal(value, lang=lang)
        if dt == _XSD_BOOLEAN and value in ("1", "0"):
            # Virtuoso's JSON gives stored booleans as "1"/"0" (its N-Triples say
            # "true"/"false"); computed ones it gives as xsd:integer 1/0, not fixable here
            return Literal(value == "1")
        if dt and dt != _XSD_STRING:
            return Literal(value, datatype=URIRef(dt))
        return Literal(value)
    raise StoreError(f"unknown term type {kind!r} in SPARQL JSON results")


def ox_triples(body: bytes) -> list[ox.Triple]:
    try:
        return [q.triple for q in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)]
    except SyntaxError as exc:
        raise StoreError(f"the SPARQL server sent N-Triples that do not parse: {exc}") from exc


def parse_ntriples(body: bytes) -> list[tuple[Term, Term, Term]]:
    return [(to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object))
            for t in ox_triples(body)]


def cap_rows(items: list, max_rows: int | None, capped: str | None) -> list:
    """Apply max_rows; a server-side cut the caller's cap does not explain is an error."""
    if capped and (max_rows is None or len(items) <= max_rows):
        raise ResultTooLarge(f"the SPARQL server cut the result at its row limit of "
                             f"{capped} (Virtuoso ResultSetMaxRows); add LIMIT or narrow "
                             "the query")
    return items if max_rows is None else items[:max_rows]


def server_host(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")


def failure_reason(exc: BaseException) -> str:
    m = re.search(r"\[Errno -?\d+\] [^'\")]+", str(exc))
    if m:
        return m.group(0)
    m = re.search(r"Remote end closed connection without response|Connection aborted",
                  str(exc))
    return m.group(0) if m else type(exc).__name__


def server_text(resp: requests.Response) -> str:
    text = resp.content[:500].decode("utf-8", "replace").strip()
    # Virtuoso echoes the whole query after its message; the message is enough.
    return text.split("\n\nSPARQL query:", 1)[0].strip() or resp.reason or ""
