"""Import DCAT / DCAT-AP catalogs (Turtle, RDF/XML, JSON-LD): the catalog is kept as it
is; each dcat:Dataset with an IRI becomes a draft product serving it."""

from __future__ import annotations

from pathlib import Path

from kg.exchange.common import DEFAULT_BASE
from kg.exchange.rdfimport import import_rdf, products_for_datasets
from kg.exchange.report import SourceReport
from kg.store.base import Store


def _complete(store, src, out, report):
    report.mapped += ["the catalog's triples -> kept as they are in the import graph",
                      "dcat:Dataset -> dprod:DataProduct (draft) with dprod:outputPort to its "
                      "dcat:DataService (or a new one)", "dct:title -> rdfs:label",
                      "dct:description -> dct:description", "dct:publisher -> owner",
                      "dcat:theme (a skos:Concept in the store) -> dct:subject",
                      "dcat:keyword -> dcat:keyword"]
    from kg.exchange.skos import place_concepts
    place_concepts(src, out, report)
    return products_for_datasets(store, src, out, report)


def import_dcat(store: Store, path: Path, report: SourceReport, *,
                base_iri: str = DEFAULT_BASE, validate: bool = True) -> SourceReport:
    """Import one DCAT catalog file."""
    return import_rdf(store, path, report, "dcat", _complete, base_iri=base_iri,
                      validate=validate)
