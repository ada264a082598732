"""RDF terms and INSERT operations written as SPARQL text for a server, refusing what
could break out of its term, and quads chunked without splitting a blank-node component."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef

from kg.errors import UsageError
from kg.store.result import Term

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_LANG = re.compile(r"[A-Za-z]+(-[A-Za-z0-9]+)*\Z")
_BAD_IRI = re.compile(r'[<>"{}|^`\\\x00-\x20]')
_ESCAPES = {ord("\\"): "\\\\", ord('"'): '\\"', ord("\n"): "\\n", ord("\r"): "\\r",
            ord("\t"): "\\t", ord("\b"): "\\b", ord("\f"): "\\f"}


# Virtuoso's SPARQL compiler runs out of parser memory near 5,000 triples in one
# INSERT DATA, so updates carry at most this many triples per operation; with blank
# nodes (INSERT … WHERE {}) its generated SQL passes 10,000 lines near 2,000 triples.
TRIPLES_PER_OP = 2_000
_BLANK_TRIPLES_PER_OP = 500


def sparql_iri(value: str) -> str:
    """Write an IRI as `<…>`, refusing characters that could end it."""
    if not value or _BAD_IRI.search(value):
        raise UsageError(f"not a valid IRI: {value!r}")
    return f"<{value}>"


def sparql_literal(value: str, lang: str | None, datatype: str | None) -> str:
    """Write a literal with its language tag or datatype, its text escaped."""
    text = '"' + value.translate(_ESCAPES) + '"'
    if lang:
        if not _LANG.match(lang):
            raise UsageError(f"not a valid language tag: {lang!r}")
        return f"{text}@{lang}"
    if datatype and datatype != _XSD_STRING:
        return f"{text}^^{sparql_iri(datatype)}"
    return text


def sparql_term(term: Term) -> str:
    """Serialize an rdflib term for a VALUES block, refusing what would break out of it."""
    if isinstance(term, URIRef):
        return sparql_iri(str(term))
    if isinstance(term, Literal):
        dt = str(term.datatype) if term.datatype else None
        return sparql_literal(str(term), term.language, dt)
    if isinstance(term, BNode):
        raise UsageError("blank nodes cannot be bound in a query")
    raise UsageError(f"cannot bind {term!r}")


def _ox_term(term, labels: dict[str, str], prefix: str = "b") -> str:
    if isinstance(term, ox.NamedNode):
        return sparql_iri(term.value)
    if isinstance(term, ox.BlankNode):
        return labels.setdefault(term.value, f"_:{prefix}{len(labels)}")
    if isinstance(term, ox.Literal):
        return sparql_literal(term.value, term.language, term.datatype.value)
    raise UsageError(f"cannot write {term!r} to a SPARQL server")


def _has_blank(q) -> bool:
    return isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode)


def insert_ops(quads: Sequence) -> Iterator[str]:
    """Yield INSERT operations of at most TRIPLES_PER_OP triples each.

    Blank nodes keep their identity inside one operation only, so chunks never split
    a blank-node component, and each operation has its own labels (Virtuoso refuses
    a label shared by two operations of one request). Virtuoso refuses blank nodes in
    INSERT DATA, so a chunk holding any is written as INSERT { … } WHERE {}, which
    creates them once, in chunks of at most _BLANK_TRIPLES_PER_OP.
    """
    plain = [q for q in quads if not _has_blank(q)]
    blank = [q for q in quads if _has_blank(q)]
    chunks = [*chunk_quads(plain, TRIPLES_PER_OP), *chunk_quads(blank, _BLANK_TRIPLES_PER_OP)]
    for n, chunk in enumerate(chunks):
        labels: dict[str, str] = {}
        by_graph: dict[str, list[str]] = {}
        for q in chunk:
            line = " ".join(_ox_term(t, labels, f"c{n}b")
                            for t in (q.subject, q.predicate, q.object)) + " ."
            by_graph.setdefault(q.graph_name.value, []).append(line)
        body = " ".join(f"GRAPH {sparql_iri(g)} {{ {' '.join(lines)} }}"
                        for g, lines in by_graph.items())
        yield f"INSERT {{ {body} }} WHERE {{}}" if labels else f"INSERT DATA {{ {body} }}"


def chunk_quads(quads: Sequence, size: int) -> Iterator[list]:
    """Split quads into chunks of about `size`, keeping blank-node components whole."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    keys: list[str | None] = []
    for q in quads:
        nodes = [t.value for t in (q.subject, q.object) if isinstance(t, ox.BlankNode)]
        for other in nodes[1:]:
            a, b = find(nodes[0]), find(other)
            if a != b:
                parent[a] = b
        keys.append(nodes[0] if nodes else None)
    components: dict[str, list] = {}
    singles: list[list] = []
    for q, key in zip(quads, keys, strict=True):
        if key is None:
            singles.append([q])
        else:
            root = find(key)
            if root not in components:
                components[root] = []
                singles.append(components[root])
            components[root].append(q)
    chunk: list = []
    for group in singles:
        if chunk and len(chunk) + len(group) > size:
            yield chunk
            chunk = []
        chunk += group
    if chunk:
        yield chunk
