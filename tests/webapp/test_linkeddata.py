"""Linked Data: every IRI in the graph dereferences, by Accept or ?format=."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
import requests

ORDERS_PATH = "/id/product/orders"
ORDERS = "https://demo.meshkg.org/id/product/orders"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def _triples(r, media_type):
    return {(q.subject, q.predicate.value, q.object)
            for q in ox.parse(r.content, format=ox.RdfFormat.from_media_type(media_type))}


@pytest.mark.parametrize("accept", ["text/turtle", "application/ld+json",
                                    "application/n-triples", "application/rdf+xml"])
def test_own_iri_by_accept(server, accept):
    r = requests.get(server.url + ORDERS_PATH, headers={"Accept": accept}, timeout=30)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith(accept)
    assert "Accept" in r.headers["Vary"]
    assert (ox.NamedNode(ORDERS), "http://www.w3.org/2000/01/rdf-schema#label",
            ox.Literal("Orders")) in _triples(r, accept)


@pytest.mark.parametrize("fmt, media_type", [("turtle", "text/turtle"),
                                             ("jsonld", "application/ld+json"),
                                             ("ntriples", "application/n-triples"),
                                             ("rdfxml", "application/rdf+xml")])
def test_format_parameter_overrides_accept(server, fmt, media_type):
    r = requests.get(server.url + ORDERS_PATH, params={"format": fmt},
                     headers={"Accept": BROWSER}, timeout=30)
    assert r.headers["Content-Type"].startswith(media_type)


def test_description_closes_over_blank_nodes(server):
    r = requests.get(server.url + ORDERS_PATH, headers={"Accept": "application/n-triples"},
                     timeout=30)
    predicates = {p for _, p, _ in _triples(r, "application/n-triples")}
    assert "http://www.w3.org/ns/odrl/2/rightOperand" in predicates  # three blank nodes down


def test_description_holds_only_the_resource(server):
    r = requests.get(server.url + ORDERS_PATH, headers={"Accept": "application/n-triples"},
                     timeout=30)
    subjects = {s for s, _, _ in _triples(r, "application/n-triples")}
    assert all(s == ox.NamedNode(ORDERS) or isinstance(s, ox.BlankNode) for s in subjects)


def test_browsers_get_html(server):
    r = requests.get(server.url + ORDERS_PATH, params={"format": "html"},
                     headers={"Accept": BROWSER}, timeout=30)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    assert "<h1>Orders</h1>" in r.text
    assert 'href="/id/team/sales"' in r.text
    assert "odrl:rightOperand" in r.text


def test_curl_gets_turtle(server):
    r = requests.get(server.url + ORDERS_PATH, headers={"Accept": "*/*"}, timeout=30)
    assert r.headers["Content-Type"].startswith("text/turtle")


def test_other_iris_by_resource_parameter(server):
    r = requests.get(server.url + "/resource", timeout=30,
                     params={"iri": "https://example.org/elsewhere/thing"},
                     headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and "A thing from elsewhere" in r.text


def test_iri_only_mentioned_as_object_has_a_page(server):
    r = requests.get(server.url + "/resource", params={"iri": "https://w3id.org/dpv/pd#EmailAddress"},
                     headers={"Accept": BROWSER}, timeout=30)
    assert r.status_code == 200 and "Referenced by" in r.text
    assert 'href="/id/product/orders"' in r.text


@pytest.mark.parametrize("path", ["/id/product/nothing",
                                  "/resource?iri=https://example.org/nothing"])
def test_unknown_iri_is_404(server, path):
    assert requests.get(server.url + path, timeout=30).status_code == 404


@pytest.mark.parametrize("iri", ["", "not an iri", "x\" ) } ; DROP ALL ; #", "urn:x> } <y"])
def test_malformed_iri_is_400(server, iri):
    r = requests.get(server.url + "/resource", params={"iri": iri}, timeout=30)
    assert r.status_code == 400
    assert server.store.has_graph("urn:meshkg:test:mesh")


def test_unsatisfiable_accept_is_406(server):
    r = requests.get(server.url + ORDERS_PATH, headers={"Accept": "image/png"}, timeout=30)
    assert r.status_code == 406


def test_html_escapes_labels_and_never_links_javascript(server):
    r = requests.get(server.url + "/id/product/revenue", params={"format": "html"},
                     headers={"Accept": BROWSER}, timeout=30)
    assert "<script>alert" not in r.text and "<img src=x" not in r.text
    assert "&lt;script&gt;" in r.text
    r = requests.get(server.url + ORDERS_PATH, params={"format": "html"},
                     headers={"Accept": BROWSER}, timeout=30)
    assert "javascript:alert(1)" in r.text
    assert 'href="javascript' not in r.text and "iri=javascript" not in r.text


def test_render_resource_html_is_one_hookable_function():
    from webapp import linkeddata
    assert callable(linkeddata.render_resource_html)



def test_the_search_index_is_not_part_of_a_description(server):
    """kg.searchindex's bookkeeping triples stay out of Linked Data pages and downloads."""
    from kg import searchindex
    from kg.inference import infer
    if not server.store.has_graph(searchindex.DISCOVERY_GRAPH):
        infer(server.store)
    assert server.store.ask(f"ASK {{ GRAPH <{searchindex.DISCOVERY_GRAPH}> "
                            f"{{ <{ORDERS}> ?p ?o }} }}")
    for fmt in ("ntriples", "html"):
        r = requests.get(server.url + ORDERS_PATH, params={"format": fmt},
                         headers={"Accept": BROWSER}, timeout=30)
        assert r.status_code == 200 and "urn:meshkg:index:" not in r.text


def test_json_ld_is_compact_with_an_inline_context(server):
    """JSON-LD a person can read: prefixed names under a @context written in the document
    (nothing to fetch), and the same triples as the Turtle."""
    import json

    from rdflib import Graph
    from rdflib.compare import isomorphic

    from kg.store.oxigraph import to_rdflib
    r = requests.get(server.url + ORDERS_PATH, headers={"Accept": "application/ld+json"},
                     timeout=30)
    doc = r.json()
    assert doc["@context"]["dprod"] == "https://www.omg.org/spec/DPROD/"
    assert "rdfs:label" in json.dumps(doc)
    turtle = requests.get(server.url + ORDERS_PATH, headers={"Accept": "text/turtle"},
                          timeout=30)
    as_read = Graph()
    for q in ox.parse(r.content, format=ox.RdfFormat.JSON_LD):
        as_read.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))
    assert isomorphic(as_read, Graph().parse(data=turtle.text, format="turtle"))
