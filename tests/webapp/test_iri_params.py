"""An `?iri=` that is not an IRI (NUL, spaces, control characters, `<>"{}|^\\``, a bad
percent-encoding, no scheme) is a client error on every page taking one: 400 with a
message naming the parameter, never the store's refusal as a 502."""

from __future__ import annotations

import pytest

from kg.config import Settings
from kg.store.oxigraph import OxigraphStore
from webapp import create_app

PAGES = ["/resource", "/concept", "/product", "/scheme", "/scheme/children", "/go",
         "/history", "/domain", "/tag", "/privacy", "/policy", "/curate/concept",
         "/curate/product"]
BAD = ["urn:x:a\x00b", "urn:x:a b", " urn:x:a", "urn:x:a\n", "urn:x:a\x01", "urn:x:a\tb",
       "urn:x:a\x7f", "urn:x:a\x85", "urn:x:<a>", 'urn:x:"a"', "urn:x:{a}", "urn:x:a|b",
       "urn:x:a^b", "urn:x:a`b", "urn:x:a\\b", "urn:x:%zz", "http://a/b#c#d", "no-scheme"]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    path = tmp_path_factory.mktemp("iri-params") / "store"
    store = OxigraphStore(path)
    store.update('INSERT DATA { GRAPH <urn:test:g> { <urn:x:a> <urn:x:p> "v" } }')
    app = create_app(Settings(store=str(path), load_demo=False, secret_key="test"), store)
    yield app.test_client()
    store.close()


@pytest.mark.parametrize("iri", BAD)
@pytest.mark.parametrize("page", PAGES)
def test_an_invalid_iri_parameter_is_400_naming_it(client, page, iri):
    r = client.get(page, query_string={"iri": iri}, headers={"Accept": "application/json"})
    assert r.status_code == 400, (r.status_code, r.get_data(as_text=True))
    assert "iri" in r.get_json()["error"].split(":", 1)[0]


@pytest.mark.parametrize("param, page", [("open", "/scheme"), ("scheme", "/export/skos"),
                                         ("scheme", "/scheme/children")])
def test_other_iri_parameters_are_checked_as_well(client, param, page):
    r = client.get(page, query_string={"iri": "urn:x:s", param: "urn:x:a\x00b"},
                   headers={"Accept": "application/json"})
    assert r.status_code == 400
    assert param in r.get_json()["error"].split(":", 1)[0]


def test_a_valid_iri_still_reaches_its_page(client):
    assert client.get("/resource", query_string={"iri": "urn:x:a"},
                      headers={"Accept": "text/turtle"}).status_code == 200
    # an IRI may hold non-ASCII letters and spaces (RFC 3987 ucschar): a 404, not a 400
    assert client.get("/resource", query_string={"iri": "urn:x:caf\u00e9\u2003"},
                      headers={"Accept": "text/turtle"}).status_code == 404


def test_the_html_error_page_names_the_parameter(client):
    r = client.get("/resource", query_string={"iri": "urn:x:a\x00b"},
                   headers={"Accept": "text/html"})
    assert r.status_code == 400 and "iri" in r.get_data(as_text=True)
