"""Every example question on the SPARQL page returns what its title says: each runs through
the endpoint (Flask test client) over the demo mesh, and its rows are compared with the
answer worked out in Python from the plain triples it is about."""

from __future__ import annotations

from collections import defaultdict, deque

import pytest

from kg.namespaces import sparql_prefixes
from tests.webapp._demo_apps import DCAT_AP_SPATIAL, app_over, demo_copy
from webapp.sparql import EXAMPLES

TITLES = [title for title, _ in EXAMPLES]
PLACEHOLDER = "urn:meshkg:placeholder:"


@pytest.fixture(scope="module")
def demo(tmp_path_factory, _demo_template):
    app, store = app_over(demo_copy(_demo_template[0], tmp_path_factory.mktemp("examples")))
    yield app, store
    store.close()


@pytest.fixture(scope="module")
def imported(tmp_path_factory, _demo_template):
    """The demo and a DCAT-AP 3 example imported as drafts (placeholder owners)."""
    path = demo_copy(_demo_template[0], tmp_path_factory.mktemp("examples-import"),
                     (("dcat", DCAT_AP_SPATIAL),))
    app, store = app_over(path)
    yield app, store
    store.close()


def run_example(app, title: str) -> list[dict[str, str]]:
    """Run one example through /sparql as the page's link does; rows of plain values."""
    text = dict(EXAMPLES)[title]
    resp = app.test_client().post("/sparql", data={"query": sparql_prefixes() + "\n" + text},
                                  headers={"Accept": "application/sparql-results+json"})
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    return [{k: v["value"] for k, v in b.items()} for b in resp.get_json()["results"]["bindings"]]


def pairs(store, pattern: str, *names: str) -> set[tuple[str, ...]]:
    """Return the values of some variables of a plain triple pattern, as strings."""
    res = store.query(sparql_prefixes() + f"SELECT {' '.join('?' + n for n in names)} "
                      f"WHERE {{ {pattern} }}")
    return {tuple(str(r[n]) for n in names) for r in res.rows}


def reach(edges: set[tuple[str, str]], start: str) -> set[str]:
    """Return what a start node reaches through edges, itself excluded (unless on a cycle)."""
    out, seen, queue = defaultdict(set), set(), deque([start])
    for a, b in edges:
        out[a].add(b)
    while queue:
        for nxt in out[queue.popleft()]:
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def products(store) -> set[str]:
    return {p for (p,) in pairs(store, "?p a dprod:DataProduct", "p")}


def check_about(store, rows):
    broader = pairs(store, "?a skos:broader ?b", "a", "b")
    subjects = pairs(store, "?p a dprod:DataProduct ; dct:subject ?c", "p", "c")
    counts: dict[str, set[str]] = defaultdict(set)
    for product, concept in subjects:
        for c in reach(broader, concept) | {concept}:
            counts[c].add(product)
    assert rows and len(rows) == min(50, len(counts))
    for row in rows:
        assert int(row["products"]) == len(counts[row["concept"]]), row
    expected_top = sorted((len(v) for v in counts.values()), reverse=True)[:len(rows)]
    assert [int(r["products"]) for r in rows] == expected_top


def check_personal_data(store, rows):
    held = pairs(store, "?p a dprod:DataProduct ; dpv:hasPersonalData ?c", "p", "c")
    assert {(r["product"], r["personalData"]) for r in rows} == held
    holders = {p for p, _ in held}
    assert holders and {r["product"] for r in rows} == holders  # none that holds nothing
    assert len(holders) < len(products(store))


def check_coverage(store, rows):
    said = ({(c, "covers", p) for p, c in pairs(
        store, "?p a dprod:DataProduct ; mesh:covers ?c", "p", "c")}
        | {(c, "does not cover", p) for p, c in pairs(
            store, "?p a dprod:DataProduct ; mesh:doesNotCover ?c", "p", "c")})
    assert said and {(r["concept"], r["coverage"], r["product"]) for r in rows} == said
    assert any(r["coverage"] == "does not cover" for r in rows)
    store_sale = [r for r in rows if r["concept"].endswith("/concept/store-sale")]
    assert {r["coverage"] for r in store_sale} == {"covers", "does not cover"}
    assert all(r["conceptLabel"] for r in rows)


def check_lineage(store, rows):
    derived = pairs(store, "?a a dprod:DataProduct ; prov:wasDerivedFrom ?b", "a", "b")
    expected = set()
    for product in products(store):
        expected |= {(product, "upstream", o) for o in reach(derived, product)}
        expected |= {(product, "downstream", o) for o in reach({(b, a) for a, b in derived},
                                                               product)}
    assert len(rows) < 1000  # the LIMIT cut nothing off
    assert expected and {(r["product"], r["direction"], r["other"]) for r in rows} == expected


def check_no_owner(store, rows):
    owned = {p for p, o in pairs(store, "?p a dprod:DataProduct ; dprod:dataProductOwner ?o",
                                 "p", "o") if not o.startswith(PLACEHOLDER)}
    assert {r["product"] for r in rows} == products(store) - owned


CHECKS = {
    "Products about a concept, narrower concepts included": check_about,
    "Products holding personal data": check_personal_data,
    "Which products cover a concept, and which say they do not": check_coverage,
    "Lineage: every product upstream and downstream of each product": check_lineage,
    "Products without an owner": check_no_owner,
}


def test_every_example_has_a_check():
    assert sorted(CHECKS) == sorted(TITLES)


@pytest.mark.parametrize("title", TITLES)
def test_example_returns_what_its_title_says_on_the_demo(demo, title):
    app, store = demo
    CHECKS[title](store, run_example(app, title))


def test_products_holding_personal_data_are_only_those_holding_it(demo):
    """The example once followed any property (`?product ?via ?part`): 70 rows, 13
    products, among them derived products holding none."""
    app, store = demo
    rows = run_example(app, "Products holding personal data")
    assert len({r["product"] for r in rows}) == 9
    assert "https://demo.meshkg.org/id/product/omnichannel-revenue" not in {
        r["product"] for r in rows}


def test_a_placeholder_owner_is_no_owner(imported):
    """Imported drafts whose source names no owner get a placeholder; the example lists them."""
    app, store = imported
    rows = run_example(app, "Products without an owner")
    check_no_owner(store, rows)
    assert sorted(r["label"] for r in rows) == [
        "Bee population 2022 in the region of Thessaloniki",
        "Bee population 2023 in the region of Thessaloniki and Athens"]
