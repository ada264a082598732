"""Draft data products from data that already exists: profile each file, then describe it
as a draft product with fields, datatypes and evidenced suggestions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kg.exchange.common import DEFAULT_BASE, import_specs, run_each
from kg.exchange.model import DatasetSpec, FieldSpec, ProductSpec
from kg.exchange.profile import FileProfile, profile_file, tabular_files
from kg.exchange.report import ImportReport, SourceReport
from kg.exchange.suggest import ConceptIndex, personal_data
from kg.store.base import Store


def field_from(col, index: ConceptIndex) -> FieldSpec:
    """Describe a profiled column as a field with concept and personal-data suggestions."""
    f = FieldSpec(col.name, datatype=col.datatype, examples=col.examples)
    f.suggestions = index.match_name(col.name)[:3]
    known = {s.target for s in f.suggestions}
    f.suggestions += [s for s in index.match_values(col.name, col.sample)
                      if s.target not in known][:2]
    f.suggestions += personal_data(col.name, col.sample)
    stats = [f"profiled: {col.values} values, null rate {col.null_rate:.1%}, "
             f"{col.distinct} distinct"]
    if any(s.kind == "personal-data" for s in f.suggestions):
        # the catalog is readable by anyone: never copy personal data into it
        f.examples = []
        stats.append("example values and min/max withheld: the column looks like personal data")
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
                         fields=[field_from(c, index) for c in p.columns])
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
        rep.profile = [p.to_json() for p in profiles]
        return import_specs(store, str(path), "draft", path.stem, [spec], rep,
                            base_iri=base_iri, validate=validate, index=index)

    return run_each(store, tabular_files(paths), "draft", one, progress=progress)
