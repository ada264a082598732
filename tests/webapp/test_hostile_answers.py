"""Hostile values on a real server (issue "Nothing acknowledged is lost…", findings 7, 8,
10): a literal XML cannot hold is refused on the way in and never served as broken XML;
5,000 nested blank nodes are answered in every RDF format; integers past 64 bits are
refused with their line, and those inside round-trip and compare."""

from __future__ import annotations

from xml.parsers import expat

import pyoxigraph as ox
import pytest
import requests

from tests.webapp.conftest import STEWARD_TOKEN

G = "urn:meshkg:test:hostile"
BEARER = {"Authorization": f"Bearer {STEWARD_TOKEN}"}
S = "http://example.org/s"
NUL_DATA = f'INSERT DATA {{ GRAPH <{G}> {{ <{S}> <http://example.org/p> "a\\u0000b" }} }}'
BIG = "1" + "0" * 5000
RDF = {"text/turtle": ox.RdfFormat.TURTLE, "application/rdf+xml": ox.RdfFormat.RDF_XML,
       "application/ld+json": ox.RdfFormat.JSON_LD,
       "application/n-triples": ox.RdfFormat.N_TRIPLES}


def _well_formed_or_refused(r: requests.Response) -> None:
    """An XML answer is either well-formed or a 406 that names the character."""
    if r.status_code == 200:
        expat.ParserCreate().Parse(r.content, True)
    else:
        assert r.status_code == 406, r.text
        assert "U+0000" in r.text  # in an HTML or JSON error body, as Accept asks


@pytest.fixture
def nul_server(start_server):
    """A server whose store holds a literal with U+0000, put there past every check."""
    srv = start_server(updates_enabled=True, data=("notes.ttl",))
    srv.store.update(NUL_DATA)
    return srv


# -- finding 7 -------------------------------------------------------------------------
def test_graph_store_put_of_a_nul_literal_is_refused_and_writes_nothing(steward_server):
    body = f'<{S}> <http://example.org/p> "ok" .\n<{S}> <http://example.org/p> "a\\u0000b" .\n'
    r = requests.put(steward_server.graph_store, params={"graph": G}, data=body.encode(),
                     headers={"Content-Type": "text/turtle", **BEARER}, timeout=30)
    assert r.status_code == 400, r.text
    message = r.json()["error"]
    assert f"<{G}>:2" in message and "U+0000" in message and "XML 1.0" in message
    assert not steward_server.store.has_graph(G)


@pytest.mark.parametrize("accept", ["application/sparql-results+xml", "application/xml"])
def test_sparql_xml_results_never_carry_a_nul(nul_server, accept):
    r = requests.get(nul_server.sparql, params={"query": "SELECT ?o { ?s ?p ?o }"},
                     headers={"Accept": accept}, timeout=30)
    assert r.status_code == 406, r.text
    assert "U+0000" in r.json()["error"] and "sparql-results+json" in r.json()["error"]


def test_sparql_json_results_carry_the_nul_escaped(nul_server):
    r = requests.get(nul_server.sparql, params={"query": f"SELECT ?o {{ <{S}> ?p ?o }}"},
                     headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert r.status_code == 200
    assert [b["o"]["value"] for b in r.json()["results"]["bindings"]] == ["a\x00b"]


def test_construct_as_turtle_escapes_the_nul(nul_server):
    r = requests.get(nul_server.sparql, params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"},
                     headers={"Accept": "text/turtle"}, timeout=30)
    assert r.status_code == 200 and b"\x00" not in r.content
    assert [t.object.value for t in ox.parse(r.content, format=ox.RdfFormat.TURTLE)
            if t.subject.value == S] == ["a\x00b"]


@pytest.mark.parametrize("url, params, refused", [
    (lambda srv: srv.sparql, {"query": "CONSTRUCT WHERE { ?s ?p ?o }"}, True),
    (lambda srv: srv.url + "/resource", {"iri": S}, True),
    (lambda srv: srv.graph_store, {"default": ""}, False),
    (lambda srv: srv.graph_store, {"graph": G}, False),
], ids=["construct", "resource", "graph-store-default-graph", "graph-store-named-graph"])
def test_rdf_xml_answers_never_carry_a_nul(nul_server, url, params, refused):
    """A CONSTRUCT or resource page is refused (406); a Graph Store GET is refused or
    well-formed."""
    r = requests.get(url(nul_server), params=params,
                     headers={"Accept": "application/rdf+xml"}, timeout=30)
    if refused:
        assert r.status_code == 406, r.text
    _well_formed_or_refused(r)


def test_sparql_update_insert_data_of_a_nul_literal_is_refused(steward_server):
    r = requests.post(steward_server.sparql, data=NUL_DATA.encode(),
                      headers={"Content-Type": "application/sparql-update", **BEARER},
                      timeout=30)
    assert r.status_code == 400, r.text
    assert "U+0000" in r.json()["error"]


# -- finding 8 -------------------------------------------------------------------------
CHAIN = (f"<{S}> <http://example.org/p> _:b0 .\n"
         + "".join(f"_:b{i} <http://example.org/p> _:b{i + 1} .\n" for i in range(5000)))


@pytest.fixture
def chain_server(start_server):
    """A server holding a chain of 5,000 blank nodes, loaded as data."""
    srv = start_server(data=("notes.ttl",), max_rows=20_000)
    srv.store.put_graph(G, CHAIN.encode(), "ntriples")
    return srv


@pytest.mark.parametrize("accept", list(RDF))
def test_construct_over_5000_nested_blank_nodes_answers(chain_server, accept):
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{G}> {{ ?s ?p ?o }} }}"
    r = requests.get(chain_server.sparql, params={"query": query},
                     headers={"Accept": accept}, timeout=60)
    assert r.status_code == 200, r.text[:500]
    assert len(list(ox.parse(r.content, format=RDF[accept]))) == 5001


@pytest.mark.parametrize("accept", list(RDF))
def test_resource_at_the_head_of_5000_nested_blank_nodes_answers(chain_server, accept):
    r = requests.get(chain_server.url + "/resource", params={"iri": S},
                     headers={"Accept": accept}, timeout=60)
    assert r.status_code == 200, r.text[:500]
    assert len(list(ox.parse(r.content, format=RDF[accept]))) == 5  # DESCRIBE's 5 levels


@pytest.mark.parametrize("accept", list(RDF))
@pytest.mark.parametrize("which", [{"graph": G}, {"default": ""}])
def test_graph_store_get_of_5000_nested_blank_nodes_answers(chain_server, accept, which):
    r = requests.get(chain_server.graph_store, params=which, headers={"Accept": accept},
                     timeout=60)
    assert r.status_code == 200, r.text[:500]
    assert len(list(ox.parse(r.content, format=RDF[accept]))) >= 5001


# -- finding 10 ------------------------------------------------------------------------
def test_graph_store_put_of_an_integer_past_64_bits_is_refused(steward_server):
    body = f"<{S}> <http://example.org/p> 1 .\n<{S}> <http://example.org/q> {BIG} .\n"
    r = requests.put(steward_server.graph_store, params={"graph": G}, data=body.encode(),
                     headers={"Content-Type": "text/turtle", **BEARER}, timeout=30)
    assert r.status_code == 400, r.text[:500]
    message = r.json()["error"]
    assert f"<{G}>:2" in message and "64-bit" in message and len(message) < 600
    assert not steward_server.store.has_graph(G)


def test_integers_at_the_64_bit_edges_round_trip_and_compare(steward_server):
    big = "9223372036854775807"
    body = f"<{S}> <http://example.org/q> {big}, -9223372036854775808, 3 .\n"
    r = requests.put(steward_server.graph_store, params={"graph": G}, data=body.encode(),
                     headers={"Content-Type": "text/turtle", **BEARER}, timeout=30)
    assert r.status_code in (200, 201, 204), r.text
    q = f"SELECT ?o {{ <{S}> <http://example.org/q> ?o FILTER(?o > 5) }}"
    r = requests.get(steward_server.sparql, params={"query": q},
                     headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert [b["o"]["value"] for b in r.json()["results"]["bindings"]] == [big]
    r = requests.get(steward_server.graph_store, params={"graph": G},
                     headers={"Accept": "application/n-triples"}, timeout=30)
    assert big.encode() in r.content


def test_a_huge_integer_already_in_the_store_is_served_whole(start_server, caplog):
    srv = start_server(data=("notes.ttl",))
    srv.store.update(f"INSERT DATA {{ GRAPH <{G}> {{ <{S}> <http://example.org/q> {BIG} }} }}")
    q = f"SELECT ?o {{ <{S}> <http://example.org/q> ?o }}"
    for accept in ("application/sparql-results+json", "application/sparql-results+xml"):
        r = requests.get(srv.sparql, params={"query": q}, headers={"Accept": accept},
                         timeout=30)
        assert r.status_code == 200 and BIG.encode() in r.content
    for accept in RDF:
        r = requests.get(srv.sparql, params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"},
                         headers={"Accept": accept}, timeout=30)
        assert r.status_code == 200 and BIG.encode() in r.content
    assert not [rec for rec in caplog.records if "Failed to convert" in rec.getMessage()]
