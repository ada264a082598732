"""Export the published (mesh:Active) products as a DCAT-AP 3.0.1 catalog.

Each product becomes a dcat:Dataset (its own IRI), its output ports dcat:DataServices of
the catalog, its distributions dcat:Distributions; every referenced resource is typed
with the class DCAT-AP's range shapes expect (foaf:Agent with foaf:name, vcard:Kind,
skos:Concept with skos:prefLabel, dct:Location, dct:PeriodOfTime, dct:MediaTypeOrExtent).
"""

from __future__ import annotations

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, PROV, RDF, RDFS, SKOS

from kg.exchange.model import DCAT_VERSION
from kg.exchange.products import product_graph, product_iris
from kg.namespaces import DPROD, MESH
from kg.store.base import Store
from kg.validation import asserted_graphs

VCARD = "http://www.w3.org/2006/vcard/ns#"
_COPY = (DCTERMS.description, DCAT.keyword, DCTERMS.identifier, DCTERMS.issued)


def _one(g: Graph, s, p, lang: str = "en"):
    """Pick one value: the English or untagged literal first, for max-1 properties."""
    vals = sorted(g.objects(s, p), key=lambda v: (getattr(v, "language", None)
                                                  not in (None, lang), str(v)))
    return vals[0] if vals else None


def export_dcat_ap(store: Store, base_iri: str, *, title: str = "meshkg data products",
                   publisher: str = "meshkg") -> Graph:
    """Build the DCAT-AP 3 catalog graph of all active products."""
    out = Graph()
    for p, ns in (("dcat", DCAT), ("dct", DCTERMS), ("foaf", FOAF), ("skos", SKOS),
                  ("vcard", VCARD)):
        out.bind(p, ns)
    cat = URIRef(base_iri.rstrip("/") + "/catalog")
    pub = URIRef(base_iri.rstrip("/") + "/catalog-publisher")
    out.add((cat, RDF.type, DCAT.Catalog))
    out.add((cat, DCTERMS.title, Literal(title, lang="en")))
    out.add((cat, DCTERMS.description, Literal(
        "Published (active) data products of the data mesh, exported by meshkg.", lang="en")))
    out.add((cat, DCTERMS.publisher, pub))
    _agent(out, pub, Literal(publisher))
    graphs = asserted_graphs(store)
    products = product_iris(store, MESH.Active)
    exported = set(products)
    for p in products:
        src = product_graph(store, p, graphs)
        _dataset(out, src, p, cat, exported)
    return out


def _agent(out: Graph, a, name) -> None:
    out.add((a, RDF.type, FOAF.Agent))
    out.add((a, FOAF.name, Literal(str(name))))


def _dataset(out: Graph, src: Graph, p: URIRef, cat: URIRef, exported: set) -> None:
    out.add((cat, DCAT.dataset, p))
    out.add((p, RDF.type, DCAT.Dataset))
    for t in src.objects(p, RDFS.label):
        out.add((p, DCTERMS.title, t))
    if (p, DCTERMS.description, None) not in src:
        out.add((p, DCTERMS.description, Literal(str(_one(src, p, RDFS.label)))))
    for prop in _COPY:
        for o in src.objects(p, prop):
            out.add((p, prop, o))
    modified = _one(src, p, DCTERMS.modified)
    if modified is not None:
        out.add((p, DCTERMS.modified, modified))
    version = _one(src, p, DCAT_VERSION)
    if version is not None:
        out.add((p, DCAT_VERSION, Literal(str(version))))
    owner = src.value(p, DPROD.dataProductOwner)
    if owner is not None:
        out.add((p, DCTERMS.publisher, owner))
        _agent(out, owner, _one(src, owner, RDFS.label) or _one(src, owner, FOAF.name)
               or str(owner).rsplit("/", 1)[-1])
    for c in src.objects(p, DCTERMS.subject):
        out.add((p, DCAT.theme, c))
        out.add((c, RDF.type, SKOS.Concept))
        labels = list(src.objects(c, SKOS.prefLabel)) or list(src.objects(c, RDFS.label)) \
            or [Literal(str(c).rsplit("/", 1)[-1])]
        for lab in labels:
            out.add((c, SKOS.prefLabel, lab))
    for cp in src.objects(p, DCAT.contactPoint):
        node = BNode()
        out.add((p, DCAT.contactPoint, node))
        out.add((node, RDF.type, URIRef(VCARD + "Kind")))
        for pp, o in src.predicate_objects(cp):
            if pp != RDF.type:
                out.add((node, pp, o))
    for loc in src.objects(p, DCTERMS.spatial):
        out.add((p, DCTERMS.spatial, loc))
        out.add((loc, RDF.type, DCTERMS.Location))
    for per in src.objects(p, DCTERMS.temporal):
        node = BNode()
        out.add((p, DCTERMS.temporal, node))
        out.add((node, RDF.type, DCTERMS.PeriodOfTime))
        for prop in (DCAT.startDate, DCAT.endDate):
            v = src.value(per, prop)
            if v is not None:
                out.add((node, prop, v))
    for up in src.objects(p, PROV.wasDerivedFrom):
        if up in exported:  # dct:source must be a dcat:Dataset of this catalog
            out.add((p, DCTERMS.source, up))
    for svc in src.objects(p, DPROD.outputPort):
        _service(out, src, svc, p, cat)


def _service(out: Graph, src: Graph, svc, p: URIRef, cat: URIRef) -> None:
    endpoint = src.value(svc, DCAT.endpointURL)
    if endpoint is not None:
        out.add((cat, DCAT.service, svc))
        out.add((svc, RDF.type, DCAT.DataService))
        out.add((svc, DCTERMS.title, _one(src, svc, RDFS.label) or Literal(str(svc))))
        out.add((svc, DCAT.endpointURL, endpoint))
        out.add((endpoint, RDF.type, RDFS.Resource))  # the DCAT-AP 3.0.1 range shape asks
        out.add((svc, DCAT.servesDataset, p))
    for ds in src.objects(svc, DCAT.servesDataset):
        for dist in src.objects(ds, DCAT.distribution):
            url = src.value(dist, DCAT.accessURL) or src.value(dist, DCAT.downloadURL) \
                or endpoint
            if url is None:
                continue
            out.add((p, DCAT.distribution, dist))
            out.add((dist, RDF.type, DCAT.Distribution))
            out.add((dist, DCAT.accessURL, url))
            title = _one(src, dist, RDFS.label)
            if title is not None:
                out.add((dist, DCTERMS.title, title))
            fmt = src.value(dist, DCTERMS.format)
            if fmt is not None:
                out.add((dist, DCTERMS.format, fmt))
                out.add((fmt, RDF.type, DCTERMS.MediaTypeOrExtent))
            if endpoint is not None and (dist, DCAT.accessService, svc) in src:
                out.add((dist, DCAT.accessService, svc))
