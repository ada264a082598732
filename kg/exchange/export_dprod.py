"""Export data products as DPROD JSON-LD that the official DPROD shapes accept.

DPROD's shapes ask for plain xsd:string labels, descriptions and purposes, and for
typed owners, statuses, ports, datasets, distributions and policies; language-tagged
text is exported in its English (or only) form, and the meshkg-specific terms are
left out (they stay in the store)."""

from __future__ import annotations

import json

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, PROV, RDF, RDFS, SKOS, XSD

from kg.exchange.products import product_graph, product_iris
from kg.namespaces import DPROD, ODRL
from kg.store.base import Store
from kg.validation import asserted_graphs

CONTEXT = {"dprod": str(DPROD), "dcat": str(DCAT), "dct": str(DCTERMS), "prov": str(PROV),
           "rdfs": str(RDFS), "skos": str(SKOS), "odrl": str(ODRL), "xsd": str(XSD)}
_TEXT = (RDFS.label, DCTERMS.description, DPROD.purpose)
_LINKS = (DPROD.dataProductOwner, DPROD.lifecycleStatus, DPROD.domain, DPROD.outputPort,
          DPROD.inputPort, DPROD.informationSensitivityClassification, DCTERMS.subject,
          PROV.wasDerivedFrom, ODRL.hasPolicy, DCAT.contactPoint, DCTERMS.modified,
          DCTERMS.identifier, DCAT.keyword)
_TYPES = {DPROD.dataProductOwner: PROV.Agent,
          DPROD.lifecycleStatus: DPROD.DataProductLifecycleStatus,
          DPROD.informationSensitivityClassification: DPROD.InformationSensitivityClassification,
          DPROD.outputPort: DCAT.DataService, DPROD.inputPort: DCAT.DataService,
          ODRL.hasPolicy: ODRL.Policy, DCTERMS.subject: SKOS.Concept}


def _plain(g: Graph, s, p):
    """Return one plain xsd:string value of a text property (English first)."""
    vals = sorted(g.objects(s, p), key=lambda v: (getattr(v, "language", None)
                                                  not in (None, "en"), str(v)))
    return Literal(str(vals[0])) if vals else None


def export_dprod_graph(store: Store, status: URIRef | None = None) -> Graph:
    """Build the DPROD graph of all products (or those of one lifecycle status)."""
    out = Graph()
    for k, v in CONTEXT.items():
        out.bind(k, v)
    graphs = asserted_graphs(store)
    for p in product_iris(store, status):
        src = product_graph(store, p, graphs)
        out.add((p, RDF.type, DPROD.DataProduct))
        _text(out, src, p)
        for prop in _LINKS:
            for o in src.objects(p, prop):
                out.add((p, prop, o))
                if prop in _TYPES:
                    out.add((o, RDF.type, _TYPES[prop]))
                if prop == DCTERMS.subject or prop in _TYPES and prop != ODRL.hasPolicy:
                    lab = _plain(src, o, SKOS.prefLabel) or _plain(src, o, RDFS.label)
                    if lab is not None:
                        out.add((o, RDFS.label, lab))
                if prop == DCAT.contactPoint:
                    for pp, oo in src.predicate_objects(o):
                        out.add((o, pp, oo))
        for up in src.objects(p, PROV.wasDerivedFrom):
            out.add((up, RDF.type, DPROD.DataProduct))
        for svc in src.objects(p, DPROD.outputPort):
            _service(out, src, svc)
    return out


def _text(out: Graph, src: Graph, s) -> None:
    for prop in _TEXT:
        v = _plain(src, s, prop)
        if v is not None:
            out.add((s, prop, v))


def _service(out: Graph, src: Graph, svc) -> None:
    _text(out, src, svc)
    for o in src.objects(svc, DCAT.endpointURL):
        out.add((svc, DCAT.endpointURL, o))
    for ds in src.objects(svc, DCAT.servesDataset):
        out.add((svc, DCAT.servesDataset, ds))
        out.add((ds, RDF.type, DCAT.Dataset))
        _text(out, src, ds)
        for dist in src.objects(ds, DCAT.distribution):
            out.add((ds, DCAT.distribution, dist))
            out.add((dist, RDF.type, DCAT.Distribution))
            _text(out, src, dist)
            for prop in (DCAT.accessURL, DCAT.downloadURL, DCTERMS.format):
                for o in src.objects(dist, prop):
                    out.add((dist, prop, o))


def export_dprod(store: Store, status: URIRef | None = None) -> bytes:
    """Serialize the DPROD export as JSON-LD with an inline context."""
    g = export_dprod_graph(store, status)
    data = g.serialize(format="json-ld", context=CONTEXT, auto_compact=True)
    return json.dumps(json.loads(data), indent=2, ensure_ascii=False).encode("utf-8")
