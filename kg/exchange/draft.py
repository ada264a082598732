"""Draft data products from data that already exists: profile each file, then describe it
as a draft product with fields, datatypes and evidenced suggestions.

Nothing a draft prints or stores carries a value of a column that looks like personal
data: the profile withholds them (kg.exchange.profile), and a field with a personal-data
suggestion keeps no example values. Other columns keep up to five short examples and
their range. The report lists every suggestion with its evidence.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kg.exchange.common import DEFAULT_BASE, import_specs, run_each
from kg.exchange.model import DatasetSpec, FieldSpec, ProductSpec, Suggestion
from kg.exchange.profile import FileProfile, profile_file, tabular_files
from kg.exchange.report import ImportReport, SourceReport
from kg.exchange.suggest import ConceptIndex, suggest_field
from kg.store.base import Store


def field_from(col, index: ConceptIndex, table: str | None = None) -> FieldSpec:
    """Describe a profiled column (of the table or file `table`) as a field with concept
    and personal-data suggestions."""
    f = FieldSpec(col.name, datatype=col.datatype, examples=list(col.examples))
    f.suggestions = suggest_field(index, col.name, values=col.sample, table=table)
    stats = [f"profiled: {col.values} values, null rate {col.null_rate:.1%}, "
             f"{col.distinct} distinct"]
    if any(s.kind == "personal-data" for s in f.suggestions):
        # the catalog is readable by anyone: never copy personal data into it
        if not col.withheld:
            col.withhold("the column looks like personal data")
        f.examples = []
        stats.append(col.withheld)
    elif col.minimum is not None:
        stats.append(f"min {col.minimum}, max {col.maximum}")
    f.notes.append("; ".join(stats))
    return f


def spec_from(profiles: list[FileProfile], index: ConceptIndex) -> ProductSpec:
    """Draft one product from the profiles of one file (a dataset per sheet)."""
    first = profiles[0]
    name = Path(first.path).stem
    spec = ProductSpec(key=name, label=name.replace("_", " ").replace("-", " ").strip()
                       .capitalize() or name)
    total = sum(p.rows for p in profiles)
    spec.description = (f"Drafted from the file {Path(first.path).name} "
                        f"({first.format.upper()}, {'about ' if first.rows_estimated else ''}"
                        f"{total:,} rows); describe what the data holds.")
    for p in profiles:
        ds = DatasetSpec(key=p.name, label=p.name, rows=p.rows, fmt=p.format,
                         fields=[field_from(c, index, p.name) for c in p.columns])
        ds.notes += p.findings
        if p.sampled:
            ds.notes.append("profiled from a sample" + (" (row count estimated)"
                                                        if p.rows_estimated else ""))
        spec.datasets.append(ds)
    return spec


def draft(store: Store, paths: list[str | Path], *, base_iri: str = DEFAULT_BASE,
          validate: bool = True, progress: Callable | None = None) -> ImportReport:
    """Profile each file and write a draft product for it into its own graph."""
    index = ConceptIndex.from_store(store)

    def one(path: Path, rep: SourceReport) -> SourceReport:
        profiles = profile_file(path)
        spec = spec_from(profiles, index)
        rep.findings += [f"{path.name}: {f}" for p in profiles for f in p.findings]
        rep.mapped += ["columns -> mesh:Field (rdfs:label, mesh:datatype)",
                       "profile -> rdfs:comment on each field, mesh:exampleValue",
                       "suggestions -> mesh:Suggestion with mesh:evidence, mesh:confidence"]
        rep.profile = [profile_json(p, ds) for p, ds in zip(profiles, spec.datasets,
                                                             strict=True)]
        return import_specs(store, str(path), "draft", path.stem, [spec], rep,
                            base_iri=base_iri, validate=validate, index=index)

    return run_each(store, tabular_files(paths), "draft", one, progress=progress)


def suggestion_json(s: Suggestion) -> dict:
    """Return one suggestion as JSON-ready data."""
    return {"kind": s.kind, "target": s.target, "label": s.label,
            "confidence": round(s.confidence, 2), "evidence": s.evidence}


def profile_json(profile: FileProfile, ds: DatasetSpec) -> dict:
    """Return a file's profile with each column's suggestions beside its statistics."""
    out = profile.to_json()
    for col, f in zip(out["columns"], ds.fields, strict=True):
        col["suggestions"] = [suggestion_json(s) for s in f.suggestions]
    return out
