"""Steward edits as change sets: gated saves, PROV-O history, diffs, revert, versions."""

from __future__ import annotations

import threading

import pyoxigraph as ox
import pytest

from kg import curation
from kg.errors import Conflict, InvalidInput, ShapeViolation, VersionConflict
from kg.loading import parse_bytes

GRAPH = "urn:test:curation"
EX = "https://example.org/id/"
DATA = f"""
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix mesh: <https://w3id.org/meshkg/ontology#> .
@prefix ex: <{EX}> .
ex:scheme a skos:ConceptScheme ; skos:prefLabel "Test scheme"@en .
ex:sale a skos:Concept ; skos:prefLabel "Sale"@en , "Verkauf"@de ;
  skos:definition "A sale."@en ; skos:scopeNote "Kept as it is."@en ; skos:inScheme ex:scheme .
ex:order a skos:Concept ; skos:prefLabel "Order"@en ; skos:inScheme ex:scheme .
ex:places a mesh:ConceptRelation , rdf:Property ; rdfs:label "places" ;
  rdfs:subPropertyOf mesh:relatesTo .
""".replace("rdf:Property", "<http://www.w3.org/1999/02/22-rdf-syntax-ns#Property>")

SALE = EX + "sale"


@pytest.fixture
def store(vocab_store):
    """The vocabularies plus a tiny concept scheme."""
    parsed = parse_bytes(DATA.encode(), "turtle", graph=GRAPH, source="test")
    vocab_store.write_quads({GRAPH: parsed.quads})
    return vocab_store


def _edit(store, iri, change, **kw):
    desc = curation.describe(store, iri)
    rels = [p for p, _ in curation.relation_properties(store)]
    values = curation.concept_values(desc, rels)
    change(values)
    triples = curation.concept_triples(iri, values, desc, rels)
    kw.setdefault("version", desc.version)
    return curation.save(store, iri, triples, steward=kw.pop("steward", "alice"),
                         comment=kw.pop("comment", "test edit"), infer=False, **kw)


def _definition(store, iri=SALE):
    res = store.query("SELECT ?c ?d { ?c <http://www.w3.org/2004/02/skos/core#definition> ?d "
                      "FILTER(lang(?d) = 'en') }", bindings={"c": ox_iri(iri)})
    return sorted(str(r["d"]) for r in res.rows)


def ox_iri(iri):
    from rdflib import URIRef
    return URIRef(iri)


def test_edit_moves_description_to_curated_graph_and_keeps_unmanaged_triples(store):
    change = _edit(store, SALE, lambda v: v["labels"][0].update(definition="A completed sale."))
    assert _definition(store) == ["A completed sale."]
    desc = curation.describe(store, SALE)
    assert desc.graphs == [curation.curated_graph(SALE)]
    assert any("scopeNote" in str(q.predicate) for q in desc.quads)
    assert ("−", f'<{SALE}> <http://www.w3.org/2004/02/skos/core#definition> "A sale."@en .') \
        in change.diff()
    assert ("+", f'<{SALE}> <http://www.w3.org/2004/02/skos/core#definition> '
            '"A completed sale."@en .') in change.diff()
    assert len(change.diff()) == 2  # the move between graphs is not a change of meaning
    assert change.moved == [(GRAPH, curation.curated_graph(SALE))]


def test_change_is_recorded_as_prov_activity_with_exact_quads(store):
    change = _edit(store, SALE, lambda v: v["labels"][0].update(definition="New."),
                   steward="bob", comment="clarify")
    assert store.ask(
        "PREFIX prov: <http://www.w3.org/ns/prov#> ASK { GRAPH <urn:meshkg:graph:history> { "
        f"<{change.id}> a prov:Activity ; prov:wasAssociatedWith ?a ; prov:startedAtTime ?t ;"
        " <http://www.w3.org/2000/01/rdf-schema#comment> \"clarify\" } }")
    [recorded] = curation.history(store, SALE)
    assert (recorded.steward, recorded.comment, recorded.kind) == ("bob", "clarify", "edit")
    assert recorded.added == change.added and recorded.removed == change.removed


def test_comment_is_required(store):
    with pytest.raises(InvalidInput) as exc:
        _edit(store, SALE, lambda v: None, comment="  ")
    assert "comment" in exc.value.errors


def test_revert_restores_previous_description_as_a_new_change(store):
    before = curation.describe(store, SALE)
    first = _edit(store, SALE, lambda v: v["labels"][0].update(definition="One."))
    undo = curation.revert(store, first.id, steward="carol", comment="wrong", infer=False)
    assert _definition(store) == ["A sale."]
    assert undo.reverts == first.id and undo.kind == "revert"
    after = curation.describe(store, SALE)
    assert {str(ox.Triple(q.subject, q.predicate, q.object)) for q in after.quads} == \
        {str(ox.Triple(q.subject, q.predicate, q.object)) for q in before.quads}
    assert [c.kind for c in curation.history(store, SALE)] == ["revert", "edit"]
    with pytest.raises(Conflict):
        curation.revert(store, first.id, steward="carol", comment="again", infer=False)


@pytest.mark.contract
def test_refused_save_leaves_store_and_history_unchanged(store):
    from kg.validation import GatePolicy
    store.gate_policy = GatePolicy(mode="strict")  # setting gate = "strict"
    dump = store.dump(None, "nquads")
    with pytest.raises(ShapeViolation) as exc:  # a concept broader than itself
        _edit(store, SALE, lambda v: v.update(broader=[SALE]))
    [finding] = [f for f in exc.value.report.results if f.severity == "Violation"]
    assert curation.field_of(finding, SALE, set()) == "broader"
    assert store.dump(None, "nquads") == dump
    assert curation.history(store, SALE) == []


def test_a_save_with_findings_that_do_not_refuse_is_kept_and_they_are_shown(store):
    """Under the default gate a concept outside every scheme is a Warning, a cycle a
    Violation that does not refuse: the save lands, the findings stay with the concept."""
    from kg.validation import stored_findings
    _edit(store, SALE, lambda v: v.update(in_scheme=[], broader=[SALE]))
    assert len(curation.history(store, SALE)) == 1
    shapes = {(f.severity, f.shape.rsplit("#", 1)[1]) for f in stored_findings(store, SALE)}
    assert {("Warning", "ConceptInSchemeShape"),
            ("Violation", "ConceptHierarchyShape")} <= shapes


@pytest.mark.contract
def test_stale_version_is_a_conflict_and_writes_nothing(store):
    old = curation.describe(store, SALE).version
    _edit(store, SALE, lambda v: v["labels"][0].update(definition="First."))
    with pytest.raises(VersionConflict) as exc:
        _edit(store, SALE, lambda v: v["labels"][0].update(definition="Second."), version=old)
    assert exc.value.http_status == 409
    assert _definition(store) == ["First."]
    assert exc.value.current.version == curation.describe(store, SALE).version


@pytest.mark.contract
def test_two_threads_saving_the_same_version_one_wins_nothing_lost(store):
    desc = curation.describe(store, SALE)
    rels = [p for p, _ in curation.relation_properties(store)]
    barrier = threading.Barrier(2)
    outcome: dict[str, object] = {}

    def edit(name):
        values = curation.concept_values(desc, rels)
        values["labels"][0]["definition"] = f"By {name}."
        triples = curation.concept_triples(SALE, values, desc, rels)
        barrier.wait()
        try:
            outcome[name] = curation.save(store, SALE, triples, steward=name, comment="race",
                                          version=desc.version, infer=False)
        except VersionConflict as exc:
            outcome[name] = exc

    threads = [threading.Thread(target=edit, args=(n,)) for n in ("ann", "ben")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    wins = [n for n, o in outcome.items() if isinstance(o, curation.Change)]
    losses = [n for n, o in outcome.items() if isinstance(o, VersionConflict)]
    assert len(wins) == 1 and len(losses) == 1
    assert _definition(store) == [f"By {wins[0]}."]
    assert [c.steward for c in curation.history(store, SALE)] == wins


def test_typed_relationship_and_unknown_relation(store):
    _edit(store, SALE, lambda v: v["relations"].append({"p": EX + "places", "o": EX + "order"}))
    assert store.ask(f"ASK {{ <{SALE}> <{EX}places> <{EX}order> }}")
    with pytest.raises(InvalidInput) as exc:
        _edit(store, SALE, lambda v: v["relations"].append({"p": EX + "nope", "o": EX + "order"}))
    assert "relations" in exc.value.errors


@pytest.mark.parametrize("iri", ["javascript:alert(1)", "file:///etc/passwd", "ftp://x/y",
                                 "https://x/a b", "relative/iri"])
def test_new_resource_iri_must_be_http_https_or_urn(iri):
    with pytest.raises(ValueError, match="IRI"):
        curation.expand_iri(iri, what="IRI")


def test_prefixed_names_expand():
    assert curation.expand_iri("skos:Concept", what="x") == \
        "http://www.w3.org/2004/02/skos/core#Concept"


PRODUCT = EX + "product/orders"
PRODUCT_VALUES = {
    "iri": PRODUCT, "label": "Orders", "description": "All orders.", "purpose": "Fulfilment.",
    "owner": EX + "agent/ann", "domain": EX + "domain/sales",
    "status": "https://w3id.org/meshkg/ontology#Draft", "sensitivity": "",
    "concepts": [EX + "order"], "tags": [], "personal_data": ["pd:EmailAddress"],
    "purposes": ["dpv:CustomerManagement"], "legal_bases": ["dpv:Contract"], "covers": [],
    "not_covers": [], "lineage": [], "biases": "", "limitations": "Only since 2024.",
    "fields": [{"iri": "", "name": "email", "datatype": "xsd:string", "concept": EX + "order",
                "personal_data": "pd:EmailAddress"}],
    "rules": [{"kind": "permission", "action": "use", "operator": "isA",
               "purpose": "dpv:CustomerManagement"}],
}
AGENTS = f"""
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<{EX}agent/ann> a <http://www.w3.org/ns/prov#Agent> ; rdfs:label "Ann" .
<{EX}domain/sales> a <https://w3id.org/meshkg/ontology#DataDomain> ;
  rdfs:label "Sales" ; <http://purl.org/dc/terms/description> "Sales." .
"""


@pytest.fixture
def product_store(store):
    store.write_quads({"urn:test:agents": parse_bytes(AGENTS.encode(), "turtle", source="test",
                                                      graph="urn:test:agents").quads})
    return store


def _save_product(store, values, **kw):
    desc = curation.describe(store, values["iri"])
    triples = curation.product_triples(values["iri"], values, desc)
    return curation.save(store, values["iri"], triples, steward="ann", comment="new product",
                         version=desc.version, infer=False, **kw)


def test_new_product_with_fields_and_purpose_policy_passes_gate(product_store):
    _save_product(product_store, PRODUCT_VALUES, create=True)
    values = curation.product_values(curation.describe(product_store, PRODUCT))
    assert values["rules"] == [{"kind": "permission", "action": "http://www.w3.org/ns/odrl/2/use",
                                "operator": "isA", "purpose": "https://w3id.org/dpv#CustomerManagement"}]
    assert [f["name"] for f in values["fields"]] == ["email"]
    assert [d["iri"] for d in curation.drafts(product_store)] == [PRODUCT]


def test_personal_data_without_purpose_policy_is_refused(product_store):
    with pytest.raises(ShapeViolation) as exc:
        _save_product(product_store, {**PRODUCT_VALUES, "rules": []}, create=True)
    assert any("PersonalDataPolicy" in (f.shape or "") for f in exc.value.report.results)
    assert curation.describe(product_store, PRODUCT).exists is False


def test_unknown_odrl_operator_is_refused_before_writing(product_store):
    rules = [{"kind": "permission", "action": "use", "operator": "sortOf",
              "purpose": "dpv:CustomerManagement"}]
    with pytest.raises(InvalidInput) as exc:
        _save_product(product_store, {**PRODUCT_VALUES, "rules": rules}, create=True)
    assert "sortOf" in exc.value.errors["rules"][0]


def test_publish_draft_sets_active_and_is_recorded(product_store):
    _save_product(product_store, PRODUCT_VALUES, create=True)
    curation.set_status(product_store, PRODUCT, "Active", steward="ben", comment="reviewed",
                        infer=False)
    assert curation.drafts(product_store) == []
    assert curation.product_values(curation.describe(product_store, PRODUCT))["status"] == \
        "https://w3id.org/meshkg/ontology#Active"
    assert [c.kind for c in curation.history(product_store, PRODUCT)] == ["publish", "edit"]


def test_creating_an_existing_resource_is_a_conflict(product_store):
    _save_product(product_store, PRODUCT_VALUES, create=True)
    with pytest.raises(VersionConflict):
        _save_product(product_store, PRODUCT_VALUES, create=True)
