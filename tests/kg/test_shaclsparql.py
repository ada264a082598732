"""SHACL-SPARQL constraints run once over the data (kg.shaclsparql) find what pySHACL finds.

pySHACL, run per focus node with $this pre-bound, is the reference: each rule fixture that
exercises a SPARQL-based constraint is validated both ways. Whole-graph validation of a
store must report exactly what validation in described views reports.
"""

from __future__ import annotations

from pathlib import Path

import pyshacl
import pytest
from rdflib import Graph
from rdflib.namespace import SH

from kg import shaclsparql
from kg import validation as V
from kg.loading import parse_file

DATA = Path(__file__).parent.parent / "data"
RULES_FILE = Path(__file__).parents[2] / "rules" / "builtin.ttl"
SPARQL_FIXTURES = sorted(
    [p for p in (DATA / "shapes").glob("*.ttl")
     if p.name.startswith(("personal-data-requires", "special-category", "concept-relation-links"))]
    + list((DATA / "rules" / "fail").glob("*.ttl")) + list((DATA / "rules" / "pass").glob("*.ttl")))


def _key(severity: str, focus: str, shape: str | None, value) -> tuple:
    return (severity, focus, shape, None if value is None else str(value))


def _reference(data: Graph, shapes: Graph) -> set[tuple]:
    """pySHACL's SPARQL-constraint results, $this pre-bound per focus node."""
    _, report, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none", advanced=True,
                                    allow_warnings=True, allow_infos=True)
    out = set()
    for r in report.subjects(SH.sourceConstraintComponent, SH.SPARQLConstraintComponent):
        sev = str(report.value(r, SH.resultSeverity)).rsplit("#", 1)[-1]
        out.add(_key(sev, str(report.value(r, SH.focusNode)),
                     str(report.value(r, SH.sourceShape)), report.value(r, SH.value)))
    return out


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return V.load_shapes([RULES_FILE])


@pytest.mark.parametrize("path", SPARQL_FIXTURES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_sparql_constraints_run_once_find_what_pyshacl_finds(path, shapes):
    data = Graph().parse(path, format="turtle")
    ours = {_key(f.severity, f.focus, f.shape, f.value)
            for f in V.run_engine(data.serialize(format="nt", encoding="utf-8"), shapes)
            if f.constraint == str(SH.SPARQLConstraintComponent)}
    assert ours == _reference(data, shapes)


def test_the_shipped_sparql_constraints_are_all_run_by_the_store(shapes):
    rest, compiled = shaclsparql.split(shapes)
    assert {c.shape.rsplit("#", 1)[-1] for c in compiled} == {
        "PersonalDataPolicyShape", "SpecialCategoryLegalBasisShape", "ConceptRelationShape",
        "ConsumedProductShape", "DeprecatedConceptUseShape", "ConceptHierarchyShape",
        "ConceptLabelsShape"}
    assert not list(rest.objects(None, SH.sparql))


NESTED = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <https://example.org/> .
ex:S a sh:NodeShape ; sh:targetClass ex:Thing ; sh:sparql [
  sh:message "{$this} has no name" ;
  sh:select \"\"\"SELECT $this WHERE {
    { FILTER NOT EXISTS { $this <https://example.org/name> ?n } BIND (1 AS ?one) }
  }\"\"\" ] .
"""


def test_a_constraint_whose_this_is_unbound_in_a_nested_group_stays_with_the_engine():
    shapes = Graph().parse(data=NESTED, format="turtle")
    rest, compiled = shaclsparql.split(shapes)
    assert compiled == [] and len(list(rest.objects(None, SH.sparql))) == 1
    data = Graph().parse(data="""@prefix ex: <https://example.org/> .
        ex:a a ex:Thing ; ex:name "A" . ex:b a ex:Thing .""", format="turtle")
    found = V.run_engine(data.serialize(format="nt", encoding="utf-8"), shapes)
    # joined instead of pre-bound, the group would see no ?this and flag nobody
    assert [(f.focus, f.message) for f in found] == [
        ("https://example.org/b", "https://example.org/b has no name")]


def _findings(report) -> set[tuple]:
    return {(f.severity, f.focus, f.path, f.shape, f.message, f.value) for f in report.results}


@pytest.mark.contract
def test_whole_graph_validation_reports_what_the_views_report(demo_store, monkeypatch):
    bad = parse_file(DATA / "rules" / "fail" / "personal.ttl", graph="urn:test:personal")
    demo_store.write_quads({"urn:test:personal": bad.quads})
    whole = V.validate_store(demo_store, save=False)
    monkeypatch.setattr(V, "WHOLE_GRAPH_LIMIT", 0)
    views = V.validate_store(demo_store, save=False)
    assert whole.count("Violation") >= 1
    assert _findings(whole) == _findings(views)
    assert sorted(whole.checked) == sorted(views.checked)
