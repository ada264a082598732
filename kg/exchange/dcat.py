"""Import DCAT / DCAT-AP catalogs (Turtle, RDF/XML, JSON-LD): the catalog is kept as it
is, in a graph of its own file; each dcat:Dataset with an IRI becomes a draft product under
that same IRI, so the same dataset imported from two files (a Turtle file and its JSON-LD
twin, an older and a newer catalog) is one product."""

from __future__ import annotations

from pathlib import Path

from kg.exchange.common import DEFAULT_BASE
from kg.exchange.rdfimport import import_rdf, products_for_datasets
from kg.exchange.report import SourceReport
from kg.store.base import Store


def _complete(store, src, out, report):
    report.mapped += ["the catalog's triples -> kept as they are in the file's import graph",
                      "dcat:Dataset -> also a dprod:DataProduct (draft) under its own IRI, "
                      "with dprod:outputPort to the dcat:DataService serving it (or a new "
                      "one)", "dct:title -> rdfs:label", "dct:publisher -> owner",
                      "dcat:theme (a skos:Concept in the store) -> dct:subject"]
    from kg.exchange.skos import place_concepts
    place_concepts(src, out, report)
    return products_for_datasets(store, src, out, report)


def import_dcat(store: Store, path: Path, report: SourceReport, *,
                base_iri: str = DEFAULT_BASE, validate: bool = True) -> SourceReport:
    """Import one DCAT catalog file."""
    return import_rdf(store, path, report, "dcat", _complete, base_iri=base_iri,
                      validate=validate, name=path.name)
