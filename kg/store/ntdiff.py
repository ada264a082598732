"""Diff two versions of a graph as N-Triples text written by pyoxigraph's serializer.

A re-loaded file of 45,000 triples whose one product changed differs in a handful of
lines; comparing lines as bytes is far cheaper than comparing triples as terms. A file's
blank nodes keep their labels from one parse to the next (kg.loading), but data from
elsewhere (an older store, a server that relabels them) may not: callers treat lines
that mention one separately (see kg.gate.changed_iris_text and kg.inference.delta).
"""

from __future__ import annotations

import io

import pyoxigraph as ox


def ntriples(quads) -> bytes:
    """Serialize the triples of quads as N-Triples, as the store's dump writes them."""
    # Quad.triple is 5x faster than building Triple(q.subject, q.predicate, q.object)
    return canonical(ox.serialize([q.triple for q in quads], format=ox.RdfFormat.N_TRIPLES))


_TYPED = b'"^^<http://www.w3.org/2001/XMLSchema#'
_STRING = b'"^^<http://www.w3.org/2001/XMLSchema#string>'


def canonical(text: bytes) -> bytes:
    """N-Triples text with its XSD-typed literals in the form the store keeps them.

    The store holds a valid typed value as a value: `"12.50"^^xsd:decimal` reads back
    as `"12.5"`, `"01"^^xsd:integer` as `"1"`, a dateTime at +00:00 with `Z`. Text
    written from parsed quads must say the same, or every such line would look changed
    when diffed against the store's. The lines holding one go through an in-memory
    store and back (a 45,000-triple file: a few ms); the rest are left as they are.
    """
    spans, pos = [], text.find(_TYPED)
    while pos != -1:  # one find per typed line, not a look at every line
        start = text.rfind(b"\n", 0, pos) + 1
        end = text.find(b"\n", pos) + 1 or len(text)
        if not text.startswith(_STRING, pos):
            spans.append((start, end))
        pos = text.find(_TYPED, end)
    if not spans:
        return text
    mem = ox.Store()  # extend, not load: load would give blank nodes new labels
    typed = b"".join(text[a:b] for a, b in spans)
    mem.extend(ox.Quad(t.subject, t.predicate, t.object)
               for t in ox.parse(typed, format=ox.RdfFormat.N_TRIPLES))
    out = io.BytesIO()
    mem.dump(out, format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    ends = [0, *(x for span in spans for x in span), len(text)]
    rest = b"".join(text[ends[i]:ends[i + 1]] for i in range(0, len(ends), 2))
    return rest + out.getvalue()


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
