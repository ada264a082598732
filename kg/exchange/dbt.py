"""Import a dbt project's target/manifest.json: models, seeds, snapshots and sources become
draft products with their columns; tests become quality hints; depends_on becomes lineage."""

from __future__ import annotations

from pathlib import Path

from kg.errors import FormatMismatch, MeshError
from kg.exchange.common import DEFAULT_BASE, import_specs
from kg.exchange.model import DatasetSpec, FieldSpec, ProductSpec
from kg.exchange.report import SourceReport
from kg.exchange.safeio import inside, load_document
from kg.exchange.types import xsd_for
from kg.store.base import Store

PRODUCT_TYPES = ("model", "seed", "snapshot")
MAX_MANIFEST = 200 * 1024 * 1024


def specs_from_manifest(manifest: dict, *, project_root: Path | None = None,
                        report: SourceReport | None = None) -> list[ProductSpec]:
    """Map the nodes and sources of a dbt manifest to product specs."""
    report = report if report is not None else SourceReport("manifest", "dbt")
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
        specs.append(_spec(uid, node, tests.get(uid, []), project_root, report))
    report.mapped += [
        "model/seed/snapshot/source -> dprod:DataProduct (draft) with one dcat:Dataset",
        "description -> dct:description; tags -> dcat:keyword; meta.owner -> owner",
        "columns -> mesh:Field (data_type -> mesh:datatype, description)",
        "depends_on.nodes -> prov:wasDerivedFrom",
        "seed CSV beside the project -> profiled fields when the manifest lists none"]
    report.text_only += ["tests -> rdfs:comment 'dbt test: …' on the field or dataset",
                         "relation_name, materialized -> rdfs:comment"]
    report.unmapped += ["raw_code / compiled_code (SQL)", "macros, docs blocks, exposures"]
    return specs


def _spec(uid: str, node: dict, tests, root: Path | None, report: SourceReport) -> ProductSpec:
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
        f = FieldSpec(col.get("name"), datatype=xsd_for(col.get("data_type")),
                      description=col.get("description") or None)
        f.notes += [f"dbt test: {t}" for t in by_col.pop(col.get("name"), [])]
        ds.fields.append(f)
    for col, names in by_col.items():
        if col and col not in {f.name for f in ds.fields}:
            ds.fields.append(FieldSpec(col, notes=[f"dbt test: {t}" for t in names]))
        elif not col:
            ds.notes += [f"dbt test: {t}" for t in names]
    if kind == "seed" and not ds.fields and root is not None:
        ds.fields = _seed_fields(root, node, report)
    spec.datasets.append(ds)
    return spec


def _seed_fields(root: Path, node: dict, report: SourceReport) -> list[FieldSpec]:
    """Profile a seed's CSV (inside the project folder only) for its columns."""
    from kg.exchange.draft import field_from
    from kg.exchange.profile import profile_file
    from kg.exchange.suggest import ConceptIndex
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
    return [field_from(c, ConceptIndex()) for c in profiles[0].columns]


def _text(v) -> str | None:
    return v if isinstance(v, str) and v.strip() else None


def import_dbt(store: Store, path: Path, report: SourceReport, *,
               base_iri: str = DEFAULT_BASE, validate: bool = True) -> SourceReport:
    """Import one manifest.json into the graph of its dbt project."""
    manifest = load_document(path, MAX_MANIFEST)
    root = path.resolve().parent.parent if path.parent.name == "target" else None
    specs = specs_from_manifest(manifest, project_root=root, report=report)
    name = (manifest.get("metadata") or {}).get("project_name") or path.parent.name
    return import_specs(store, str(path), "dbt", name, specs, report, base_iri=base_iri,
                        validate=validate)
