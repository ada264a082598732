"""Import DPROD products (JSON-LD or Turtle, old EKGF or new OMG namespace): the source is
kept as it is (the old namespace rewritten), and what the meshkg shapes need but the
source lacks (owner, domain, subject, status) is added as placeholders beside it."""

from __future__ import annotations

from pathlib import Path

from kg.exchange.common import DEFAULT_BASE
from kg.exchange.rdfimport import complete_products, import_rdf
from kg.exchange.report import SourceReport
from kg.store.base import Store


def _complete(store, src, out, report):
    report.mapped += ["all triples -> kept (https://ekgf.github.io/dprod/ rewritten to "
                      "https://www.omg.org/spec/DPROD/)",
                      "dprod:DataProduct without owner/domain/subject/status (in this file "
                      "or another source in the store) -> placeholders and mesh:Draft in "
                      "the product's own graph"]
    from kg.exchange.skos import place_concepts
    place_concepts(src, out, report)
    return complete_products(store, src, out)


def import_dprod(store: Store, path: Path, report: SourceReport, *,
                 base_iri: str = DEFAULT_BASE, validate: bool = True) -> SourceReport:
    """Import one DPROD file."""
    return import_rdf(store, path, report, "dprod", _complete, base_iri=base_iri,
                      validate=validate, name=path.name)
