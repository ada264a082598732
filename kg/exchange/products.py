"""Read products out of the store for the exporters: their asserted description only
(completion graphs included, inferred graphs left out)."""

from __future__ import annotations

from rdflib import Graph, URIRef

from kg.errors import NotFound
from kg.exchange.queries import load
from kg.namespaces import DPROD
from kg.store.base import Store
from kg.validation import asserted_graphs


def product_iris(store: Store, status: URIRef | None = None) -> list[URIRef]:
    """Return the IRIs of all products, or of those with one lifecycle status."""
    res = store.query(load("products"), bindings={"status": status} if status else None,
                      default_graphs=asserted_graphs(store))
    return [r["p"] for r in res.rows if isinstance(r["p"], URIRef)]


def product_graph(store: Store, iri: URIRef, graphs: list[str] | None = None) -> Graph:
    """Return one product's description and its neighbourhood as an rdflib graph."""
    graphs = graphs if graphs is not None else asserted_graphs(store)
    return store.query(load("product_graph"), bindings={"p": iri},
                       default_graphs=graphs).graph()


def resolve_product(store: Store, ref: str) -> URIRef:
    """Find a product by IRI, or by its label or identifier when unambiguous."""
    from rdflib import Literal
    iri = URIRef(ref) if ":" in ref and not any(c in ref for c in ' <>"{}|^`\\') else None
    if iri is not None and store.ask("ASK { ?p a ?c }",
                                     bindings={"p": iri, "c": DPROD.DataProduct}):
        return iri
    res = store.query("PREFIX dct: <http://purl.org/dc/terms/>\n"
                      "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
                      "SELECT DISTINCT ?p ?c ?name WHERE { ?p a ?c ; rdfs:label|dct:identifier ?l "
                      "FILTER(LCASE(STR(?l)) = LCASE(STR(?name))) }",
                      bindings={"c": DPROD.DataProduct, "name": Literal(ref)})
    found = [r["p"] for r in res.rows]
    if len(found) == 1:
        return found[0]
    if not found:
        raise NotFound(f"no data product {ref!r} (give its IRI, label or identifier)")
    raise NotFound(f"{ref!r} names {len(found)} products; give the IRI: "
                   + ", ".join(str(f) for f in found[:5]))
