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
    Builder,
    import_graph,
    slug,
)
from kg.exchange.report import SourceReport, write
from kg.loading import parse_file
from kg.namespaces import DPROD, INFERRED_PREFIX, MESH
from kg.store.base import Store
from kg.store.oxigraph import to_rdflib

COMPLETION = ":completion"


def completion_graph(graph: str) -> str:
    """Return the graph holding what meshkg added to an imported source graph."""
    return graph + COMPLETION


def parse_rdf(path: Path, graph: str, max_bytes: int | None = None) -> Graph:
    """Parse an RDF file safely (kg.loading) into an rdflib graph."""
    return _as_rdflib(parse_file(path, graph=graph, max_bytes=max_bytes))


def _as_rdflib(parsed) -> Graph:
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
        # the parser's labels are stable for one file (kg.loading), so keep them
        return bnodes.setdefault(t.value, BNode(t.value))
    return to_rdflib(t)


def has_type(store: Store, src: Graph, node, cls: URIRef,
             graphs: list[str] | None = None) -> bool:
    """Tell whether a node is asserted to be of a class in the source or the store (or,
    with `graphs`, in those graphs of the store)."""
    if (node, RDF.type, cls) in src:
        return True
    if not isinstance(node, URIRef) or graphs == []:
        return False
    return store.ask("ASK { ?n a ?c }", bindings={"n": node, "c": cls},
                     **({} if graphs is None else {"default_graphs": graphs}))


#: the graphs holding what meshkg adds to one imported product, keyed by the product's IRI
#: (not by the file): every import naming the product re-derives it from all its sources
PRODUCT_GRAPH = "urn:meshkg:graph:import:product:"


def product_graph(product: str) -> str:
    """Return the graph holding what meshkg added to one imported product (or dataset)."""
    import hashlib
    digest = hashlib.sha1(str(product).encode("utf-8")).hexdigest()[:12]
    return f"{PRODUCT_GRAPH}{slug(str(product))[:40].rstrip('-')}-{digest}"


def _others(store: Store, own: set[str], *, inferred: bool = False) -> list[str]:
    """Return the graphs other sources assert in (with `inferred`, and what was derived
    from them): not this import's, not meshkg's additions to products (each is
    re-derived here from the sources, so its old version must not count)."""
    names = store.graph_names()
    skip = set(own) | {g for g in names if g.startswith(PRODUCT_GRAPH)}
    skip |= {INFERRED_PREFIX + g for g in skip}
    if not inferred:
        from kg.validation import asserted_graphs
        names = asserted_graphs(store)
        skip |= {g for g in names if g.endswith(COMPLETION)}
    return [g for g in names if g not in skip]


def known_about(store: Store, src: Graph, nodes, own: set[str]) -> Graph:
    """Return `src` plus what the store's other sources say about `nodes` (their own
    triples, who serves them, and what their publishers are called), so that a product
    is completed from every file that describes it, not only the one imported now."""
    view = Graph()
    view += src
    others = _others(store, own)
    if not others:
        return view
    from kg.store.base import term_to_sparql
    iris = sorted({n for n in nodes if isinstance(n, URIRef)})
    for i in range(0, len(iris), 200):  # a catalog of thousands of datasets: few queries
        values = " ".join(term_to_sparql(n) for n in iris[i:i + 200])
        view += store.query(
            "PREFIX dcat: <http://www.w3.org/ns/dcat#>\n"
            "CONSTRUCT { ?n ?p ?o . ?s dcat:servesDataset ?n . ?o ?q ?v } WHERE {\n"
            f"  VALUES ?n {{ {values} }}\n"
            "  { ?n ?p ?o OPTIONAL { ?o ?q ?v FILTER(isIRI(?o)) } }\n"
            "  UNION { ?s dcat:servesDataset ?n } }", default_graphs=others).graph()
    return view


def _placeholder(out: Builder, pg: Graph, what: str, product: URIRef) -> URIRef:
    """Use a placeholder (a finding of the import) and describe it in `pg` too."""
    node = out._placeholder(what, product)
    for t in out.graph.triples((node, None, None)):
        pg.add(t)
    for scheme in out.graph.objects(node, SKOS.inScheme):
        for t in out.graph.triples((scheme, None, None)):
            pg.add(t)
    return node


def complete_products(store: Store, src: Graph, out: Builder) -> list[str]:
    """Describe in a graph per product what each dprod:DataProduct of `src` lacks for the
    meshkg shapes, reading what the store's other sources already say about it."""
    _name_blank_products(src, out)
    products = sorted({s for s in src.subjects(RDF.type, DPROD.DataProduct)
                       if isinstance(s, URIRef)})
    view = known_about(store, src, products, out.own)
    seen = _others(store, out.own, inferred=True)
    for p in products:
        pg = out.graphs.setdefault(product_graph(p), Graph())
        if view.value(p, RDFS.label) is None:
            title = view.value(p, DCTERMS.title) or Literal(p.split("/")[-1])
            pg.add((p, RDFS.label, Literal(str(title))))
        if view.value(p, DCTERMS.description) is None:
            pg.add((p, DCTERMS.description, Literal("Imported without a description.")))
            out.stubs.append(str(p))
        if view.value(p, DPROD.lifecycleStatus) is None:
            pg.add((p, DPROD.lifecycleStatus, MESH.Draft))
        owners = list(view.objects(p, DPROD.dataProductOwner))
        if not owners:
            pg.add((p, DPROD.dataProductOwner, _placeholder(out, pg, "owner", p)))
        for o in owners:  # a literal owner stays as it is: the shapes name it
            if isinstance(o, URIRef) and not has_type(store, view, o, PROV.Agent, seen):
                pg.add((o, RDF.type, PROV.Agent))
        domains = list(view.objects(p, DPROD.domain))
        if not domains:
            pg.add((p, DPROD.domain, _placeholder(out, pg, "domain", p)))
        for d in domains:
            if isinstance(d, URIRef) and not has_type(store, view, d, MESH.DataDomain, seen):
                pg.add((d, RDF.type, MESH.DataDomain))
                if view.value(d, RDFS.label) is None:
                    pg.add((d, RDFS.label, Literal(str(view.value(d, SKOS.prefLabel)
                                                       or d.split("/")[-1]))))
        if not any(has_type(store, view, s, SKOS.Concept, seen)
                   for s in view.objects(p, DCTERMS.subject)):
            pg.add((p, DCTERMS.subject, _placeholder(out, pg, "concept", p)))
    return [str(p) for p in products]


def _name_blank_products(src: Graph, out: Builder) -> None:
    """Give each dprod:DataProduct without an IRI (a blank node) one of the import's own:
    a product nobody can name cannot be owned, linked or found (JSON-LD whose "@id" the
    context does not define gives such nodes)."""
    from rdflib import BNode
    blanks = sorted({s for s in src.subjects(RDF.type, DPROD.DataProduct)
                     if isinstance(s, BNode)}, key=str)
    for b in blanks:
        iri = out.iri("product", str(b))
        for p, o in list(src.predicate_objects(b)):
            src.remove((b, p, o))
            src.add((iri, p, o))
        for s, p in list(src.subject_predicates(b)):
            src.remove((s, p, b))
            src.add((s, p, iri))
        out.notes.append(f"a dprod:DataProduct without an IRI (a blank node) was named <{iri}>")


def products_for_datasets(store: Store, src: Graph, out: Builder,
                          report: SourceReport) -> list[str]:
    """Make each dcat:Dataset of a catalog a draft product under its own IRI.

    What meshkg adds (the product type, a label from dct:title, the draft status, the
    owner from dct:publisher or a placeholder, a domain and subject placeholder, an
    output port) goes in the dataset's own product graph, derived from every source in
    the store that describes the dataset: importing the same dataset from another file
    (its JSON-LD twin, a newer catalog) updates that one product.
    """
    made = []
    datasets = sorted(set(src.subjects(RDF.type, DCAT.Dataset)), key=str)
    view = known_about(store, src, datasets, out.own)
    seen = _others(store, out.own, inferred=True)
    for ds in datasets:
        if not isinstance(ds, URIRef):
            report.unmapped.append("a dcat:Dataset without an IRI (blank node): "
                                   "not made a product")
            continue
        made.append(str(ds))
        pg = out.graphs.setdefault(product_graph(ds), Graph())
        pg.add((ds, RDF.type, DPROD.DataProduct))
        titles = list(view.objects(ds, DCTERMS.title))
        if view.value(ds, RDFS.label) is None:
            for t in titles or [Literal(ds.split("/")[-1])]:
                pg.add((ds, RDFS.label, t))
        if view.value(ds, DCTERMS.description) is None:
            pg.add((ds, DCTERMS.description,
                    Literal(f"Dataset {ds} from an imported catalog.")))
            out.stubs.append(str(ds))
        if view.value(ds, DPROD.lifecycleStatus) is None:
            pg.add((ds, DPROD.lifecycleStatus, MESH.Draft))
        owners = [o for o in view.objects(ds, DPROD.dataProductOwner) if isinstance(o, URIRef)]
        publisher = view.value(ds, DCTERMS.publisher)
        if not owners and isinstance(publisher, URIRef):
            owners = [publisher]
            pg.add((ds, DPROD.dataProductOwner, publisher))
        for o in owners:
            if not has_type(store, view, o, PROV.Agent, seen):
                pg.add((o, RDF.type, PROV.Agent))
            name = view.value(o, FOAF.name)
            if name is not None and view.value(o, RDFS.label) is None:
                pg.add((o, RDFS.label, name))
        if not owners:
            pg.add((ds, DPROD.dataProductOwner, _placeholder(out, pg, "owner", ds)))
        if view.value(ds, DPROD.domain) is None:
            pg.add((ds, DPROD.domain, _placeholder(out, pg, "domain", ds)))
        subjects = [t for t in set(view.objects(ds, DCAT.theme))
                    | set(view.objects(ds, DCTERMS.subject))
                    if has_type(store, view, t, SKOS.Concept, seen)]
        for t in subjects:
            pg.add((ds, DCTERMS.subject, t))
        if not subjects:
            pg.add((ds, DCTERMS.subject, _placeholder(out, pg, "concept", ds)))
        ports = set(view.objects(ds, DPROD.outputPort)) | set(
            view.subjects(DCAT.servesDataset, ds))
        if not ports:
            svc = URIRef(f"{out.shared}service/{slug(str(ds))}")
            pg.add((svc, RDF.type, DCAT.DataService))
            pg.add((svc, RDFS.label, Literal(f"{(titles or [ds.split('/')[-1]])[0]} – "
                                             "output port")))
            pg.add((svc, DCAT.servesDataset, ds))
            ports = {svc}
        for s in ports:
            pg.add((ds, DPROD.outputPort, s))
    return made


def import_rdf(store: Store, path: Path, report: SourceReport, kind: str, complete, *,
               base_iri: str, validate: bool = True, name: str | None = None,
               max_bytes: int | None = None) -> SourceReport:
    """Parse an RDF source into its graph, add its completion graph, write both gated."""
    from kg.exchange.common import base_for, known_domains
    name = name or path.name.split(".")[0]
    graph = import_graph(kind, name)
    parsed = parse_file(path, graph=graph, max_bytes=max_bytes)
    src = _as_rdflib(parsed)
    if parsed.undefined_keys:
        keys = sorted(parsed.undefined_keys.items(), key=lambda kv: (-kv[1], kv[0]))
        report.unmapped.append(
            "JSON-LD keys no context in force defines, dropped as JSON-LD drops them "
            "(map the remote context to one that defines them with --context URL=PATH): "
            + ", ".join(f"{k} ({n}x)" for k, n in keys[:12])
            + (f" and {len(keys) - 12} more" if len(keys) > 12 else ""))
    out = Builder(base_for(base_iri, kind, name), domains=known_domains(store),
                  shared=f"{base_iri.rstrip('/')}/import/{kind}/",
                  own={graph, completion_graph(graph)})
    report.products = complete(store, src, out, report)
    report.findings += out.findings
    graphs = {graph: src}
    if len(out.graph):
        graphs[completion_graph(graph)] = out.graph
        report.text_only.append(f"{len(out.graph)} triples meshkg added are kept apart in "
                                f"<{completion_graph(graph)}>")
    added = {g: pg for g, pg in out.graphs.items() if len(pg)}
    if added:
        graphs.update(added)
        report.text_only.append(
            f"{sum(len(pg) for pg in added.values())} triples meshkg added to "
            f"{len(added)} product(s) are kept apart, one graph per product "
            f"(<{PRODUCT_GRAPH}…>), re-derived whenever a file describing it is imported")
    return write(store, report, graphs, validate=validate)


__all__ = ["PRODUCT_GRAPH", "completion_graph", "complete_products", "import_rdf",
           "known_about", "parse_rdf", "product_graph", "products_for_datasets", "slug"]
