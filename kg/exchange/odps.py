"""Import ODPS data products (Bitol Open Data Product Standard) as draft products."""

from __future__ import annotations

from pathlib import Path

from kg.errors import FormatMismatch
from kg.exchange._yamlmap import dataset, description_parts, listof, text
from kg.exchange.common import DEFAULT_BASE, import_specs
from kg.exchange.model import ProductSpec
from kg.exchange.odcs import owner_of
from kg.exchange.report import SourceReport
from kg.exchange.safeio import load_document
from kg.store.base import Store

KNOWN = {"apiVersion", "kind", "name", "id", "domain", "status", "tenant", "description",
         "tags", "inputPorts", "outputPorts", "team", "version"}


def spec_from_product(doc, report: SourceReport) -> ProductSpec:
    """Map one ODPS document to a product spec."""
    if not isinstance(doc, dict) or doc.get("kind") != "DataProduct":
        raise FormatMismatch("format mismatch: not an ODPS data product (kind: DataProduct)",
                             source=report.source)
    desc, purpose, notes = description_parts(doc.get("description"))
    label = text(doc.get("name")) or text(doc.get("id")) or "data product"
    spec = ProductSpec(key=text(doc.get("id")) or label, label=label, description=desc,
                       purpose=purpose, owner=owner_of(doc), domain=text(doc.get("domain")),
                       status=text(doc.get("status")), version=text(doc.get("version")),
                       identifier=text(doc.get("id")), notes=notes,
                       keywords=[str(t) for t in listof(doc.get("tags"))])
    if text(doc.get("tenant")):
        spec.notes.append(f"tenant: {doc['tenant']}")
    for port in listof(doc.get("inputPorts")):
        if isinstance(port, dict):
            spec.input_ports.append(" ".join(
                f"{k}={port[k]}" for k in ("name", "version", "contractId") if port.get(k)))
    for i, port in enumerate(listof(doc.get("outputPorts"))):
        if not isinstance(port, dict):
            continue
        name = text(port.get("name")) or f"port-{i + 1}"
        version = text(port.get("version"))
        ds = dataset(f"{name}-{version}" if version else name,
                     f"{name} {version}" if version else name, text(port.get("description")))
        for k in ("type", "contractId"):
            if text(port.get(k)):
                ds.notes.append(f"{k}: {port[k]}")
        spec.datasets.append(ds)
    report.mapped += ["id -> dct:identifier", "name -> rdfs:label", "domain -> dprod:domain",
                      "description.purpose -> dprod:purpose", "tags -> dcat:keyword",
                      "outputPorts[] -> dprod:outputPort dcat:DataService serving a "
                      "dcat:Dataset (name, version, description)"]
    report.text_only += ["status -> mesh:sourceStatus", "inputPorts[] (name, version, "
                         "contractId) -> rdfs:comment", "outputPorts[].type / contractId, "
                         "tenant, description.usage/limitations -> rdfs:comment"]
    report.unmapped += sorted(f"top-level '{k}'" for k in doc if k not in KNOWN)
    report.unmapped.append("outputPorts[].sbom, customProperties, authoritativeDefinitions")
    return spec


def import_odps(store: Store, path: Path, report: SourceReport, *,
                base_iri: str = DEFAULT_BASE, validate: bool = True) -> SourceReport:
    """Import one ODPS file into its own graph."""
    spec = spec_from_product(load_document(path), report)
    return import_specs(store, str(path), "odps", path.name.split(".")[0], [spec], report,
                        base_iri=base_iri, validate=validate)
