"""Standard data (no meshkg term) shows as a person expects (issue 15):

- an agent named only by schema:name (https or http), foaf:name or vcard:fn is shown by
  that name as a product's owner and in its policy's plain words (rdfs:label,
  skos:prefLabel, foaf:name, schema:name, vcard:fn, in that order);
- a domain that is a skos:Concept (DPROD leaves the domain's class open) opens the domain
  page from /go and /resource, and its concept page links there;
- a browser dereferencing one of meshkg's own IRIs (/id/...) that the catalog shows is
  sent to that page (303), as /resource?iri= does; machine formats answer as before.

Through the Flask test client, over files brought in with the real `meshkg load`, and
over the demo."""

from __future__ import annotations

import re
import shutil
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner
from rdflib import Graph, URIRef

from kg.cli import main
from tests.webapp._demo_apps import app_over, demo_copy

STANDARD = Path(__file__).resolve().parents[1] / "data" / "standard" / "mesh.ttl"
EX = "https://data.example.org/"
ID = "https://demo.meshkg.org/id/"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

# One product per way of naming its owner; each product's policy lets its owner use it.
AGENTS = """\
@prefix ex: <https://data.example.org/> .
@prefix dprod: <https://ekgf.github.io/dprod/> .
@prefix odrl: <http://www.w3.org/ns/odrl/2/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .

ex:web-team a foaf:Organization ; <https://schema.org/name> "Web analytics team" .
ex:shop-team a prov:Agent ; <http://schema.org/name> "Shop team" .
ex:sales-team a foaf:Organization ; foaf:name "Sales analytics team" .
ex:card-team a vcard:Organization ; vcard:fn "Card payments team" .
ex:many-names a prov:Agent ; vcard:fn "By vcard" ; <https://schema.org/name> "By schema" ;
  foaf:name "By foaf" ; skos:prefLabel "By prefLabel" ; rdfs:label "By label" .
ex:three-names a prov:Agent ; vcard:fn "A vcard name" ; <http://schema.org/name> "By schema" ;
  foaf:name "By foaf" .
"""
PRODUCT = """
ex:{p} a dprod:DataProduct ; rdfs:label "{p}"@en ; dprod:dataProductOwner ex:{agent} ;
  odrl:hasPolicy ex:{p}-policy .
ex:{p}-policy a odrl:Set ; odrl:uid ex:{p}-policy ;
  odrl:permission [ odrl:target ex:{p} ; odrl:action odrl:use ; odrl:assignee ex:{agent} ] .
"""
NAMED = [  # (product, owner, the name shown)
    ("web-sales", "web-team", "Web analytics team"),
    ("shop-sales", "shop-team", "Shop team"),
    ("store-sales", "sales-team", "Sales analytics team"),
    ("card-sales", "card-team", "Card payments team"),
    ("many-sales", "many-names", "By label"),
    ("three-sales", "three-names", "By foaf"),
]


def _load(folder: Path, template: Path, *files: Path):
    """Copy a store template and bring files in with `meshkg load`; return (app, store)."""
    path = folder / "store"
    shutil.copytree(template, path)
    for file in files:
        result = CliRunner().invoke(main, ["--store", str(path), "load", "--no-validate",
                                           str(file)])
        assert result.exit_code == 0, result.output
    return app_over(path)


@pytest.fixture(scope="module")
def agents(tmp_path_factory, _vocab_template):
    folder = tmp_path_factory.mktemp("agents")
    data = folder / "agents.ttl"
    data.write_text(AGENTS + "".join(PRODUCT.format(p=p, agent=a) for p, a, _ in NAMED),
                    encoding="utf-8")
    app, store = _load(folder, _vocab_template[0], data)
    yield app.test_client()
    store.close()


@pytest.fixture(scope="module")
def standard(tmp_path_factory, _vocab_template):
    app, store = _load(tmp_path_factory.mktemp("standard"), _vocab_template[0], STANDARD)
    yield app.test_client()
    store.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory, _demo_template):
    app, store = app_over(demo_copy(_demo_template[0], tmp_path_factory.mktemp("demo")))
    yield app.test_client()
    store.close()


def _html(client, path: str, **args) -> str:
    resp = client.get(path, query_string=args or None)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    return resp.get_data(as_text=True)


@pytest.mark.parametrize("product, agent, name", NAMED)
def test_an_owner_is_shown_by_its_name(agents, product, agent, name):
    html = _html(agents, "/product", iri=EX + product)
    assert f"<dt>Owner</dt><dd>{name}" in html
    assert f"<dt>Owner</dt><dd>{agent}" not in html


@pytest.mark.parametrize("product, agent, name", NAMED)
def test_an_assignee_is_named_in_the_policy_plain_words(agents, product, agent, name):
    html = _html(agents, "/product", iri=EX + product)
    assert f"{name} may use this product" in html
    assert f"{agent} may use this product" not in html


def test_the_standard_owner_by_foaf_name(standard):
    html = _html(standard, "/product", iri=EX + "store-sales")
    assert "<dt>Owner</dt><dd>Sales analytics team" in html


def _see_other(resp, page: str, iri: str) -> str:
    assert resp.status_code == 303
    target = urlsplit(resp.headers["Location"])
    assert target.path == page and parse_qs(target.query)["iri"] == [iri]
    return resp.headers["Location"]


def test_a_concept_domain_opens_the_domain_page_from_go(standard):
    where = _see_other(standard.get("/go", query_string={"iri": EX + "sales"}), "/domain",
                       EX + "sales")
    html = _html(standard, where)
    assert "Data products in this domain" in html and "Store sales" in html


def test_a_concept_domain_opens_the_domain_page_from_resource(standard):
    resp = standard.get("/resource", query_string={"iri": EX + "sales"},
                        headers={"Accept": BROWSER})
    _see_other(resp, "/domain", EX + "sales")
    turtle = standard.get("/resource", query_string={"iri": EX + "sales"},
                          headers={"Accept": "text/turtle"})
    assert turtle.status_code == 200 and turtle.mimetype == "text/turtle"


def test_a_concept_page_says_which_products_it_is_the_domain_of(standard):
    html = _html(standard, "/concept", iri=EX + "sales")
    assert "Sales is the data domain of" in html
    link = re.search(r'is the data domain of <a href="([^"]+)">1 data product</a>', html)
    assert link, "no link to the domain page"
    target = urlsplit(unescape(link[1]))
    assert target.path == "/domain" and parse_qs(target.query)["iri"] == [EX + "sales"]


def test_a_concept_that_is_no_domain_says_nothing_of_domains(standard):
    html = _html(standard, "/concept", iri=EX + "Sale")
    assert "is the data domain of" not in html


OWN = [  # (path under /id/, page)
    ("concept/store-sale", "/concept"),
    ("product/ecommerce-sales", "/product"),
    ("scheme/retail-sales", "/scheme"),
    ("domain/sales", "/domain"),
    ("policy/online-order-data-use", "/policy"),
]


@pytest.mark.parametrize("rest, page", OWN)
def test_a_browser_at_an_own_iri_is_sent_to_its_page(demo, rest, page):
    resp = demo.get("/id/" + rest, headers={"Accept": BROWSER})
    where = _see_other(resp, page, ID + rest)
    assert "Accept" in resp.headers["Vary"]
    assert demo.get(where).status_code == 200


@pytest.mark.parametrize("rest, page", OWN[:2])
def test_an_own_iri_keeps_answering_rdf(demo, rest, page):
    turtle = demo.get("/id/" + rest, headers={"Accept": "text/turtle"})
    assert turtle.status_code == 200 and turtle.mimetype == "text/turtle"
    graph = Graph().parse(data=turtle.get_data(as_text=True), format="turtle")
    assert (URIRef(ID + rest), None, None) in graph
    table = demo.get("/id/" + rest, query_string={"format": "html"},
                     headers={"Accept": BROWSER})
    assert table.status_code == 200 and "Referenced by" in table.get_data(as_text=True)
    jsonld = demo.get("/id/" + rest, query_string={"format": "jsonld"},
                      headers={"Accept": BROWSER})
    assert jsonld.status_code == 200 and jsonld.mimetype == "application/ld+json"


def test_an_unknown_own_iri_is_still_404(demo):
    assert demo.get("/id/concept/nothing-here", headers={"Accept": BROWSER}).status_code == 404
