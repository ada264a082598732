"""Small helpers shared by the YAML/JSON standard importers (ODCS, ODPS, DPDS)."""

from __future__ import annotations

from kg.exchange.model import DatasetSpec, FieldSpec
from kg.exchange.types import xsd_for


def text(v) -> str | None:
    """Return a non-empty string, or None."""
    if isinstance(v, str | int | float) and not isinstance(v, bool) and str(v).strip():
        return str(v).strip()
    return None


def listof(v) -> list:
    """Return v as a list (None -> [], a single item -> [item])."""
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def description_parts(desc) -> tuple[str | None, str | None, list[str]]:
    """Split an ODCS/ODPS description (string or {purpose, usage, limitations}) into
    description, purpose and notes kept as text."""
    if isinstance(desc, str):
        return desc, None, []
    if not isinstance(desc, dict):
        return None, None, []
    notes = [f"{k}: {desc[k]}" for k in ("usage", "limitations") if text(desc.get(k))]
    purpose = text(desc.get("purpose"))
    main = " ".join(p for p in (purpose, text(desc.get("usage"))) if p) or None
    return main, purpose, notes


def fields_from_columns(items, *, name_key="name", type_keys=("logicalType", "physicalType",
                                                              "dataType", "type")) -> list:
    """Map a list of column-like dicts to field specs (datatype from the first known type)."""
    out = []
    for i, col in enumerate(listof(items)):
        if not isinstance(col, dict) or not text(col.get(name_key)):
            continue
        dt = None
        for k in type_keys:
            t = col.get(k)
            if isinstance(t, list):  # Avro unions: ["null", "string"]
                t = next((x for x in t if isinstance(x, str) and x != "null"), None)
            dt = xsd_for(t if isinstance(t, str) else None)
            if dt:
                break
        f = FieldSpec(text(col.get(name_key)) or f"column_{i + 1}", datatype=dt,
                      description=text(col.get("description") or col.get("doc")))
        for k in ("businessName", "displayName", "physicalName", "physicalType",
                  "classification", "primaryKey", "required", "unique",
                  "criticalDataElement", "columnConstraint"):
            v = col.get(k)
            if v not in (None, "", False, -1):
                f.notes.append(f"{k}: {v}")
        for q in listof(col.get("quality")):
            if isinstance(q, dict):
                f.notes.append("quality: " + ", ".join(f"{k}={v}" for k, v in q.items()
                                                       if not isinstance(v, dict | list)))
        f.examples = [str(e) for e in listof(col.get("examples"))][:5]
        out.append(f)
    return out


def dataset(key: str, label: str, description: str | None = None,
            fields: list | None = None) -> DatasetSpec:
    """Return a dataset spec."""
    return DatasetSpec(key=key, label=label, description=description, fields=fields or [])
