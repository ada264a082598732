"""Diff two versions of a graph as N-Triples text written by pyoxigraph's serializer.

A re-loaded file of 45,000 triples whose one product changed differs in a handful of
lines; comparing lines as bytes is far cheaper than comparing triples as terms. A file's
blank nodes keep their labels from one parse to the next (kg.loading), but data from
elsewhere (an older store, a server that relabels them) may not: callers treat lines
that mention one separately (see kg.gate.changed_iris_text and kg.inference.delta).
"""

from __future__ import annotations

import pyoxigraph as ox


def ntriples(quads) -> bytes:
    """Serialize the triples of quads as N-Triples, as the store's dump writes them."""
    return ox.serialize([ox.Triple(q.subject, q.predicate, q.object) for q in quads],
                        format=ox.RdfFormat.N_TRIPLES)


def changed_lines(old: bytes, new: bytes) -> tuple[set[bytes], set[bytes]]:
    """Return the lines only in old (removed) and only in new (added)."""
    old_lines = set(old.splitlines())
    new_lines = set(new.splitlines())
    old_lines.discard(b"")
    new_lines.discard(b"")
    return old_lines - new_lines, new_lines - old_lines


def has_blank(line: bytes) -> bool:
    """Tell whether a line may mention a blank node (a literal holding "_:" counts too)."""
    return b"_:" in line


def terms(line: bytes) -> tuple[bytes, bytes, bytes]:
    """Split an N-Triples line into subject, predicate and object text."""
    subject, predicate, rest = line.split(b" ", 2)
    return subject, predicate, rest[:-2] if rest.endswith(b" .") else rest


def iri(term: bytes) -> str | None:
    """Return the IRI a term's text names, or None for a literal or blank node."""
    if term.startswith(b"<") and term.endswith(b">"):
        return term[1:-1].decode("utf-8")
    return None
