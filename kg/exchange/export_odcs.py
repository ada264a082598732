"""Export one data product as an ODCS v3.1.0 data contract (YAML) that validates against
the ODCS JSON Schema: each dataset behind its output ports becomes a schema object,
each field a property with its logicalType."""

from __future__ import annotations

import re

import yaml
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDFS

from kg.exchange.model import DCAT_VERSION
from kg.exchange.products import product_graph
from kg.exchange.types import odcs_logical
from kg.namespaces import DPROD, MESH
from kg.store.base import Store

STATUS = {MESH.Draft: "draft", MESH.Active: "active", MESH.Deprecated: "deprecated",
          MESH.Retired: "retired"}


def _str(g: Graph, s, p) -> str | None:
    vals = sorted(g.objects(s, p), key=lambda v: (getattr(v, "language", None)
                                                  not in (None, "en"), str(v)))
    return str(vals[0]) if vals else None


def _id(iri) -> str:
    """Return an ODCS StableId (letters, digits, '-' and '_') for an IRI."""
    tail = str(iri).rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
    return re.sub(r"[^A-Za-z0-9_-]+", "_", tail).strip("_") or "id"


def contract(store: Store, product: URIRef) -> dict:
    """Return the ODCS v3.1.0 contract of one product as plain data."""
    g = product_graph(store, product)
    doc: dict = {"apiVersion": "v3.1.0", "kind": "DataContract", "id": _id(product),
                 "name": _str(g, product, RDFS.label) or _id(product),
                 "version": _str(g, product, DCAT_VERSION) or "1.0.0",
                 "status": STATUS.get(g.value(product, DPROD.lifecycleStatus), "draft")}
    domain = g.value(product, DPROD.domain)
    if domain is not None:
        doc["domain"] = _str(g, domain, RDFS.label) or _id(domain)
    doc["dataProduct"] = doc["name"]
    desc = {k: v for k, v in (("purpose", _str(g, product, DPROD.purpose)),
                              ("usage", _str(g, product, DCTERMS.description))) if v}
    if desc:
        doc["description"] = desc
    tags = sorted({str(k) for k in g.objects(product, DCAT.keyword)})
    if tags:
        doc["tags"] = tags
    owner = g.value(product, DPROD.dataProductOwner)
    if owner is not None:
        doc["team"] = {"name": f"owners of {doc['name']}", "members": [
            {"username": str(owner), "name": _str(g, owner, RDFS.label) or _id(owner),
             "role": "owner"}]}
    schema = []
    for svc in sorted(g.objects(product, DPROD.outputPort), key=str):
        for ds in sorted(g.objects(svc, DCAT.servesDataset), key=str):
            obj = {"id": _id(ds), "name": _str(g, ds, RDFS.label) or _id(ds),
                   "logicalType": "object", "physicalType": "table"}
            if _str(g, ds, DCTERMS.description):
                obj["description"] = _str(g, ds, DCTERMS.description)
            fields = sorted(g.objects(ds, MESH.hasField),
                            key=lambda f: (int(g.value(f, MESH.position) or 0), str(f)))
            props = []
            for f in fields:
                prop = {"id": _id(f), "name": _str(g, f, RDFS.label) or _id(f),
                        "logicalType": odcs_logical(str(g.value(f, MESH.datatype) or ""))}
                if _str(g, f, DCTERMS.description):
                    prop["description"] = _str(g, f, DCTERMS.description)
                concept = g.value(f, MESH.meansConcept)
                if concept is not None:
                    prop["authoritativeDefinitions"] = [
                        {"type": "businessDefinition", "url": str(concept)}]
                props.append(prop)
            if props:
                obj["properties"] = props
            schema.append(obj)
    if schema:
        doc["schema"] = schema
    subjects = sorted(str(s) for s in g.objects(product, DCTERMS.subject))
    if subjects:
        doc["authoritativeDefinitions"] = [{"type": "businessDefinition", "url": s}
                                           for s in subjects]
    doc["customProperties"] = [{"property": "meshkgIri", "value": str(product)}]
    return doc


def export_odcs(store: Store, product: URIRef) -> bytes:
    """Serialize one product's ODCS contract as YAML."""
    return yaml.safe_dump(contract(store, product), sort_keys=False,
                          allow_unicode=True).encode("utf-8")
