"""meshkg SHACL shapes: each rule flags its violating fixture, and only that, and passes its
conforming one.

Fixtures live in tests/data/shapes/<rule>-ok.ttl and <rule>-bad.ttl. Each holds the resources
under test and, after the line ``# context added by the engine``, the context triples the
validation engine adds for the IRIs they reference (types, schemes, labels, class chains).
Findings about context-only resources are ignored, as kg.validation does for a described view.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import BNode, Graph, URIRef
from rdflib.namespace import OWL, RDF, SH

from kg.validation import load_shapes, validate_graph

FIXTURES = Path(__file__).parent.parent / "data" / "shapes"
SHAPES_FILE = Path(__file__).parents[2] / "shapes" / "meshkg-shapes.ttl"
CONTEXT_MARK = "# context added by the engine"
EX = "https://example.org/"
MESH = "https://w3id.org/meshkg/ontology#"
BNODE = "_:"

# rule: (severity, shape local name, focus: local name under ex: or BNODE)
RULES = {
    "data-product-requires-label": ("Violation", "DataProductShape-label", "product"),
    "data-product-requires-description": ("Violation", "DataProductShape-description", "product"),
    "data-product-requires-exactly-one-owner": ("Violation", "DataProductShape-owner", "product"),
    "data-product-requires-domain": ("Violation", "DataProductShape-domain", "product"),
    "data-product-requires-subject-concept": ("Violation", "DataProductShape-subject", "product"),
    "data-product-should-have-lifecycle-status":
        ("Warning", "DataProductShape-lifecycleStatusHint", "product"),
    "data-product-lifecycle-status-is-a-status":
        ("Violation", "DataProductShape-lifecycleStatus", "product"),
    "data-product-owner-is-an-agent": ("Violation", "DataProductShape-ownerIsAgent", "product"),
    "data-product-owner-is-not-placeholder":
        ("Violation", "DataProductShape-ownerPlaceholder", "product"),
    "data-product-domain-is-not-placeholder":
        ("Violation", "DataProductShape-domainPlaceholder", "product"),
    "data-product-subject-is-not-placeholder":
        ("Violation", "DataProductShape-subjectPlaceholder", "product"),
    "data-product-should-have-sensitivity": ("Warning", "DataProductShape-sensitivity", "product"),
    "data-product-should-have-purpose": ("Warning", "DataProductShape-purpose", "product"),
    "data-product-should-have-contact-point":
        ("Warning", "DataProductShape-contactPoint", "product"),
    "data-product-should-have-output-port": ("Warning", "DataProductShape-outputPort", "product"),
    "data-product-lineage-points-to-product": ("Violation", "DataProductShape-lineage", "product"),
    "data-product-personal-data-is-dpv-category":
        ("Violation", "DataProductShape-personalData", "product"),
    "data-product-purpose-is-dpv-purpose":
        ("Violation", "DataProductShape-processingPurpose", "product"),
    "data-product-legal-basis-is-dpv-legal-basis":
        ("Violation", "DataProductShape-legalBasis", "product"),
    "data-product-policy-is-odrl-policy": ("Violation", "DataProductShape-policy", "product"),
    "data-product-coverage-hint": ("Info", "DataProductShape-coverageHint", "product"),
    "data-product-tag-hint": ("Info", "DataProductShape-tagHint", "product"),
    "personal-data-requires-purpose-policy": ("Violation", "PersonalDataPolicyShape", "product"),
    "special-category-requires-legal-basis":
        ("Violation", "SpecialCategoryLegalBasisShape", "product"),
    "deprecated-product-names-successor": ("Info", "DeprecatedProductShape", "product"),
    "concept-has-unique-pref-label-per-language":
        ("Violation", "ConceptShape-prefLabel", "customer"),
    "concept-labels-are-disjoint": ("Violation", "ConceptLabelsShape", "customer"),
    "concept-hierarchy-has-no-cycle": ("Violation", "ConceptHierarchyShape", "customer"),
    "concept-sits-in-scheme": ("Warning", "ConceptInSchemeShape", "order"),
    "concept-relation-links-concepts": ("Violation", "ConceptRelationShape", "places"),
    "concept-relation-requires-label": ("Violation", "ConceptRelationShape-label", "places"),
    "concept-relation-is-sub-property-of-relates-to":
        ("Violation", "ConceptRelationShape-superProperty", "places"),
    "coverage-covers-concept": ("Violation", "CoverageShape-covers", "product"),
    "coverage-does-not-cover-concept": ("Violation", "CoverageShape-doesNotCover", "product"),
    "coverage-is-not-contradictory": ("Violation", "CoverageShape-contradiction", "product"),
    "dataset-field-is-field": ("Violation", "DatasetShape-field", "dataset"),
    "dataset-field-hint": ("Info", "DatasetShape-fieldHint", "dataset"),
    "field-requires-label": ("Violation", "FieldShape-label", "field"),
    "field-should-have-datatype": ("Warning", "FieldShape-datatype", "field"),
    "field-means-concept": ("Violation", "FieldShape-concept", "field"),
    "field-concept-hint": ("Info", "FieldShape-conceptHint", "field"),
    "field-personal-data-is-dpv-category": ("Violation", "FieldShape-personalData", "field"),
    "data-domain-requires-label": ("Violation", "DataDomainShape-label", "sales"),
    "data-domain-should-have-description": ("Warning", "DataDomainShape-description", "sales"),
    "agent-should-have-label": ("Warning", "AgentShape", "owner"),
    "policy-requires-rule": ("Violation", "PolicyShape", "empty-policy"),
    "policy-requires-uid": ("Violation", "PolicyShape-uid", "policy"),
    "policy-should-have-target": ("Warning", "PolicyShape-target", "policy"),
    "rule-requires-action": ("Violation", "RuleShape-action", BNODE),
    "constraint-requires-left-operand": ("Violation", "ConstraintShape-leftOperand", BNODE),
    "constraint-requires-operator": ("Violation", "ConstraintShape-operator", BNODE),
    "constraint-requires-right-operand": ("Violation", "ConstraintShape-rightOperand", BNODE),
}


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return load_shapes()


def _findings(path: Path, shapes: Graph) -> set[tuple[str, str, str]]:
    """Validate a fixture; return (severity, shape, focus) of findings about its own resources."""
    text = path.read_text(encoding="utf-8")
    own = Graph().parse(data=text.split(CONTEXT_MARK)[0], format="turtle")
    own_iris = {str(s) for s in own.subjects() if isinstance(s, URIRef)}
    report = validate_graph(Graph().parse(data=text, format="turtle"), shapes)
    found = set()
    for f in report.results:
        if f.focus.startswith(BNODE):
            focus = BNODE
        elif f.focus in own_iris:
            focus = f.focus.removeprefix(EX)
        else:
            continue
        found.add((f.severity, (f.shape or "").removeprefix(MESH), focus))
    return found


def test_every_fixture_has_a_rule():
    names = {p.name for p in FIXTURES.glob("*.ttl")}
    expected = {f"{r}-{kind}.ttl" for r in RULES for kind in ("ok", "bad")}
    assert names == expected


@pytest.mark.parametrize("rule", sorted(RULES), ids=lambda r: r.replace("-", "_"))
def test_rule_flags_only_its_bad_fixture(rule, shapes):
    assert _findings(FIXTURES / f"{rule}-bad.ttl", shapes) == {RULES[rule]}


@pytest.mark.parametrize("rule", sorted(RULES), ids=lambda r: r.replace("-", "_"))
def test_rule_passes_its_ok_fixture(rule, shapes):
    assert _findings(FIXTURES / f"{rule}-ok.ttl", shapes) == set()


def test_shapes_name_every_property_shape(shapes):
    anonymous = [s for s in shapes.subjects(RDF.type, SH.PropertyShape) if isinstance(s, BNode)]
    assert anonymous == []


def test_every_constraint_carries_a_message():
    g = Graph().parse(SHAPES_FILE)
    silent = [s for kind in (SH.PropertyShape, SH.SPARQLConstraint)
              for s in g.subjects(RDF.type, kind) if g.value(s, SH.message) is None]
    silent += [s for s in g.subjects(SH["or"], None) if g.value(s, SH.message) is None]
    assert silent == []


def test_shapes_use_no_service_and_no_imports():
    g = Graph().parse(SHAPES_FILE)
    assert not any("SERVICE" in str(q).upper() for q in g.objects(None, SH.select))
    assert list(g.objects(None, OWL.imports)) == []
