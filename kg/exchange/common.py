"""What every importer shares: the store's domains and concepts, the builder, the write."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rdflib import Graph, URIRef

from kg.errors import MeshError
from kg.exchange.model import Builder, ProductSpec, import_graph
from kg.exchange.queries import load
from kg.exchange.report import ImportReport, SourceReport, suggestion_line, write
from kg.exchange.suggest import ConceptIndex
from kg.store.base import Store

DEFAULT_BASE = "https://demo.meshkg.org/id/"


def known_domains(store: Store) -> dict[str, URIRef]:
    """Return the store's data domains by lowercased label."""
    return {str(r["label"]).strip().lower(): r["d"] for r in store.query(load("domains")).rows}


def base_for(base_iri: str, kind: str, name: str) -> str:
    """Return the IRI prefix of one import's resources."""
    from kg.exchange.model import slug
    return f"{base_iri.rstrip('/')}/import/{kind}/{slug(name)}/"


def build(store: Store, kind: str, name: str, specs: list[ProductSpec], *,
          base_iri: str = DEFAULT_BASE, used: list[str] | None = None,
          index: ConceptIndex | None = None) -> tuple[Builder, Graph]:
    """Build the RDF of some product specs, suggesting concepts for unmatched fields."""
    index = index if index is not None else ConceptIndex.from_store(store)
    for spec in specs:
        for ds in spec.datasets:
            for f in ds.fields:
                if f.concept is None and not any(s.kind == "concept" for s in f.suggestions):
                    f.suggestions += index.match_name(f.name)[:3]
    b = Builder(base_for(base_iri, kind, name), domains=known_domains(store))
    b.add_activity(f"meshkg import {kind}: {name}", used or [])
    g = b.add_products(specs)
    return b, g


def import_specs(store: Store, source: str, kind: str, name: str,
                 specs: list[ProductSpec], report: SourceReport, *,
                 base_iri: str = DEFAULT_BASE, validate: bool = True,
                 index: ConceptIndex | None = None) -> SourceReport:
    """Build and write the products of one source into its own graph."""
    b, g = build(store, kind, name, specs, base_iri=base_iri, used=[source], index=index)
    report.products = [str(b.products[s.key]) for s in specs]
    report.findings += b.findings
    report.suggestions = sum(len(f.suggestions) for s in specs for d in s.datasets
                             for f in d.fields)
    datasets = [d for s in specs for d in s.datasets]
    report.suggested = [
        suggestion_line(f.name if len(datasets) == 1 else f"{d.label}.{f.name}", sug)
        for d in datasets for f in d.fields for sug in f.suggestions]
    return write(store, report, {import_graph(kind, name): g}, validate=validate)


def run_each(store: Store, paths: list[Path], kind: str,
             one: Callable[[Path, SourceReport], SourceReport], *,
             progress: Callable | None = None) -> ImportReport:
    """Import each path on its own: a failure is that file's error, the others go on."""
    out = ImportReport()
    for path in paths:
        rep = SourceReport(str(path), kind)
        try:
            one(path, rep)
        except MeshError as exc:
            rep.error = exc.message
        except (OSError, ValueError, TypeError, KeyError) as exc:
            # a malformed document that got past the parser: that file's error only
            rep.error = f"{path}: cannot import: {type(exc).__name__}: {exc}"
        out.sources.append(rep)
        if progress is not None:
            progress(rep)
    changed = [g for rep in out.sources if rep.ok for g in rep.graphs]
    if changed:  # once for the whole run: inference is the slow part of a write
        from kg.inference import infer
        infer(store, changed=changed)
    return out
