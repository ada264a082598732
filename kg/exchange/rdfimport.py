"""Import RDF sources (DCAT, DPROD, SKOS) losslessly into their own graph, plus a
completion graph holding only what meshkg adds so they pass the gate (placeholders,
missing types, scheme membership, products for datasets). Exports read the source
graph, never the completion graph, so a round trip gives back what came in."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, PROV, RDF, RDFS, SKOS

from kg.exchange.model import (
    PLACEHOLDER_CONCEPT,
    PLACEHOLDER_DOMAIN,
    PLACEHOLDER_OWNER,
    Builder,
    import_graph,
    slug,
)
from kg.exchange.report import SourceReport, write
from kg.loading import parse_file
from kg.namespaces import DPROD, MESH
from kg.store.base import Store
from kg.store.oxigraph import to_rdflib

COMPLETION = ":completion"


def completion_graph(graph: str) -> str:
    """Return the graph holding what meshkg added to an imported source graph."""
    return graph + COMPLETION


def parse_rdf(path: Path, graph: str, max_bytes: int | None = None) -> Graph:
    """Parse an RDF file safely (kg.loading) into an rdflib graph."""
    parsed = parse_file(path, graph=graph, max_bytes=max_bytes)
    g = Graph()
    bnodes: dict = {}
    with quiet_literals():
        for q in parsed.quads:
            g.add((_rd(q.subject, bnodes), to_rdflib(q.predicate), _rd(q.object, bnodes)))
    return g


@contextmanager
def quiet_literals():
    """Keep ill-typed literals (e.g. a date with month 13) as they are, without logging."""
    log = logging.getLogger("rdflib.term")
    level = log.level
    log.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        log.setLevel(level)


def _rd(t, bnodes):
    from rdflib import BNode
    if isinstance(t, ox.BlankNode):
        return bnodes.setdefault(t.value, BNode())
    return to_rdflib(t)


def has_type(store: Store, src: Graph, node, cls: URIRef) -> bool:
    """Tell whether a node is asserted to be of a class in the source or the store."""
    if (node, RDF.type, cls) in src:
        return True
    if not isinstance(node, URIRef):
        return False
    return store.ask("ASK { ?n a ?c }", bindings={"n": node, "c": cls})


def complete_products(store: Store, src: Graph, out: Builder) -> list[str]:
    """Add to `out` what each dprod:DataProduct of `src` lacks for the meshkg shapes."""
    g = out.graph
    products = sorted({s for s in src.subjects(RDF.type, DPROD.DataProduct)
                       if isinstance(s, URIRef)})
    for p in products:
        if src.value(p, RDFS.label) is None:
            title = src.value(p, DCTERMS.title) or Literal(p.split("/")[-1])
            g.add((p, RDFS.label, Literal(str(title))))
        if src.value(p, DCTERMS.description) is None:
            g.add((p, DCTERMS.description, Literal("Imported without a description.")))
            out.stubs.append(str(p))
        if src.value(p, DPROD.lifecycleStatus) is None:
            g.add((p, DPROD.lifecycleStatus, MESH.Draft))
        owners = list(src.objects(p, DPROD.dataProductOwner))
        if not owners:
            out._placeholder("owner", p)
            g.add((p, DPROD.dataProductOwner, PLACEHOLDER_OWNER))
        for o in owners:
            if not has_type(store, src, o, PROV.Agent):
                g.add((o, RDF.type, PROV.Agent))
        domains = list(src.objects(p, DPROD.domain))
        if not domains:
            out._placeholder("domain", p)
            g.add((p, DPROD.domain, PLACEHOLDER_DOMAIN))
        for d in domains:
            if not has_type(store, src, d, MESH.DataDomain):
                g.add((d, RDF.type, MESH.DataDomain))
                if src.value(d, RDFS.label) is None:
                    g.add((d, RDFS.label, Literal(str(src.value(d, SKOS.prefLabel)
                                                      or d.split("/")[-1]))))
        if not any(has_type(store, src, s, SKOS.Concept)
                   for s in src.objects(p, DCTERMS.subject)):
            out._placeholder("concept", p)
            g.add((p, DCTERMS.subject, PLACEHOLDER_CONCEPT))
    return [str(p) for p in products]


def products_for_datasets(store: Store, src: Graph, out: Builder,
                          report: SourceReport) -> list[str]:
    """Describe each dcat:Dataset of a catalog as a draft product serving it."""
    g = out.graph
    made = []
    served = {o for o in src.objects(None, DCAT.servesDataset)}
    for ds in sorted(set(src.subjects(RDF.type, DCAT.Dataset)), key=str):
        if not isinstance(ds, URIRef):
            report.unmapped.append("a dcat:Dataset without an IRI (blank node): "
                                   "not made a product")
            continue
        p = out.iri("product", str(ds))
        made.append(str(p))
        g.add((p, RDF.type, DPROD.DataProduct))
        titles = list(src.objects(ds, DCTERMS.title)) or [Literal(ds.split("/")[-1])]
        for t in titles:
            g.add((p, RDFS.label, t))
        descs = list(src.objects(ds, DCTERMS.description))
        for d in descs:
            g.add((p, DCTERMS.description, d))
        if not descs:
            g.add((p, DCTERMS.description, Literal(f"Dataset {ds} from an imported catalog.")))
            out.stubs.append(str(p))
        g.add((p, DPROD.lifecycleStatus, MESH.Draft))
        publisher = src.value(ds, DCTERMS.publisher)
        if isinstance(publisher, URIRef):
            g.add((p, DPROD.dataProductOwner, publisher))
            if not has_type(store, src, publisher, PROV.Agent):
                g.add((publisher, RDF.type, PROV.Agent))
            name = src.value(publisher, FOAF.name)
            if name is not None and src.value(publisher, RDFS.label) is None:
                g.add((publisher, RDFS.label, name))
        else:
            g.add((p, DPROD.dataProductOwner, out._placeholder("owner", p)))
        g.add((p, DPROD.domain, out._placeholder("domain", p)))
        themes = [t for t in src.objects(ds, DCAT.theme) if has_type(store, src, t, SKOS.Concept)]
        for t in themes or [out._placeholder("concept", p)]:
            g.add((p, DCTERMS.subject, t))
        services = [s for s in src.subjects(DCAT.servesDataset, ds)] if ds in served else []
        if not services:
            svc = out.iri("service", str(ds))
            g.add((svc, RDF.type, DCAT.DataService))
            g.add((svc, RDFS.label, Literal(f"{titles[0]} – output port")))
            g.add((svc, DCAT.servesDataset, ds))
            services = [svc]
        for s in services:
            g.add((p, DPROD.outputPort, s))
        for kw in src.objects(ds, DCAT.keyword):
            g.add((p, DCAT.keyword, kw))
    return made


def import_rdf(store: Store, path: Path, report: SourceReport, kind: str, complete, *,
               base_iri: str, validate: bool = True, name: str | None = None,
               max_bytes: int | None = None) -> SourceReport:
    """Parse an RDF source into its graph, add its completion graph, write both gated."""
    from kg.exchange.common import base_for, known_domains
    name = name or path.name.split(".")[0]
    graph = import_graph(kind, name)
    src = parse_rdf(path, graph, max_bytes)
    out = Builder(base_for(base_iri, kind, name), domains=known_domains(store))
    report.products = complete(store, src, out, report)
    report.findings += out.findings
    graphs = {graph: src}
    if len(out.graph):
        graphs[completion_graph(graph)] = out.graph
        report.text_only.append(f"{len(out.graph)} triples meshkg added are kept apart in "
                                f"<{completion_graph(graph)}>")
    return write(store, report, graphs, validate=validate)


__all__ = ["completion_graph", "complete_products", "import_rdf", "parse_rdf",
           "products_for_datasets", "slug"]
