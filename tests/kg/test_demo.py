"""The demo mesh: large and realistic enough to show meshkg, and clean under every shape.

Shapes run the way kg.validation runs them: on asserted data with no inference, plus the
context the engine adds for each referenced IRI (its types with their class chains, schemes,
labels and broader chains), here taken from the shipped vocabularies and the ontology.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS

from kg.namespaces import DEMO, DPROD, DPROD_OLD, DPV, MESH, ODRL, PD, RAI
from kg.validation import load_shapes, validate_graph

ROOT = Path(__file__).parents[2]
DEMO_DIR = ROOT / "kg" / "demo"
VOCAB = ROOT / "kg" / "vocab"
CONTEXT_SOURCES = ["dpv-2.3.ttl", "pd-2.3.ttl", "ODRL22.ttl", "dcat3.ttl", "prov-o.ttl",
                   "skos-core.ttl", "dcterms.ttl", "dprod-ontology.ttl"]
CONCEPT = "https://demo.meshkg.org/id/concept/"


@pytest.fixture(scope="module")
def demo() -> Graph:
    g = Graph()
    for f in sorted(DEMO_DIR.glob("*.ttl")):
        g.parse(f)
    return g


@pytest.fixture(scope="module")
def asserted_view(demo) -> Graph:
    """Return the demo, the ontology and the engine's context for every IRI they reference."""
    data = Graph()
    for t in demo:
        data.add(t)
    data.parse(ROOT / "ontology" / "meshkg.ttl")
    source = Graph()
    for name in CONTEXT_SOURCES:
        text = (VOCAB / name).read_text(encoding="utf-8").replace(DPROD_OLD, str(DPROD))
        source.parse(data=text, format="turtle")
    for t in data:
        source.add(t)
    refs = {o for o in data.objects() if isinstance(o, URIRef)} | set(data.predicates())
    view = Graph()
    for t in data:
        view.add(t)
    for r in refs:
        for p in (RDF.type, SKOS.inScheme, SKOS.topConceptOf, RDFS.label, SKOS.prefLabel):
            for v in source.objects(r, p):
                view.add((r, p, v))
        for cls in source.objects(r, RDF.type):
            for sub in source.transitive_objects(cls, RDFS.subClassOf):
                for sup in source.objects(sub, RDFS.subClassOf):
                    view.add((sub, RDFS.subClassOf, sup))
        for b in source.transitive_objects(r, SKOS.broader):
            for up in source.objects(b, SKOS.broader):
                view.add((b, SKOS.broader, up))
    return view


def _products(g: Graph) -> list[URIRef]:
    return sorted(g.subjects(RDF.type, DPROD.DataProduct))


def _demo_concepts(g: Graph) -> list[URIRef]:
    return sorted(c for c in g.subjects(RDF.type, SKOS.Concept) if c.startswith(CONCEPT))


def _depth(g: Graph, c: URIRef) -> int:
    parents = list(g.objects(c, SKOS.broader))
    return 1 + max((_depth(g, p) for p in parents), default=0)


def test_demo_has_at_least_25_products_in_5_domains(demo):
    products = _products(demo)
    assert len(products) >= 25
    domains = {demo.value(p, DPROD.domain) for p in products}
    assert len(domains) >= 5
    assert all((d, RDF.type, MESH.DataDomain) in demo for d in domains)


def test_demo_has_at_least_120_concepts_in_several_schemes(demo):
    concepts = _demo_concepts(demo)
    assert len(concepts) >= 120
    schemes = {demo.value(c, SKOS.inScheme) for c in concepts}
    assert len(schemes) >= 5


def test_demo_concept_hierarchy_is_at_least_4_deep(demo):
    assert max(_depth(demo, c) for c in _demo_concepts(demo)) >= 4
    assert _depth(demo, URIRef(CONCEPT + "mobile-app-sale")) == 4


def test_every_demo_concept_has_english_and_german_labels_and_a_definition(demo):
    for c in _demo_concepts(demo):
        langs = {lbl.language for lbl in demo.objects(c, SKOS.prefLabel)}
        assert {"en", "de"} <= langs, c
        assert demo.value(c, SKOS.definition) is not None, c


def test_demo_concepts_have_synonyms_notes_and_mappings(demo):
    concepts = _demo_concepts(demo)
    with_alt = [c for c in concepts if len(list(demo.objects(c, SKOS.altLabel))) >= 2]
    assert len(with_alt) >= 100
    assert any(demo.value(c, SKOS.scopeNote) for c in concepts)
    assert any(demo.value(c, SKOS.related) for c in concepts)
    assert any(demo.value(c, SKOS.exactMatch) or demo.value(c, SKOS.closeMatch)
               for c in concepts)


@pytest.mark.parametrize("subject,relation,obj", [
    ("customer", "places", "order"), ("order", "contains", "product"),
    ("store", "sells", "product"), ("compound", "targets", "gene"),
    ("clinical-trial", "tests", "compound"),
])
def test_demo_has_typed_relationships(demo, subject, relation, obj):
    rel = DEMO["rel/" + relation]
    assert (rel, RDF.type, MESH.ConceptRelation) in demo
    assert (rel, RDFS.subPropertyOf, MESH.relatesTo) in demo
    assert (URIRef(CONCEPT + subject), rel, URIRef(CONCEPT + obj)) in demo


def test_ecommerce_product_covers_online_sales_only(demo):
    p = DEMO["product/ecommerce-sales"]
    assert (p, MESH.covers, URIRef(CONCEPT + "online-sale")) in demo
    assert (p, MESH.doesNotCover, URIRef(CONCEPT + "store-sale")) in demo
    limitation = demo.value(p, RAI.dataLimitations)
    assert isinstance(limitation, Literal) and "store" in str(limitation).lower()


def test_store_sales_product_covers_in_store_sales_only(demo):
    p = DEMO["product/store-sales"]
    assert (p, MESH.covers, URIRef(CONCEPT + "store-sale")) in demo
    assert (p, MESH.doesNotCover, URIRef(CONCEPT + "online-sale")) in demo


@pytest.mark.parametrize("status", [MESH.Deprecated, MESH.Draft, MESH.Active])
def test_demo_has_products_in_each_lifecycle_status(demo, status):
    assert any((p, DPROD.lifecycleStatus, status) in demo for p in _products(demo))


def test_every_product_has_3_to_12_fields_with_datatype_and_concept(demo):
    for p in _products(demo):
        datasets = [d for port in demo.objects(p, DPROD.outputPort)
                    for d in demo.objects(port, URIRef("http://www.w3.org/ns/dcat#servesDataset"))]
        fields = [f for d in datasets for f in demo.objects(d, MESH.hasField)]
        assert 3 <= len(fields) <= 12, p
        for f in fields:
            assert demo.value(f, MESH.datatype) is not None, f
            assert demo.value(f, MESH.meansConcept) is not None, f


def test_trial_product_holds_health_data_with_a_legal_basis(demo):
    p = DEMO["product/trial-participant-outcomes"]
    assert (p, DPV.hasPersonalData, PD.Health) in demo
    assert demo.value(p, DPV.hasLegalBasis) is not None


def test_customer_products_hold_contact_data(demo):
    held = set(demo.objects(DEMO["product/customer-master"], DPV.hasPersonalData))
    assert {PD.EmailAddress, PD.Name, PD.PhysicalAddress} <= held


def test_lineage_chains_are_3_deep_and_cross_domains(demo):
    def chains(p, seen=()):
        ups = list(demo.objects(p, PROV.wasDerivedFrom))
        if not ups:
            return [[p]]
        return [[p, *c] for u in ups if u not in seen for c in chains(u, (*seen, p))]
    longest = max((c for p in _products(demo) for c in chains(p)), key=len)
    assert len(longest) >= 4
    assert len({demo.value(p, DPROD.domain) for p in longest}) >= 2


def _constraint_values(demo, left):
    return [c for c in demo.subjects(ODRL.leftOperand, left)]


def test_policies_use_the_odrl_features_the_demo_must_show(demo):
    assert len(list(demo.subjects(ODRL.uid, None))) >= 10
    assert list(demo.subjects(ODRL.prohibition, None))
    assert list(demo.subjects(ODRL.duty, None)) or list(demo.subjects(ODRL.obligation, None))
    for left in (ODRL.purpose, ODRL.dateTime, ODRL.recipient, ODRL.spatial):
        assert _constraint_values(demo, left), left
    purposes = {demo.value(c, ODRL.rightOperand) for c in _constraint_values(demo, ODRL.purpose)}
    assert any(isinstance(p, URIRef) and p.startswith(str(DPV)) for p in purposes)


def test_every_product_states_its_time_span(demo):
    assert all(demo.value(p, DCTERMS.temporal) is not None for p in _products(demo))


def test_demo_conforms_to_meshkg_shapes(asserted_view):
    report = validate_graph(asserted_view, load_shapes())
    serious = [f for f in report.results if f.severity in ("Violation", "Warning")]
    assert serious == []


def test_demo_check_is_not_vacuous(asserted_view):
    broken = Graph()
    product = DEMO["product/store-sales"]
    for t in asserted_view:
        if t[:2] != (product, DPROD.dataProductOwner):
            broken.add(t)
    report = validate_graph(broken, load_shapes())
    assert [(f.severity, f.focus) for f in report.results] == [("Violation", str(product))]


def test_demo_conforms_to_official_dprod_shapes(asserted_view):
    report = validate_graph(asserted_view, load_shapes(dprod=True))
    serious = [f for f in report.results if f.severity in ("Violation", "Warning")]
    assert serious == []


def test_demo_files_parse_one_graph_each():
    files = sorted(DEMO_DIR.glob("*.ttl"))
    assert {f.stem for f in files} >= {"concepts-retail", "concepts-pharma", "tags", "agents"}
    assert len([f for f in files if f.stem.startswith("domain-")]) >= 5
    for f in files:
        assert len(Graph().parse(f)) > 0, f
