"""`/privacy?iri=X` lists the products holding personal data of category X or of any
narrower category: the DPV 2.3 hierarchy (skos:broader in pd:, skos:broader and
rdfs:subClassOf in dpv:), rolled up, through the Flask test client over the demo."""

from __future__ import annotations

import re
from collections import defaultdict, deque
from urllib.parse import unquote

import pytest

from kg.namespaces import sparql_prefixes
from tests.webapp._demo_apps import app_over, demo_copy

DPV = "https://w3id.org/dpv#"
PD = "https://w3id.org/dpv/pd#"
PRODUCT = "https://demo.meshkg.org/id/product/"


@pytest.fixture(scope="module")
def demo(tmp_path_factory, _demo_template):
    app, store = app_over(demo_copy(_demo_template[0], tmp_path_factory.mktemp("privacy")))
    yield app.test_client(), store
    store.close()


def listed(client, category: str) -> tuple[list[str], str]:
    """Return the product IRIs a privacy page lists, in order, and the page."""
    resp = client.get("/privacy", query_string={"iri": category})
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    page = resp.get_data(as_text=True)
    cards = page.split('id="h-list"')[1]
    iris = re.findall(r'<h3><a href="/product\?iri=([^"]+)"', cards)
    return [unquote(i) for i in iris], page


def holders(store, category: str) -> set[str]:
    """Work out, from the plain triples, the products holding the category or a narrower one."""
    up = defaultdict(set)
    for r in store.query(sparql_prefixes() + "SELECT ?a ?b WHERE { "
                         "?a skos:broader|rdfs:subClassOf ?b }").rows:
        up[str(r["a"])].add(str(r["b"]))
    held = [(str(r["p"]), str(r["c"])) for r in store.query(
        sparql_prefixes() + "SELECT ?p ?c WHERE { ?p a dprod:DataProduct ; "
        "dpv:hasPersonalData ?c }").rows]

    def rolls_up(c: str) -> bool:
        seen, queue = {c}, deque([c])
        while queue:
            here = queue.popleft()
            if here == category:
                return True
            for nxt in up[here] - seen:
                seen.add(nxt)
                queue.append(nxt)
        return False

    return {p for p, c in held if rolls_up(c)}


def test_personal_data_lists_every_product_holding_any(demo):
    client, store = demo
    iris, page = listed(client, DPV + "PersonalData")
    direct = {str(r["p"]) for r in store.query(sparql_prefixes() + "SELECT DISTINCT ?p WHERE "
                                               "{ ?p a dprod:DataProduct ; "
                                               "dpv:hasPersonalData [] }").rows}
    assert len(direct) == 9 and set(iris) == direct and len(iris) == len(direct)
    assert "(9)" in page
    names = re.findall(r'<h3><a href="/product[^"]+">([^<]+)</a>', page)
    assert names == sorted(names, key=str.lower)
    assert "holds Name, a narrower category of Personal Data (through Identifying, External)" \
        in page


@pytest.mark.parametrize("category", [
    DPV + "PersonalData", DPV + "SensitivePersonalData", DPV + "SpecialCategoryPersonalData",
    PD + "External", PD + "Contact", PD + "MedicalHealth", PD + "Name", PD + "Health",
    PD + "Financial",
])
def test_a_category_lists_the_holders_of_it_and_of_narrower_ones(demo, category):
    client, store = demo
    iris, _ = listed(client, category)
    assert set(iris) == holders(store, category) and len(iris) == len(set(iris))


def test_special_category_data_lists_the_health_products(demo):
    client, _ = demo
    iris, page = listed(client, DPV + "SpecialCategoryPersonalData")
    assert PRODUCT + "trial-participant-outcomes" in iris
    assert "holds Health, a narrower category of Special Category Personal Data " \
        "(through Medical Health)" in page
    assert PRODUCT + "customer-master" not in iris


def test_a_category_held_directly_says_so(demo):
    client, _ = demo
    iris, page = listed(client, PD + "Name")
    assert PRODUCT + "customer-master" in iris
    assert "holds Name</span>" in page


def test_the_page_shows_the_query_that_ran(demo):
    client, _ = demo
    _, page = listed(client, PD + "Contact")
    assert "skos:broader|rdfs:subClassOf" in page and "Open this query on the SPARQL page" in page


def test_an_unknown_category_is_404(demo):
    client, _ = demo
    resp = client.get("/privacy", query_string={"iri": "https://example.org/no-such-category"})
    assert resp.status_code == 404


@pytest.fixture(scope="module")
def crowded(tmp_path_factory, _demo_template):
    """The demo and 60 more products holding e-mail addresses."""
    app, store = app_over(demo_copy(_demo_template[0], tmp_path_factory.mktemp("crowded")))
    extra = " ".join(
        f"<{PRODUCT}mail-{i:02d}> a <https://www.omg.org/spec/DPROD/DataProduct> ; "
        f"<http://www.w3.org/2000/01/rdf-schema#label> \"Mailing list {i:02d}\" ; "
        f"<{DPV}hasPersonalData> <{PD}EmailAddress> ." for i in range(60))
    store.update(f"INSERT DATA {{ GRAPH <urn:test:mailing-lists> {{ {extra} }} }}")
    yield app.test_client(), store
    store.close()


def test_a_long_listing_shows_50_to_a_page(crowded):
    client, store = crowded
    expected = holders(store, DPV + "PersonalData")
    assert len(expected) == 69
    first, page = listed(client, DPV + "PersonalData")
    assert len(first) == 50 and "(69)" in page and "Page 1 of 2" in page
    assert 'rel="next"' in page
    resp = client.get("/privacy", query_string={"iri": DPV + "PersonalData", "page": "2"})
    second = [unquote(i) for i in re.findall(r'<h3><a href="/product\?iri=([^"]+)"',
                                             resp.get_data(as_text=True))]
    assert len(second) == 19 and set(first) | set(second) == expected
    assert not set(first) & set(second)
