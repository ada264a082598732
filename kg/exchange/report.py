"""The import report: per source what was mapped, what was kept only as text, what was
not mapped, the placeholders used, the gate's findings, and per-file errors."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import Graph

from kg.errors import ShapeViolation
from kg.loading import Parsed
from kg.store.base import Store


@dataclass
class SourceReport:
    """What happened to one source file."""

    source: str
    kind: str
    graph: str | None = None
    products: list[str] = field(default_factory=list)
    triples: int = 0
    mapped: list[str] = field(default_factory=list)
    text_only: list[str] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    suggestions: int = 0
    #: every suggestion, one line each: column, what it suggests, confidence, evidence
    suggested: list[str] = field(default_factory=list)
    graphs: list[str] = field(default_factory=list)
    profile: list = field(default_factory=list)
    error: str | None = None
    validation: object | None = None
    #: with --no-validate: how many findings the written resources have, kept as findings
    stored_findings: int | None = None

    @property
    def ok(self) -> bool:
        """True when the source was written."""
        return self.error is None

    def to_json(self) -> dict:
        """Return the report as JSON-ready data."""
        out = {"ok": self.ok, **{k: v for k, v in self.__dict__.items() if k != "validation"}}
        if self.validation is not None:
            out["validation"] = self.validation.to_json()
        return out

    def to_text(self) -> str:
        """Return a readable summary, one line per item."""
        if self.error:
            out = f"FAILED  {self.source}: {self.error}\n"
            if self.validation is not None and self.validation.results:
                # what the gate found, finding by finding (severity, focus node, path,
                # shape, message), not only how many
                out += "".join(f"  {line}\n" if line else "\n"
                               for line in self.validation.to_text().splitlines())
            if self.suggested:
                out += "  suggestions (not stored: the source was refused):\n"
                out += "".join(f"    - {line}\n" for line in self.suggested)
            return out
        lines = [f"imported {self.source} ({self.kind}) -> <{self.graph}>: "
                 f"{len(self.products)} products, {self.triples} triples, "
                 f"{self.suggestions} suggestions"]
        if self.stored_findings is not None:
            v = self.validation
            lines.append(f"  written without validation refusing it (--no-validate): "
                         f"{self.stored_findings} findings stored ({v.count('Violation')} "
                         f"violations, {v.count('Warning')} warnings, {v.count('Info')} "
                         "infos); `meshkg validate`, the product pages and the governance "
                         "page show them")
        for title, items in (("mapped", self.mapped), ("kept as text", self.text_only),
                             ("not mapped", self.unmapped), ("to review", self.findings)):
            if items:
                lines.append(f"  {title}:")
                lines += [f"    - {i}" for i in sorted(set(items))]
        if self.suggested:
            lines.append("  suggestions (for a steward to accept or reject):")
            lines += [f"    - {line}" for line in self.suggested]
        return "\n".join(lines) + "\n"


def suggestion_line(column: str, s) -> str:
    """One suggestion as a steward reads it: column, what, confidence, why."""
    what = "personal data" if s.kind == "personal-data" else "concept"
    return f"{column} -> {what} {_curie(s.target)} ({s.label}, {s.confidence:.2f}): {s.evidence}"


def _curie(iri: str) -> str:
    from kg.namespaces import PREFIXES
    for prefix, ns in sorted(PREFIXES.items(), key=lambda kv: -len(str(kv[1]))):
        if iri.startswith(str(ns)) and iri != str(ns):
            return f"{prefix}:{iri[len(str(ns)):]}"
    return f"<{iri}>"


@dataclass
class ImportReport:
    """The reports of every source of one import run."""

    sources: list[SourceReport] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every source was written."""
        return all(s.ok for s in self.sources)

    def to_json(self) -> dict:
        """Return the run as JSON-ready data."""
        return {"ok": self.ok, "sources": [s.to_json() for s in self.sources]}

    def to_text(self) -> str:
        """Return the readable report of every source."""
        return "".join(s.to_text() for s in self.sources)


def to_parsed(source: str, graphs: dict[str, Graph]) -> Parsed:
    """Turn rdflib graphs (by graph name) into one Parsed source for kg.sources."""
    from kg.store.oxigraph import to_oxigraph
    main = next(iter(graphs))
    out = Parsed(source=source, graph=main)
    bnodes: dict = {}
    for name, g in graphs.items():
        gn = ox.NamedNode(name)
        out.graphs.add(name)
        for s, p, o in g:
            out.quads.append(ox.Quad(_term(s, bnodes, to_oxigraph), to_oxigraph(p),
                                     _term(o, bnodes, to_oxigraph), gn))
    return out


def _term(t, bnodes, conv):
    from rdflib import BNode
    if isinstance(t, BNode):
        if t not in bnodes:
            bnodes[t] = ox.BlankNode()
        return bnodes[t]
    return conv(t)


def write(store: Store, report: SourceReport, graphs: dict[str, Graph], *,
          validate: bool = True) -> SourceReport:
    """Write one source's graphs through the gate; on refusal record why, write nothing."""
    from kg.sources import write_parsed
    parsed = to_parsed(report.source, graphs)
    try:
        load = write_parsed(store, [parsed], validate=validate, kind=f"import:{report.kind}",
                            run_inference=False)
    except ShapeViolation as exc:
        report.error = exc.message
        report.validation = exc.report
        if exc.report is not None:
            report.findings += summarize(
                [f for f in exc.report.results if f.severity == "Violation"])
        return report
    mine = {q.subject.value for q in parsed.quads if isinstance(q.subject, ox.NamedNode)}
    report.graph = parsed.graph
    report.graphs = sorted(graphs)
    report.triples = parsed.count
    report.validation = load.validation
    if not validate:
        # written as asked, but not silently: what the gate would have said is kept as
        # findings (the dashboard's), and counted in the report
        from kg.validation import validate_store
        load.validation = validate_store(store, sorted(mine), save=True)
        report.validation = load.validation
        report.stored_findings = len(load.validation.results)
    if load.validation is not None:
        report.findings += summarize([f for f in load.validation.results if f.focus in mine])
    return report


def summarize(results) -> list[str]:
    """Group validation findings by severity and message, with a count and an example."""
    groups: dict[tuple[str, str], list[str]] = {}
    for f in results:
        if f.severity in ("Violation", "Warning"):
            groups.setdefault((f.severity, f.message), []).append(f.focus)
    return [f"{sev}: {msg} ({len(foci)}x, e.g. <{foci[0]}>)"
            for (sev, msg), foci in sorted(groups.items())]
