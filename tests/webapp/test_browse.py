"""The meaning-first browser pages, through the Flask test client, over the demo mesh
and a tiny mesh whose labels try to inject HTML and whose links use javascript: IRIs."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import quote

import pytest

from kg.config import Settings
from kg.inference import infer
from kg.loading import parse_file
from kg.store.oxigraph import OxigraphStore
from webapp import create_app
from webapp.browse import CSP, page_for, safe_href

DATA = Path(__file__).resolve().parents[1] / "data"
CONCEPT = "https://demo.meshkg.org/id/concept/"
PRODUCT = "https://demo.meshkg.org/id/product/"
EX = "https://example.org/mesh/"


@pytest.fixture(scope="module")
def app(tmp_path_factory, _demo_template):
    path = tmp_path_factory.mktemp("browse") / "store"
    shutil.copytree(_demo_template[0], path)  # the demo as load_demo leaves it, built once
    store = OxigraphStore(path)
    mini = parse_file(DATA / "catalog" / "mini-mesh.ttl", graph="urn:test:mini-mesh")
    store.write_quads({"urn:test:mini-mesh": mini.quads})
    infer(store, changed=["urn:test:mini-mesh"])  # what every load does after writing
    app = create_app(Settings(store=str(path), load_demo=False), store)
    yield app
    store.close()


@pytest.fixture
def client(app):
    return app.test_client()


def page(client, path: str, iri: str | None = None, **args) -> str:
    url = path + (f"?iri={quote(iri, safe='')}" if iri else "")
    for k, v in args.items():
        url += ("&" if "?" in url else "?") + f"{k}={quote(v, safe='')}"
    resp = client.get(url)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    return resp.get_data(as_text=True)


def order_of(html: str, *markers: str) -> list[int]:
    return [html.index(m) for m in markers]


def test_home_shows_search_domains_concepts_recent_and_validation(client):
    html = page(client, "/")
    assert 'name="q"' in html
    assert "Pharma research" in html and "7 data products" in html
    assert "Retail sales" in html and "Recently changed" in html
    assert re.search(r"<strong>\d+</strong> of \d+ data products pass validation", html)
    assert "Open this query on the SPARQL page" in html


def test_product_page_is_meaning_first_in_this_order(client):
    html = page(client, "/product", PRODUCT + "pos-transactions-raw")
    sections = ["id=\"about\"", "id=\"relations\"", "id=\"tags\"", "id=\"privacy\"",
                "id=\"policies\"", "id=\"coverage\"", "id=\"trust\"", "id=\"lineage\"",
                "id=\"schema\""]
    positions = order_of(html, *sections)
    assert positions == sorted(positions)
    assert html.index("Does not cover") < html.index("receipt_id")
    assert "Digital sale" not in html.split('id="coverage"')[1].split('id="trust"')[0]
    assert "Online sale" in html.split('id="coverage"')[1].split('id="trust"')[0]
    assert "<svg" in html.split('id="lineage"')[1]


def test_concept_page_shows_products_of_narrower_concepts_marked(client):
    html = page(client, "/concept", CONCEPT + "sale")
    below = html.split('id="h-narrower-products"')[1]
    assert "Store sales" in below
    assert "about In-store sale, narrower than Retail sale, a narrower concept of Sale" in below
    assert "<svg" in html and 'class="node-link"' in html


def test_concept_page_pages_its_products(client, monkeypatch):
    from kg import catalog
    monkeypatch.setattr(catalog, "PER_PAGE", 2)
    first = page(client, "/concept", CONCEPT + "sale")
    second = page(client, "/concept", CONCEPT + "sale", page="2")
    count = int(re.search(r"(\d+) data products about Sale or a narrower concept; page 1 of",
                          first).group(1))
    assert f"page 2 of {-(-count // 2)}" in second
    names = [set(re.findall(r'<h[34]><a href="/product\?iri=([^"]+)"', html))
             for html in (first, second)]
    assert len(names[0]) == len(names[1]) == 2 and not names[0] & names[1]
    assert 'rel="next"' in first and 'rel="prev"' in second
    assert client.get("/concept?iri=" + quote(CONCEPT + "sale") + "&page=x").status_code == 400


def test_concept_language_switch_and_fallback(client):
    html = page(client, "/concept", CONCEPT + "online-sale", lang="de")
    assert '<h1 lang="de">Onlineverkauf</h1>' in html
    assert 'hreflang="en"' in html
    html = page(client, "/concept", CONCEPT + "online-sale", lang="fr")
    assert '<h1 lang="en">Online sale</h1>' in html


def test_typed_relation_reads_as_a_sentence(client):
    html = page(client, "/concept", EX + "Order")
    assert re.search(r">Customer</a> <span class=\"rel\">places</span> <a[^>]*>Order</a>", html)


def test_scheme_tree_is_collapsible_and_searchable(client):
    html = page(client, "/scheme", "https://demo.meshkg.org/id/scheme/retail-sales")
    assert "<details" in html and "<summary>" in html and "Online sale" in html
    html = page(client, "/scheme", "https://demo.meshkg.org/id/scheme/retail-sales", q="online")
    assert "Concepts matching" in html and "Online sale" in html
    frag = page(client, "/scheme/children", CONCEPT + "retail-sale")
    assert "Online sale" in frag and "<html" not in frag


@pytest.mark.parametrize("path,iri,text", [
    ("/domain", "https://demo.meshkg.org/id/domain/sales", "Store sales"),
    ("/tag", EX + "tag-kpi", "Web shop sales"),
    ("/privacy", "https://w3id.org/dpv/pd#EmailAddress", "Web shop sales"),
    ("/policy", EX + "web-policy", "No one may distribute this product."),
])
def test_listing_pages(client, path, iri, text):
    html = page(client, path, iri)
    assert text in html and "The query behind this list" in html


@pytest.mark.parametrize("path", ["/concept", "/product", "/scheme", "/domain", "/tag",
                                  "/privacy", "/policy"])
def test_unknown_iri_is_404(client, path):
    resp = client.get(f"{path}?iri={quote(EX + 'nothing-here', safe='')}")
    assert resp.status_code == 404
    assert resp.headers["Content-Security-Policy"] == CSP


def test_missing_or_broken_iri_is_400(client):
    assert client.get("/concept").status_code == 400
    assert client.get("/concept?iri=" + quote("https://x> } ; DROP ALL ; #")).status_code == 400


def test_search_json_has_results_reasons_and_facets(client):
    resp = client.get("/search?q=Digitaler%20Verkauf", headers={"Accept": "application/json"})
    assert resp.status_code == 200 and resp.is_json
    body = resp.get_json()
    assert body["concepts"][0]["iri"] == CONCEPT + "online-sale"
    assert any(r["label"] == "E-commerce sales" for r in body["results"])
    assert all(r["why"] for r in body["results"])
    assert set(body["facets"]) == {"domain", "concept", "tag", "personal", "status", "policy"}


def test_search_html_facet_links_filter(client):
    html = page(client, "/search", q="sale")
    assert "Narrow down" in html and "domain=" in html
    body = client.get("/search?q=sale&personal=yes&format=json").get_json()
    assert body["filters"] == {"personal": "yes"}


def test_search_html_shows_the_largest_facet_values_and_the_chosen_one(client):
    """A broad search at 10,000 products had thousands of concept values (a 634 kB page,
    0.7 s of template): the page lists the 12 largest per facet; JSON lists them all."""
    body = client.get("/search?q=sale&format=json").get_json()
    concepts = body["facets"]["concept"]
    assert len(concepts) > 12

    def concept_facet(html: str) -> str:
        return html.split("<h3>Concept</h3>", 1)[1].split("</ul>", 1)[0]

    shown = concept_facet(page(client, "/search", q="sale"))
    assert shown.count("<li>") == 12
    assert f"and {len(concepts) - 12} more" in shown
    assert concepts[0]["label"] in shown and concepts[-1]["label"] not in shown
    # a value beyond the twelve stays listed (as the filter to remove) once chosen
    chosen = page(client, "/search", q="sale", concept=concepts[-1]["iri"])
    assert 'aria-current="true"' in concept_facet(chosen)


def test_search_results_come_in_pages_with_facets_over_all(client, monkeypatch):
    from kg import catalog
    monkeypatch.setattr(catalog, "PER_PAGE", 2)
    first = client.get("/search?q=sale&format=json").get_json()
    second = client.get("/search?q=sale&format=json&page=2").get_json()
    assert first["total"] == second["total"] > 2 and first["pages"] == -(-first["total"] // 2)
    assert len(first["results"]) == len(second["results"]) == 2
    assert not {r["iri"] for r in first["results"]} & {r["iri"] for r in second["results"]}
    assert sum(n["count"] for n in first["facets"]["personal"]) == first["total"]
    html = page(client, "/search", q="sale", page="2")
    assert f"({first['total']}; page 2 of {first['pages']})" in html and 'rel="prev"' in html


def test_suggest_json(client):
    resp = client.get("/suggest?q=onlinever")
    assert resp.is_json
    assert resp.get_json()[0]["label"] == "Online sale"
    assert resp.get_json()[0]["url"].startswith("/concept?iri=")


@pytest.mark.parametrize("path,iri", [("/concept", EX + "Evil"), ("/product", EX + "campaigns"),
                                      ("/concept", EX + "Customer")])
def test_labels_with_html_are_shown_as_text(client, path, iri):
    html = page(client, path, iri)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html or "&lt;img src=x" in html


def test_search_results_escape_labels(client):
    html = page(client, "/search", q="evil")
    assert "<script>alert" not in html and "&lt;script&gt;" in html


def test_javascript_iris_are_never_links(client):
    for path, iri in (("/concept", EX + "Evil"), ("/product", EX + "web-sales")):
        html = page(client, path, iri)
        assert 'href="javascript:' not in html
        assert "javascript:alert(1)" in html


@pytest.mark.parametrize("iri,ok", [("https://x.org/a", True), ("mailto:a@b.org", True),
                                    ("javascript:alert(1)", False), ("data:text/html,x", False),
                                    ("JaVaScRiPt:alert(1)", False), ("//evil.org", False),
                                    ("https://x.org/\"onmouseover=", False)])
def test_safe_href(iri, ok):
    assert (safe_href(iri) is not None) is ok


@pytest.mark.parametrize("path", ["/", "/search?q=sale", "/suggest?q=sa", "/static/meshkg.css",
                                  "/no-such-page"])
def test_csp_header_on_every_response(client, path):
    resp = client.get(path)
    resp.close()
    csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp


def test_pages_have_no_inline_scripts_or_external_requests(client):
    for path in ("/", f"/concept?iri={quote(CONCEPT + 'sale')}",
                 f"/product?iri={quote(PRODUCT + 'store-sales')}"):
        html = client.get(path).get_data(as_text=True)
        assert re.findall(r"<script(?![^>]*\bsrc=\"/static/)", html) == []
        assert " on" not in re.sub(r"<pre>.*?</pre>", "", html, flags=re.S).split("<body>")[0]
        assert not re.search(r"(src|href)=\"(https?:)?//(?!127\.0\.0\.1)", html.split(
            "<main")[0])


def test_page_for_tells_the_page_of_an_iri(app):
    with app.test_request_context("/"):
        assert page_for(PRODUCT + "store-sales").startswith("/product?iri=")
        assert page_for(CONCEPT + "sale").startswith("/concept?iri=")
        assert page_for(EX + "nothing-here") is None


def test_every_page_links_its_data(client):
    html = page(client, "/product", PRODUCT + "store-sales")
    assert "/resource?iri=" in html and "format=turtle" in html and "format=jsonld" in html


def test_product_page_asks_may_i_and_gives_the_same_answer_as_the_cli(client):
    """The policy section carries the "may I?" form; its answer is kg.governance's."""
    html = page(client, "/product", PRODUCT + "customer-master")
    assert 'action="/governance/may"' in html
    assert html.index('class="may-form"') < html.index('id="coverage"')
    answer = client.get("/governance/may", query_string={
        "product": PRODUCT + "customer-master", "action": "distribute"})
    assert answer.status_code == 200
    assert "deny" in answer.get_data(as_text=True).lower()


def test_product_and_concept_pages_link_edit_and_history(client):
    html = page(client, "/product", PRODUCT + "customer-master")
    assert "/curate/product?iri=" in html and "/history?iri=" in html
    html = page(client, "/concept", CONCEPT + "customer")
    assert "/curate/concept?iri=" in html


def test_pages_link_their_exports_and_the_links_work(client):
    """Product, domain and scheme pages link the standard exports, which download."""
    html = page(client, "/product", PRODUCT + "store-sales")
    m = re.search(r'href="(/export/odcs/[^"]+)"', html)
    assert m, "no ODCS link on the product page"
    resp = client.get(m.group(1).replace("&amp;", "&"))
    assert resp.status_code == 200 and b"kind: DataContract" in resp.data
    assert 'href="/export/dcat-ap.ttl"' in html
    scheme_page = page(client, "/scheme", "https://demo.meshkg.org/id/scheme/retail-sales")
    scheme = re.search(r'href="(/export/skos\?scheme=[^"]+)"', scheme_page)
    assert scheme, "no SKOS link on the scheme page"
    resp = client.get(scheme.group(1).replace("&amp;", "&"))
    assert resp.status_code == 200 and b"ConceptScheme" in resp.data
