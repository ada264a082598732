"""Import ODCS v3 data contracts (Bitol Open Data Contract Standard) as draft products."""

from __future__ import annotations

from pathlib import Path

from kg.errors import FormatMismatch
from kg.exchange._yamlmap import dataset, description_parts, fields_from_columns, listof, text
from kg.exchange.common import DEFAULT_BASE, import_specs
from kg.exchange.model import ProductSpec
from kg.exchange.report import SourceReport
from kg.exchange.safeio import load_document
from kg.store.base import Store

MAPPED = ["id -> dct:identifier", "name / dataProduct -> rdfs:label", "domain -> dprod:domain",
          "version -> dcat:version", "description.purpose -> dprod:purpose",
          "description -> dct:description", "tags -> dcat:keyword",
          "team / stakeholders role owner -> dprod:dataProductOwner",
          "schema[] -> dcat:Dataset behind a dcat:DataService output port",
          "schema[].properties[] -> mesh:Field (logicalType -> mesh:datatype, description, "
          "examples)"]
TEXT = ["status -> mesh:sourceStatus (the product lands as mesh:Draft)",
        "description.usage / limitations, servers, tenant -> rdfs:comment",
        "property businessName, physicalName, classification, primaryKey, quality -> "
        "rdfs:comment on the field"]
KNOWN = {"id", "name", "dataProduct", "domain", "version", "status", "description", "tags",
         "team", "stakeholders", "schema", "servers", "tenant", "kind", "apiVersion"}


def owner_of(doc: dict) -> str | None:
    """Return the name of the contract's owner from team, stakeholders or roles."""
    team = doc.get("team")
    members = team.get("members") if isinstance(team, dict) else team
    for m in listof(members) + listof(doc.get("stakeholders")):
        if isinstance(m, dict) and "owner" in str(m.get("role", "")).lower():
            return text(m.get("name") or m.get("username"))
    return None


def spec_from_contract(doc, report: SourceReport) -> ProductSpec:
    """Map one ODCS v3 document to a product spec."""
    if not isinstance(doc, dict) or not (doc.get("kind") == "DataContract"
                                         or "apiVersion" in doc and "schema" in doc):
        raise FormatMismatch("format mismatch: not an ODCS data contract "
                             "(kind: DataContract)", source=report.source)
    label = text(doc.get("name")) or text(doc.get("dataProduct")) or text(doc.get("id"))
    desc, purpose, notes = description_parts(doc.get("description"))
    spec = ProductSpec(key=text(doc.get("id")) or label or "contract",
                       label=label or "contract", description=desc, purpose=purpose,
                       owner=owner_of(doc), domain=text(doc.get("domain")),
                       status=text(doc.get("status")), version=text(doc.get("version")),
                       identifier=text(doc.get("id")), notes=notes,
                       keywords=[str(t) for t in listof(doc.get("tags"))])
    if text(doc.get("dataProduct")) and text(doc.get("name")):
        spec.notes.append(f"data product: {doc['dataProduct']}")
    if text(doc.get("tenant")):
        spec.notes.append(f"tenant: {doc['tenant']}")
    for s in listof(doc.get("servers")):
        if isinstance(s, dict):
            spec.notes.append("server: " + ", ".join(f"{k}={v}" for k, v in s.items()
                                                     if isinstance(v, str | int)))
    for obj in listof(doc.get("schema")):
        if not isinstance(obj, dict):
            continue
        name = text(obj.get("name")) or text(obj.get("physicalName")) or "table"
        ds = dataset(name, text(obj.get("businessName")) or name,
                     text(obj.get("description")), fields_from_columns(obj.get("properties")))
        if text(obj.get("physicalName")):
            ds.notes.append(f"physicalName: {obj['physicalName']}")
        spec.datasets.append(ds)
    report.mapped += MAPPED
    report.text_only += TEXT
    report.unmapped += sorted(f"top-level '{k}'" for k in doc if k not in KNOWN)
    return spec


def import_odcs(store: Store, path: Path, report: SourceReport, *,
                base_iri: str = DEFAULT_BASE, validate: bool = True) -> SourceReport:
    """Import one ODCS contract file into its own graph."""
    spec = spec_from_contract(load_document(path), report)
    return import_specs(store, str(path), "odcs", path.name.split(".")[0], [spec], report,
                        base_iri=base_iri, validate=validate)
