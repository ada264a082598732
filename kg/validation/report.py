"""Findings and reports: what validation found, as a steward reads it, and which
findings refuse a write (GatePolicy)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH

from kg.namespaces import MESH


@dataclass
class Finding:
    """One validation result, as a steward reads it."""

    severity: str
    focus: str
    path: str | None
    shape: str | None
    message: str
    value: str | None = None
    constraint: str | None = None
    #: set by the gate: this Violation refuses the write (kg.validation.GatePolicy)
    refuses: bool = False

    def to_dict(self) -> dict:
        """Return the finding as a plain dict."""
        return {k: v for k, v in self.__dict__.items()}


@dataclass
class Report:
    """The outcome of validating some focus resources."""

    results: list[Finding] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    @property
    def conforms(self) -> bool:
        """True when no result is a Violation."""
        return not any(f.severity == "Violation" for f in self.results)

    def count(self, severity: str) -> int:
        """Count the findings of one severity."""
        return sum(1 for f in self.results if f.severity == severity)

    def for_focus(self, focus: str) -> list[Finding]:
        """Return the findings about one resource."""
        return [f for f in self.results if f.focus == focus]

    def to_json(self) -> dict:
        """Return the report as JSON-ready data."""
        return {"conforms": self.conforms, "checked": len(self.checked),
                "violations": self.count("Violation"), "warnings": self.count("Warning"),
                "infos": self.count("Info"), "results": [f.to_dict() for f in self.results]}

    def to_graph(self) -> Graph:
        """Return a standard sh:ValidationReport graph."""
        g = Graph()
        g.bind("sh", SH)
        report = BNode()
        g.add((report, RDF.type, SH.ValidationReport))
        g.add((report, SH.conforms, Literal(self.conforms)))
        for f in self.results:
            r = BNode()
            g.add((report, SH.result, r))
            g.add((r, RDF.type, SH.ValidationResult))
            g.add((r, SH.resultSeverity, SH[f.severity]))
            g.add((r, SH.focusNode, _node(f.focus)))
            g.add((r, SH.resultMessage, Literal(f.message)))
            if f.path:
                g.add((r, SH.resultPath, URIRef(f.path)))
            if f.shape:
                g.add((r, SH.sourceShape, _node(f.shape)))
            if f.constraint:
                g.add((r, SH.sourceConstraintComponent, URIRef(f.constraint)))
            if f.value is not None:
                g.add((r, SH.value, Literal(f.value)))
        return g

    def refusing(self) -> list[Finding]:
        """Return the findings the gate marked as refusing the write."""
        return [f for f in self.results if f.refuses]

    def to_text(self, *, per_shape: int | None = 10) -> str:
        """Return a readable table: severity, focus node, path, shape, message.

        At most `per_shape` findings of one shape and severity are written out (None: all);
        the rest are counted, so that a 2,000-concept vocabulary with one recurring
        finding reads in a screen, not in 9,000 lines."""
        if not self.results:
            return f"Conforms: {len(self.checked)} resources checked, no findings.\n"
        lines = []
        shown: dict[tuple, int] = {}
        for f in sorted(self.results, key=_order):
            key = (f.severity, f.shape, f.refuses)
            shown[key] = shown.get(key, 0) + 1
            if per_shape is not None and shown[key] > per_shape:
                continue
            head = f"{f.severity} (refuses)" if f.refuses else f.severity
            lines.append(f"{head:<9} {f.focus}\n          path:  {f.path or '-'}\n"
                         f"          shape: {f.shape or '-'}\n          {f.message}"
                         + (f"\n          value: {f.value}" if f.value else ""))
        for (sev, shape, _), n in sorted(shown.items(), key=lambda kv: str(kv[0])):
            if per_shape is not None and n > per_shape:
                lines.append(f"… and {n - per_shape} more {sev} finding(s) of shape "
                             f"{shape or '-'} (`meshkg validate --format json` lists all)")
        summary = (f"{'Conforms' if self.conforms else 'Does not conform'}: "
                   f"{self.count('Violation')} violations, {self.count('Warning')} warnings, "
                   f"{self.count('Info')} infos in {len(self.checked)} resources checked.")
        if any(f.refuses for f in self.results):
            summary += f" {len(self.refusing())} violation(s) refuse the write."
        return "\n".join(lines) + "\n" + summary + "\n"


#: what the gate refuses (setting `gate`): "strict", every Violation; "governance", the
#: Violations of shapes marked `mesh:refusesWrite true` (or those the `refuse` setting names)
GATE_MODES = ("strict", "governance")


@dataclass(frozen=True)
class GatePolicy:
    """Which Violations refuse a write (settings `gate` and `refuse`)."""

    mode: str = "governance"
    refuse: tuple[str, ...] = ()
    #: the SHACL engine the gate runs (setting `shacl_engine`, kg.config.SHACL_ENGINES)
    engine: str = "turbo"

    @classmethod
    def from_settings(cls, settings) -> GatePolicy:
        """The policy the settings name."""
        return cls(mode=settings.gate, refuse=tuple(settings.refuse),
                   engine=settings.shacl_engine)

    def mark(self, report: Report, shapes: Graph) -> list[Finding]:
        """Mark and return the findings of `report` that refuse the write."""
        if self.mode == "strict":
            chosen = None
        elif self.refuse:
            chosen = {_shape_iri(name) for name in self.refuse}
            # a misspelt name would silently let everything through: refuse the setting
            unknown = sorted(n for n in self.refuse
                             if (URIRef(_shape_iri(n)), None, None) not in shapes)
            if unknown:
                from kg.errors import UsageError
                raise UsageError("setting refuse names no shape of the gate: "
                                 + ", ".join(unknown) + " (local names in "
                                 "shapes/meshkg-shapes.ttl, e.g. DataProductShape-owner)")
        else:
            chosen = refusing_shapes(shapes)
        for f in report.results:
            f.refuses = f.severity == "Violation" and (chosen is None or f.shape in chosen)
        return report.refusing()


def _shape_iri(name: str) -> str:
    """A shape named in the `refuse` setting: an IRI, `mesh:Local` or a local name."""
    if name.startswith(("http://", "https://", "urn:")):
        return name
    return str(MESH) + name.removeprefix("mesh:")


def refusing_shapes(shapes: Graph) -> set[str]:
    """The shapes marked `mesh:refusesWrite true`."""
    return {str(s) for s in shapes.subjects(MESH.refusesWrite, Literal(True))}


def _order(f: Finding):
    return ({"Violation": 0, "Warning": 1, "Info": 2}.get(f.severity, 3), f.focus, f.path or "")


def _node(text: str):
    return BNode(text[2:]) if text.startswith("_:") else URIRef(text)



def report_json(report: Report) -> str:
    """Return a report as indented JSON text."""
    return json.dumps(report.to_json(), indent=2, ensure_ascii=False)
