"""Import a dbt project's target/manifest.json: models, seeds, snapshots and sources become
draft products with their columns; tests become quality hints; depends_on becomes lineage.

Every column gets the suggestions a drafted file's column gets (kg.exchange.suggest):
concepts of the store from its name and description, DPV personal-data categories from
its name, its description and its dbt tags and meta (`pii`, `contains_pii: true`, …),
and, for a seed profiled from its CSV, from its values. They are stored as suggestions
for a steward, never as declared personal data.
"""

from __future__ import annotations

from pathlib import Path

from kg.errors import FormatMismatch, MeshError
from kg.exchange.common import DEFAULT_BASE, import_specs
from kg.exchange.model import DatasetSpec, FieldSpec, ProductSpec
from kg.exchange.report import SourceReport
from kg.exchange.safeio import inside, load_document
from kg.exchange.suggest import ConceptIndex, suggest_field
from kg.exchange.types import xsd_for
from kg.store.base import Store

PRODUCT_TYPES = ("model", "seed", "snapshot")
MAX_MANIFEST = 200 * 1024 * 1024
_NO = {"", "false", "no", "n", "0", "none", "null"}


def specs_from_manifest(manifest: dict, *, project_root: Path | None = None,
                        report: SourceReport | None = None,
                        index: ConceptIndex | None = None) -> list[ProductSpec]:
    """Map the nodes and sources of a dbt manifest to product specs, each column with
    its concept and personal-data suggestions (concepts from `index`)."""
    report = report if report is not None else SourceReport("manifest", "dbt")
    index = index if index is not None else ConceptIndex()
    if not isinstance(manifest, dict) or "nodes" not in manifest:
        raise FormatMismatch("format mismatch: not a dbt manifest (no 'nodes')",
                             source=report.source)
    nodes = {**manifest.get("nodes", {}), **manifest.get("sources", {})}
    tests: dict[str, list[tuple[str | None, str]]] = {}
    for node in manifest.get("nodes", {}).values():
        if node.get("resource_type") == "test":
            name = (node.get("test_metadata") or {}).get("name") or node.get("name", "test")
            for parent in (node.get("depends_on") or {}).get("nodes", []):
                tests.setdefault(node.get("attached_node") or parent, []).append(
                    (node.get("column_name"), name))
    specs = []
    for uid, node in sorted(nodes.items()):
        kind = node.get("resource_type")
        if kind not in PRODUCT_TYPES and kind != "source":
            if kind not in ("test", "operation", "analysis"):
                report.unmapped.append(f"{uid}: dbt {kind} nodes are not mapped")
            continue
        specs.append(_spec(uid, node, tests.get(uid, []), project_root, report, index))
    report.mapped += [
        "model/seed/snapshot/source -> dprod:DataProduct (draft) with one dcat:Dataset",
        "description -> dct:description; tags -> dcat:keyword; meta.owner -> owner",
        "columns -> mesh:Field (data_type -> mesh:datatype, description)",
        "column name, description, tags, meta -> mesh:Suggestion (concept, personal data)",
        "depends_on.nodes -> prov:wasDerivedFrom",
        "seed CSV beside the project -> profiled fields when the manifest lists none"]
    report.text_only += ["tests -> rdfs:comment 'dbt test: …' on the field or dataset",
                         "relation_name, materialized -> rdfs:comment"]
    report.unmapped += ["raw_code / compiled_code (SQL)", "macros, docs blocks, exposures"]
    return specs


def _spec(uid: str, node: dict, tests, root: Path | None, report: SourceReport,
          index: ConceptIndex) -> ProductSpec:
    kind = node.get("resource_type")
    name = node.get("name") or uid
    if kind == "source":
        name = f"{node.get('source_name', 'source')}.{name}"
    meta = {**(node.get("config") or {}).get("meta", {}), **(node.get("meta") or {})}
    spec = ProductSpec(key=uid, label=name, description=node.get("description") or None,
                       owner=_text(meta.get("owner")), domain=_text(meta.get("domain")),
                       keywords=[t for t in node.get("tags") or [] if isinstance(t, str)],
                       identifier=uid)
    spec.notes.append(f"dbt {kind} {uid}")
    if node.get("relation_name"):
        spec.notes.append(f"relation: {node['relation_name']}")
    mat = (node.get("config") or {}).get("materialized")
    if mat:
        spec.notes.append(f"materialized as {mat}")
    spec.derived_from = list((node.get("depends_on") or {}).get("nodes") or [])
    ds = DatasetSpec(key=name, label=name, description=node.get("description") or None)
    by_col: dict[str | None, list[str]] = {}
    for col, test in tests:
        by_col.setdefault(col, []).append(test)
    for col in (node.get("columns") or {}).values():
        if not isinstance(col, dict) or not _text(col.get("name")):
            continue
        f = FieldSpec(col["name"], datatype=xsd_for(col.get("data_type")),
                      description=_text(col.get("description")))
        f.notes += [f"dbt test: {t}" for t in by_col.pop(col.get("name"), [])]
        f.suggestions = suggest_field(index, f.name, description=f.description,
                                      tags=_declared(col), table=name)
        ds.fields.append(f)
    for col, names in by_col.items():
        if col and col not in {f.name for f in ds.fields}:
            ds.fields.append(FieldSpec(col, notes=[f"dbt test: {t}" for t in names],
                                       suggestions=suggest_field(index, col, table=name)))
        elif not col:
            ds.notes += [f"dbt test: {t}" for t in names]
    if kind == "seed" and not ds.fields and root is not None:
        ds.fields = _seed_fields(root, node, report, index)
    spec.datasets.append(ds)
    return spec


def _declared(col: dict) -> list[str]:
    """Return what a dbt column's tags, meta and policy tags say about it, as words."""
    out = [t for t in col.get("tags") or [] if isinstance(t, str)]
    meta = col.get("meta")
    if isinstance(meta, dict):
        for k, v in meta.items():
            if v is True:
                out.append(str(k))
            elif isinstance(v, str | int | float) and not isinstance(v, bool) \
                    and str(v).strip().lower() not in _NO:  # `pii: "false"` says no
                out.append(f"{k}: {v}")
    out += [t for t in col.get("policy_tags") or [] if isinstance(t, str)]
    return out


def _seed_fields(root: Path, node: dict, report: SourceReport,
                 index: ConceptIndex) -> list[FieldSpec]:
    """Profile a seed's CSV (inside the project folder only) for its columns."""
    from kg.exchange.draft import field_from
    from kg.exchange.profile import profile_file
    rel = node.get("original_file_path")
    if not rel:
        return []
    try:
        path = inside(root, rel, source=report.source)
        if not path.is_file():
            return []
        profiles = profile_file(path)
    except MeshError as exc:
        report.findings.append(f"seed {rel}: {exc.message}")
        return []
    return [field_from(c, index, profiles[0].name) for c in profiles[0].columns]


def _text(v) -> str | None:
    return v if isinstance(v, str) and v.strip() else None


def import_dbt(store: Store, path: Path, report: SourceReport, *,
               base_iri: str = DEFAULT_BASE, validate: bool = True) -> SourceReport:
    """Import one manifest.json into the graph of its dbt project."""
    manifest = load_document(path, MAX_MANIFEST)
    root = path.resolve().parent.parent if path.parent.name == "target" else None
    index = ConceptIndex.from_store(store)
    specs = specs_from_manifest(manifest, project_root=root, report=report, index=index)
    name = (manifest.get("metadata") or {}).get("project_name") or path.parent.name
    return import_specs(store, str(path), "dbt", name, specs, report, base_iri=base_iri,
                        validate=validate, index=index)
