"""The catalog read API on a real on-disk store holding the demo mesh (loaded the way
`meshkg serve` loads it: vocabularies, validation, inference), plus a tiny mesh with
hostile labels, and the Unified Astronomy Thesaurus for tree speed."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from rdflib import Literal, URIRef

from kg import catalog
from kg.errors import NotFound, UsageError
from kg.inference import infer
from kg.loading import parse_file
from kg.namespaces import DPROD, MESH
from kg.store.oxigraph import OxigraphStore

DATA = Path(__file__).resolve().parents[1] / "data"
CONCEPT = "https://demo.meshkg.org/id/concept/"
PRODUCT = "https://demo.meshkg.org/id/product/"
EX = "https://example.org/mesh/"
UAT = "http://astrothesaurus.org/uat/"


@pytest.fixture(scope="module")
def store(tmp_path_factory, _demo_template):
    """The demo mesh (as `load_demo` leaves it: the session's template copied) and the
    tiny hostile mesh, in one on-disk store."""
    path = tmp_path_factory.mktemp("catalog") / "store"
    shutil.copytree(_demo_template[0], path)
    s = OxigraphStore(path)
    mini = parse_file(DATA / "catalog" / "mini-mesh.ttl", graph="urn:test:mini-mesh")
    s.write_quads({"urn:test:mini-mesh": mini.quads})
    infer(s, changed=["urn:test:mini-mesh"])  # what every load does after writing
    yield s
    s.close()


@pytest.fixture(scope="module")
def uat(tmp_path_factory):
    s = OxigraphStore(tmp_path_factory.mktemp("uat") / "store")
    parsed = parse_file(DATA / "corpora" / "uat" / "UAT.rdf", graph="urn:test:uat")
    s.write_quads({"urn:test:uat": parsed.quads})
    infer(s, changed=["urn:test:uat"])  # as every load does: scheme sizes read the closure
    yield s
    s.close()


def test_domains_count_their_products(store):
    counts = {ref.iri: n for ref, n in catalog.domains(store).items}
    assert counts["https://demo.meshkg.org/id/domain/sales"] == 6
    assert counts["https://demo.meshkg.org/id/domain/pharma-research"] == 7
    assert counts[EX + "sales-domain"] == 3
    assert len([n for n in counts.values() if n]) >= 5


def test_products_about_a_top_concept_include_those_about_narrower_concepts(store):
    listing = catalog.products_about(store, CONCEPT + "sale")
    found = {a.product.iri: a for a in listing.items}
    web = found[PRODUCT + "web-orders-raw"] if PRODUCT + "web-orders-raw" in found else None
    assert web is None or not web.direct
    assert PRODUCT + "store-sales" in found
    store_sales = found[PRODUCT + "store-sales"]
    assert not store_sales.direct
    assert [r.label for r in store_sales.path] == ["In-store sale", "Retail sale", "Sale"]
    assert store_sales.explanation == (
        "about In-store sale, narrower than Retail sale, a narrower concept of Sale")


def test_concept_products_come_in_pages_with_the_count_of_all(store):
    whole = catalog.concept(store, CONCEPT + "sale")
    everything = [a.product.iri for a in whole.products]
    assert whole.product_count == len(set(everything)) >= 5 and whole.pages == 1
    first = catalog.concept(store, CONCEPT + "sale", per_page=2)
    second = catalog.concept(store, CONCEPT + "sale", page=2, per_page=2)
    assert (first.page, second.page, first.pages) == (1, 2, -(-whole.product_count // 2))
    assert first.product_count == second.product_count == whole.product_count
    one, two = ({a.product.iri for a in c.products} for c in (first, second))
    assert len(one) == len(two) == 2 and not one & two
    # in the order of the whole list: about the concept itself first, then by distance
    assert [a.product.iri for a in first.products + second.products] == everything[
        :len(first.products) + len(second.products)]
    last = catalog.concept(store, CONCEPT + "sale", page=99, per_page=2)
    assert last.page == last.pages and last.products


def test_concept_labels_follow_the_language_with_fallback(store):
    de = catalog.concept(store, CONCEPT + "online-sale", "de")
    assert de.label == "Onlineverkauf" and de.lang == "de"
    assert catalog.concept(store, CONCEPT + "online-sale", "de-CH").label == "Onlineverkauf"
    # no French label: English is the fallback, never an altLabel made rdfs:label by inference
    assert catalog.concept(store, CONCEPT + "online-sale", "fr").label == "Online sale"
    assert Literal("Digitaler Verkauf", lang="de") in de.alt_labels
    assert de.definition and de.scope_note
    assert [r.iri for r in de.broader] == [CONCEPT + "retail-sale"]


def test_concept_shows_typed_relations_in_both_directions(store):
    mini = catalog.concept(store, EX + "Order")
    assert [(r.subject.label, r.relation.label, r.object.label) for r in mini.relations] == [
        ("Customer", "places", "Order")]
    customer = catalog.concept(store, EX + "Customer")
    assert [(r.subject.label, r.relation.label, r.object.label) for r in customer.relations] == [
        ("Customer", "places", "Order")]


def test_unknown_concept_is_not_found(store):
    with pytest.raises(NotFound):
        catalog.concept(store, EX + "no-such-concept")


def test_an_iri_with_sparql_syntax_is_refused_not_run(store):
    with pytest.raises(UsageError):
        catalog.concept(store, "https://x> } ; DROP ALL ; #")


def test_search_by_a_german_synonym_finds_the_concept_and_its_products(store):
    result = catalog.search(store, "Digitaler Verkauf")
    assert result.concepts[0].iri == CONCEPT + "online-sale"
    assert "synonym (de) “Digitaler Verkauf” matches" in result.concepts[0].reasons
    labels = [h.label for h in result.hits]
    assert "E-commerce sales" in labels


def test_search_explains_narrower_concept_hits(store):
    result = catalog.search(store, "sale")
    why = {h.iri: h.reasons for h in result.hits}
    assert any(r.endswith("a narrower concept of Sale") for r in why[PRODUCT + "store-sales"])


def test_exact_label_matches_rank_first(store):
    concepts = catalog.search(store, "Sale").concepts
    exact = [h for h in concepts if h.label == "Sale"]
    assert len(exact) == 2  # the demo's and the tiny mesh's
    assert concepts[:2] == exact
    assert all(h.score < exact[-1].score for h in concepts[2:])


@pytest.mark.parametrize("facet", catalog.FACETS)
def test_search_facets_count_and_filter(store, facet):
    result = catalog.search(store, "sale")
    values = result.facets[facet]
    assert values, f"no {facet} facet values"
    ref, count = values[0]
    narrowed = catalog.search(store, "sale", filters={facet: ref.iri})
    assert len(narrowed.hits) == count
    assert narrowed.filters == {facet: ref.iri}


def test_search_text_is_a_value_not_query_text(store):
    before = store.count_triples()
    result = catalog.search(store, 'x" ) } ; DROP ALL ; #')
    assert result.hits == []
    assert store.count_triples() == before


def test_every_query_shown_gives_the_rows_it_ran_with(store):
    listing = catalog.products_about(store, CONCEPT + "sale")
    shown = store.query(listing.query.sparql)
    assert {str(r["product"]) for r in shown.rows} == {a.product.iri for a in listing.items}
    assert "VALUES ?concept" in listing.query.sparql


def test_product_reads_meaning_first_data(store):
    p = catalog.product(store, EX + "web-sales")
    assert [c.label for c in p.about] == ["Customer", "Online sale"]
    assert [r.label for r in p.coverage["does_not_cover"]] == ["Store sale"]
    assert p.coverage["limitations"] and p.coverage["biases"]
    assert p.policies[0].sentences[-1] == "No one may distribute this product."
    assert [f.name for f in p.ports[0].datasets[0][1]] == ["customer_email", "order_id"]
    assert p.owners[0]["ref"].label == "Web shop team"
    assert p.contacts[0]["emails"] == ["mailto:web@example.org"]


def test_demo_product_has_period_and_validation_status(store):
    p = catalog.product(store, PRODUCT + "pos-transactions-raw")
    assert [r.label for r in p.coverage["temporal"]] == ["since 2018-01-01"]
    assert p.validation is not None and p.validation["conforms"]


def test_lineage_up_and_downstream(store):
    lin = catalog.lineage(store, EX + "web-sales")
    assert [r.label for r in lin.upstream] == ["Orders"]
    assert {r.iri for r in lin.downstream} == {EX + "mobile-sales", EX + "campaigns"}
    assert lin.depth[EX + "orders"] == -1 and lin.depth[EX + "campaigns"] == 1


@pytest.mark.parametrize("prop,value,expected", [
    (DPROD.domain, EX + "marketing-domain", [EX + "campaigns"]),
    (MESH.tag, EX + "tag-kpi", [EX + "web-sales"]),
    (URIRef("https://w3id.org/dpv#hasPersonalData"), "https://w3id.org/dpv/pd#EmailAddress",
     None),
])
def test_listings_by_domain_tag_and_category(store, prop, value, expected):
    items = [c.iri for c in catalog.products_by(store, prop, value).items]
    if expected is None:
        assert EX + "web-sales" in items and len(items) > 1
    else:
        assert items == expected


def test_recently_changed_products_are_newest_first(store):
    cards = catalog.recent_products(store).items
    dates = [c.modified[:10] for c in cards]
    assert dates == sorted(dates, reverse=True)


def test_suggestions_match_synonyms_and_rank_exact_first(store):
    found = catalog.suggest(store, "kunde")
    assert found[0]["label"] in ("Customer", "Kunde") or found[0]["matched"].lower() == "kunde"
    assert all(set(s) >= {"kind", "iri", "label", "matched"} for s in found)


def test_uat_tree_children_are_fast(uat):
    top = catalog.scheme(uat, UAT + "1")
    assert len(top.top) == 11
    start = time.perf_counter()
    kids = catalog.children(uat, UAT + "80")
    took = time.perf_counter() - start
    assert len(kids.items) == 30
    assert took < 0.5, f"children of a 2,372-concept thesaurus took {took:.2f}s"
    assert catalog.scheme_size(uat, UAT + "1") > 2000


def test_uat_search_within_scheme_finds_deep_concepts(uat):
    found = catalog.search_in_scheme(uat, UAT + "1", "galax")
    assert len(found.items) > 50


@pytest.mark.contract
def test_concept_hierarchy_is_reread_after_a_write(demo_store, tmp_path):
    """The cached hierarchy never hides a concept a steward has just added."""
    from kg.sources import load_files
    sale = "https://demo.meshkg.org/id/concept/sale"
    before = catalog.products_about(demo_store, sale)
    new = tmp_path / "kiosk.ttl"
    new.write_text(
        (Path(__file__).parent.parent / "data" / "core" / "product-ok.ttl").read_text()
        .replace("ex:online-sale a skos:Concept ; skos:prefLabel \"Online sale\"@en ; "
                 "skos:broader ex:sale ;",
                 "ex:online-sale a skos:Concept ; skos:prefLabel \"Kiosk sale\"@en ; "
                 f"skos:broader <{sale}> ;"))
    load_files(demo_store, [new])
    after = catalog.products_about(demo_store, sale)
    added = {i.product.iri for i in after.items} - {i.product.iri for i in before.items}
    assert added == {"https://example.org/id/web-orders"}
    found = [i for i in after.items if i.product.iri in added][0]
    assert [r.label for r in found.path] == ["Kiosk sale", "Sale"]
