"""`meshkg check`: meshkg's shapes, the built-in rules and a steward's rule files over a
store or Turtle files, summarised per domain and recorded as a prov:Activity."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SH

from kg.config import Settings
from kg.errors import QueryRefused, UsageError
from kg.governance._common import (
    _OWNED,
    _PROV,
    _XSD,
    BATCH,
    BUILTIN_RULES,
    GOVERNANCE_GRAPH,
    NO_DOMAIN,
    RUN_PREFIX,
)
from kg.governance.decisions import _values
from kg.namespaces import (
    DPROD,
    MESH,
)
from kg.policies import (
    local_name,
)
from kg.queries import load_query
from kg.store.base import Store

# --------------------------------------------------------------------- checks


@dataclass
class DomainSummary:
    """Counts of one domain in one check run."""

    domain: str
    label: str
    products: int = 0
    passing: int = 0
    violations: int = 0
    warnings: int = 0
    failing_products: list[str] = field(default_factory=list)


@dataclass
class CheckRun:
    """The outcome of `meshkg check`: the report, the rules used, per-domain counts."""

    report: object  # kg.validation.Report
    rules: list[str]
    domains: list[DomainSummary]
    run: str | None = None

    @property
    def conforms(self) -> bool:
        """True when no finding is a Violation."""
        return self.report.conforms

    def to_json(self) -> dict:
        """Return the run as JSON-ready data."""
        return {**self.report.to_json(), "rules": self.rules, "run": self.run,
                "domains": [d.__dict__ for d in self.domains]}


def split_paths(paths: Sequence[str | Path]) -> tuple[list[Path], list[Path]]:
    """Split files and folders into rule files (they hold SHACL shapes) and data files."""
    from kg.loading import expand_paths, parse_file
    rules, data = [], []
    for path in expand_paths(paths):
        parsed = parse_file(path)  # ParseError names the file, line and column
        (rules if _holds_shapes(parsed.quads) else data).append(path)
    return rules, data


_SHAPE_TYPES = {str(SH.NodeShape), str(SH.PropertyShape)}
_SHAPE_PREDICATES = {str(SH.targetClass), str(SH.targetNode), str(SH.targetSubjectsOf),
                     str(SH.targetObjectsOf), str(SH.sparql), str(SH.target)}


def _holds_shapes(quads) -> bool:
    for q in quads:
        p = q.predicate.value
        if p in _SHAPE_PREDICATES or (p == str(RDF.type) and q.object.value in _SHAPE_TYPES):
            return True
    return False


def check_shapes(rule_files: Iterable[Path] = ()) -> Graph:
    """Return meshkg's shapes, the built-in rules and the steward's rule files as one graph."""
    from kg.sparqlsafety import check_query, check_user_text
    from kg.validation import load_shapes
    files = [Path(f) for f in rule_files]
    for f in files:
        if f.suffix.lower() != ".ttl":
            raise UsageError(f"{f}: rule files must be Turtle (.ttl)")
    for f in files:  # one at a time first, so that a refusal names its file
        try:
            load_shapes([f])
        except QueryRefused as exc:
            raise QueryRefused(f"{f}: {exc.message}") from exc
    shapes = load_shapes([BUILTIN_RULES, *files])
    # kg.validation checks sh:select and sh:ask; SHACL-AF rules carry sh:construct.
    for q in shapes.objects(None, SH.construct):
        check_query(str(q), known_graphs=set)
        check_user_text(str(q))
    return shapes


def check_store(store: Store, shapes: Graph, *, rules: Sequence[str] = (),
                record: bool = True, rule_timeout: float = Settings.rule_timeout,
                rule_memory_mb: int = Settings.rule_memory_mb) -> CheckRun:
    """Validate every resource of the store with the shapes; keep findings and a summary.

    The SPARQL-based constraints (the built-in rules and the steward's rule files) run in
    a worker process, each query within `rule_timeout` seconds and the worker within
    `rule_memory_mb` MB (settings of those names): a runaway rule stops the check with
    QueryTimeout or OverBudget (exit 3) instead of taking the machine."""
    from kg.store.sandbox import Evaluator
    with Evaluator(timeout=rule_timeout, memory_mb=rule_memory_mb, what="rule query",
                   settings_names=("rule_timeout", "rule_memory_mb")) as evaluator:
        return _check_store(store, shapes, rules=rules, record=record, evaluator=evaluator)


def _check_store(store: Store, shapes: Graph, *, rules: Sequence[str], record: bool,
                 evaluator) -> CheckRun:
    from kg.validation import (
        Report,
        asserted_graphs,
        describe,
        focus_resources,
        save_report,
        validate_graph,
    )
    graphs = asserted_graphs(store, exclude=[GOVERNANCE_GRAPH])
    todo = focus_resources(store, graphs=graphs)
    report, owner = Report(), {}
    for i in range(0, len(todo), BATCH):
        batch = todo[i:i + BATCH]
        data = describe(store, batch, graphs=graphs)
        query = load_query("governance_context").replace("#VALUES#", _values("focus", batch))
        data += store.construct(query, default_graphs=graphs)
        owner.update(_ownership(data, batch))
        described = {str(s) for s in data.subjects() if isinstance(s, URIRef)}
        part = validate_graph(data, shapes, focus=described | set(batch), evaluator=evaluator)
        report.results += part.results
        report.checked += batch
    save_report(store, report, full=True)
    run = CheckRun(report, list(rules), _summarise(store, report, owner, graphs))
    if record:
        run.run = record_run(store, run)
    return run


def check_files(paths: Sequence[str | Path], shapes: Graph, *,
                rules: Sequence[str] = (), rule_timeout: float = Settings.rule_timeout,
                rule_memory_mb: int = Settings.rule_memory_mb) -> CheckRun:
    """Check RDF files in a temporary in-memory store with the shipped vocabularies."""
    from kg.loading import expand_paths, parse_file
    from kg.sources import ensure_vocabularies, write_parsed
    from kg.store.oxigraph import OxigraphStore
    parsed = [parse_file(p) for p in expand_paths(paths)]
    with OxigraphStore(None) as scratch:
        ensure_vocabularies(scratch)
        write_parsed(scratch, parsed, validate=False, run_inference=False)
        return check_store(scratch, shapes, rules=rules, record=False,
                           rule_timeout=rule_timeout, rule_memory_mb=rule_memory_mb)


def _ownership(data: Graph, focus: Iterable[str]) -> dict[str, str]:
    """Map each node a product owns (ports, datasets, fields, policies) to the product."""
    out = {}
    for product in focus:
        if (URIRef(product), RDF.type, DPROD.DataProduct) not in data:
            continue
        todo, seen = [URIRef(product)], set()
        while todo:
            node = todo.pop()
            if node in seen:
                continue
            seen.add(node)
            out.setdefault(str(node), product)
            for p in _OWNED:
                todo.extend(o for o in data.objects(node, p) if isinstance(o, URIRef))
    return out


def _summarise(store: Store, report, owner: dict[str, str],
               graphs: list[str]) -> list[DomainSummary]:
    rows = store.query(load_query("governance_domains"), default_graphs=graphs).rows
    summaries: dict[str, DomainSummary] = {}
    # a product with two domains (its own and an import's placeholder) counts in both
    domain_of: dict[str, list[DomainSummary]] = {}
    for r in rows:
        domain = str(r.get("domain") or NO_DOMAIN)
        label = str(r.get("label")
                    or ("(no domain)" if domain == NO_DOMAIN else local_name(domain)))
        s = summaries.setdefault(domain, DomainSummary(domain, label))
        s.products += 1
        domain_of.setdefault(str(r["product"]), []).append(s)
    failing: dict[str, set[str]] = {}
    for f in report.results:
        product = owner.get(f.focus)
        for s in domain_of.get(product, ()) if product else ():
            if f.severity == "Violation":
                s.violations += 1
                failing.setdefault(s.domain, set()).add(product)
            elif f.severity == "Warning":
                s.warnings += 1
    for s in summaries.values():
        s.failing_products = sorted(failing.get(s.domain, ()))
        s.passing = s.products - len(s.failing_products)
    return sorted(summaries.values(), key=lambda s: (s.domain == NO_DOMAIN, s.label.lower()))


def record_run(store: Store, run: CheckRun) -> str:
    """Add one prov:Activity with per-domain counts to the governance graph; return its IRI."""
    import pyoxigraph as ox
    g = ox.NamedNode(GOVERNANCE_GRAPH)
    iri = RUN_PREFIX + uuid.uuid4().hex
    now = datetime.now(UTC).isoformat(timespec="seconds")
    quads = []

    def add(s: str, p: str, o) -> None:
        quads.append(ox.Quad(ox.NamedNode(s), ox.NamedNode(p), o, g))

    def count(n: int):
        return ox.Literal(str(n), datatype=ox.NamedNode(_XSD + "integer"))

    add(iri, str(RDF.type), ox.NamedNode(_PROV + "Activity"))
    add(iri, str(RDF.type), ox.NamedNode(str(MESH.GovernanceCheck)))
    add(iri, _PROV + "endedAtTime", ox.Literal(now, datatype=ox.NamedNode(_XSD + "dateTime")))
    add(iri, str(MESH.violationCount), count(run.report.count("Violation")))
    add(iri, str(MESH.warningCount), count(run.report.count("Warning")))
    for rule in run.rules:
        add(iri, _PROV + "used", ox.NamedNode(Path(rule).resolve().as_uri()))
    for n, s in enumerate(run.domains):
        node = f"{iri}/domain/{n}"
        add(iri, str(MESH.domainResult), ox.NamedNode(node))
        add(node, str(MESH.domain), ox.NamedNode(s.domain))
        add(node, "http://www.w3.org/2000/01/rdf-schema#label", ox.Literal(s.label))
        for p, v in ((MESH.productCount, s.products), (MESH.passingCount, s.passing),
                     (MESH.violationCount, s.violations), (MESH.warningCount, s.warnings)):
            add(node, str(p), count(v))
    store.write_quads({}, add=quads)
    return iri


