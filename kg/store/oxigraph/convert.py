"""pyoxigraph terms to rdflib terms and back (the store speaks pyoxigraph; the
services read rdflib)."""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef

from kg.formats import rdflib_literal
from kg.store.result import Term

#: rdflib IRIs by their text: results repeat the same few (properties, classes, domains)
#: and URIRef checks each one it makes; URIRefs are immutable, so they are shared
_IRIS: dict[str, URIRef] = {}
_IRIS_MAX = 200_000


def _uriref(value: str) -> URIRef:
    iri = _IRIS.get(value)
    if iri is None:
        if len(_IRIS) >= _IRIS_MAX:
            _IRIS.clear()
        iri = _IRIS[value] = URIRef(value)
    return iri


def to_rdflib(term) -> Term:
    """Convert a pyoxigraph term to an rdflib term."""
    if isinstance(term, ox.NamedNode):
        return _uriref(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        dt = term.datatype.value
        if dt == "http://www.w3.org/2001/XMLSchema#string":
            return Literal(term.value)
        # the one place store terms become rdflib literals (also for kg.store.remote):
        # huge integers keep their lexical form instead of tracing back in int()
        return rdflib_literal(term.value, _uriref(dt))
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    raise TypeError(f"unsupported term {term!r}")


def to_oxigraph(term: Term):
    """Convert an rdflib term to a pyoxigraph term."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    raise TypeError(f"unsupported term {term!r}")
