"""External links with a non-ASCII host are shown (and followed) in punycode, so that
`https://аррle.com` (Cyrillic а and р) cannot pass for `https://apple.com`: one filter,
`ascii_host`, used by the link macros."""

from __future__ import annotations

import pytest

from kg.config import Settings
from kg.loading import parse_bytes
from kg.store.oxigraph import OxigraphStore
from webapp import create_app
from webapp.linkeddata import ascii_host

EX = "https://example.org/id/"
FAKE = "https://\u0430\u0440\u0440le.com/login"  # аррle.com
PUNY = "https://xn--le-6kc8da.com/login"
DATA = f"""
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dprod: <https://www.omg.org/spec/DPROD/> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<{EX}scheme> a skos:ConceptScheme ; skos:prefLabel "Scheme"@en .
<{EX}fruit> a skos:Concept ; skos:prefLabel "Fruit"@en ; skos:inScheme <{EX}scheme> ;
  skos:exactMatch <{FAKE}> , <https://apple.com/fruit> .
<{EX}product> a dprod:DataProduct ; rdfs:label "Apples" ;
  dcat:contactPoint [ vcard:fn "Support" ; vcard:hasURL <{FAKE}> ;
                      vcard:hasEmail <mailto:help@\u0430\u0440\u0440le.com> ] .
"""


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    path = tmp_path_factory.mktemp("idn") / "store"
    store = OxigraphStore(path)
    store.write_quads({"urn:test:idn": parse_bytes(DATA.encode(), "turtle", graph="urn:test:idn",
                                                   source="test").quads})
    app = create_app(Settings(store=str(path), load_demo=False, secret_key="test"), store)
    yield app.test_client()
    store.close()


@pytest.mark.parametrize("url, shown", [
    (FAKE, PUNY),
    ("https://user@\u0430\u0440\u0440le.com:8443/a?b#c", "https://user@xn--le-6kc8da.com:8443/a?b#c"),
    ("mailto:help@\u0430\u0440\u0440le.com", "mailto:help@xn--le-6kc8da.com"),
    ("https://apple.com/x", "https://apple.com/x"),
    ("https://b\u00fccher.example/\u00e9t\u00e9", "https://xn--bcher-kva.example/\u00e9t\u00e9"),
    ("https://\uff41\uff50\uff50\uff4c\uff45.com/", "https://apple.com/"),  # fullwidth: IDNA maps
])
def test_ascii_host_shows_a_non_ascii_host_in_punycode(url, shown):
    assert ascii_host(url) == shown


def test_concept_page_shows_match_links_in_punycode(client):
    html = client.get("/concept", query_string={"iri": EX + "fruit"}).get_data(as_text=True)
    assert f'href="{PUNY}"' in html and f">{PUNY}</a>" in html
    assert "\u0430\u0440\u0440le" not in html  # the look-alike text is nowhere
    assert 'href="https://apple.com/fruit"' in html


def test_product_page_shows_contact_links_in_punycode(client):
    html = client.get("/product", query_string={"iri": EX + "product"}).get_data(as_text=True)
    assert f'href="{PUNY}"' in html
    assert 'href="mailto:help@xn--le-6kc8da.com"' in html
    assert "\u0430\u0440\u0440le" not in html


def test_resource_page_links_the_original_in_punycode(client):
    html = client.get("/resource", query_string={"iri": FAKE},
                      headers={"Accept": "text/html"}).get_data(as_text=True)
    assert f'href="{PUNY}"' in html
    assert "\u0430\u0440\u0440le" not in html  # heading and IRI shown in punycode too
