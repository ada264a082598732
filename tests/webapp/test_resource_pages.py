"""`/resource?iri=` in a browser opens the page a person expects for an IRI the catalog
knows (product, concept, scheme, domain, policy, personal-data category): 303 See Other,
keeping `lang`. Machine formats, `?format=`, and IRIs the catalog has no page for answer
as before. Through the Flask test client, over the demo and an imported DCAT-AP file."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pyoxigraph as ox
import pytest

from tests.webapp._demo_apps import DCAT_AP_SPATIAL, app_over, demo_copy

ID = "https://demo.meshkg.org/id/"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
KNOWN = [  # (IRI, page, a text of that page)
    (ID + "product/ecommerce-sales", "/product", "Coverage and gaps"),
    (ID + "concept/sale", "/concept", "Sale"),
    (ID + "scheme/retail-sales", "/scheme", "Retail sales"),
    (ID + "domain/sales", "/domain", "Data products in this domain"),
    (ID + "policy/online-order-data-use", "/policy", "In plain words"),
    ("https://w3id.org/dpv/pd#Name", "/privacy", "Data products that hold this kind"),
]


@pytest.fixture(scope="module")
def client(tmp_path_factory, _demo_template):
    path = demo_copy(_demo_template[0], tmp_path_factory.mktemp("resource"),
                     (("dcat", DCAT_AP_SPATIAL),))
    app, store = app_over(path)
    yield app.test_client()
    store.close()


def get(client, iri: str, accept: str = BROWSER, **args):
    return client.get("/resource", query_string={"iri": iri, **args},
                      headers={"Accept": accept})


@pytest.mark.parametrize("iri, page, text", KNOWN)
def test_a_browser_is_sent_to_the_rich_page(client, iri, page, text):
    resp = get(client, iri)
    assert resp.status_code == 303
    target = urlsplit(resp.headers["Location"])
    assert target.path == page and parse_qs(target.query)["iri"] == [iri]
    assert "Accept" in resp.headers["Vary"]
    shown = client.get(resp.headers["Location"])
    assert shown.status_code == 200 and text in shown.get_data(as_text=True)


@pytest.mark.parametrize("iri, page, text", KNOWN[:2])
def test_the_redirect_keeps_the_language(client, iri, page, text):
    resp = get(client, iri, lang="de")
    assert resp.status_code == 303
    assert parse_qs(urlsplit(resp.headers["Location"]).query)["lang"] == ["de"]


def test_a_german_concept_page_after_the_redirect(client):
    resp = client.get(get(client, ID + "concept/sale", lang="de").headers["Location"])
    assert "Verkauf" in resp.get_data(as_text=True)


def test_an_imported_product_opens_its_product_page(client):
    """A draft product `meshkg import dcat` made from a DCAT-AP 3 example."""
    resp = client.get("/search", query_string={"q": "Bee population", "format": "json"})
    iris = [h["iri"] for h in resp.get_json()["results"]]
    assert iris
    resp = get(client, iris[0])
    assert resp.status_code == 303 and urlsplit(resp.headers["Location"]).path == "/product"


@pytest.mark.parametrize("accept, media_type", [("text/turtle", "text/turtle"),
                                                ("application/ld+json", "application/ld+json"),
                                                ("*/*", "text/turtle")])
@pytest.mark.parametrize("iri, page, text", KNOWN[:2])
def test_machines_still_get_rdf(client, iri, page, text, accept, media_type):
    resp = get(client, iri, accept)
    assert resp.status_code == 200 and resp.mimetype == media_type
    triples = list(ox.parse(resp.data, format=ox.RdfFormat.from_media_type(media_type)))
    assert any(t.subject == ox.NamedNode(iri) for t in triples)


@pytest.mark.parametrize("fmt", ["turtle", "jsonld", "html"])
def test_a_format_parameter_is_answered_as_asked(client, fmt):
    """`?format=html` still gives the table of triples, for whoever wants it."""
    resp = get(client, ID + "product/ecommerce-sales", format=fmt)
    assert resp.status_code == 200
    if fmt == "html":
        assert "Also as:" in resp.get_data(as_text=True)


def test_an_iri_the_catalog_has_no_page_for_keeps_the_triple_page(client):
    resp = get(client, "http://publications.europa.eu/resource/authority/country/DEU")
    assert resp.status_code == 200 and "Referenced by" in resp.get_data(as_text=True)


@pytest.mark.parametrize("accept", [BROWSER, "text/turtle"])
def test_an_unknown_iri_is_still_404(client, accept):
    assert get(client, "https://example.org/nothing-here", accept).status_code == 404


@pytest.mark.parametrize("iri, status", [("https://example.org/nothing-here", 404),
                                         (ID + "product/ecommerce-sales", 406)])
def test_an_unanswerable_accept_is_answered_as_before(client, iri, status):
    assert get(client, iri, "image/png").status_code == status
