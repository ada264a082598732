"""The SPARQL 1.1 Protocol endpoint against a real server, with real clients."""

from __future__ import annotations

import csv
import io
import json
import threading
import time

import pyoxigraph as ox
import pytest
import requests
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore, SPARQLUpdateStore
from SPARQLWrapper import CSV, JSON, JSONLD, N3, TSV, TURTLE, XML, SPARQLWrapper

from tests._sockets import listening

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
ORDERS = "https://demo.meshkg.org/id/product/orders"
SELECT_PRODUCTS = """PREFIX dprod: <https://www.omg.org/spec/DPROD/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?p ?label WHERE { ?p a dprod:DataProduct ; rdfs:label ?label } ORDER BY ?p"""
CONSTRUCT_ORDERS = f"CONSTRUCT {{ <{ORDERS}> ?p ?o }} WHERE {{ <{ORDERS}> ?p ?o }}"
RUNAWAY = "SELECT (COUNT(*) AS ?n) { ?a ?p ?x . ?b ?q ?y . ?c ?r ?z }"


def _get(server, query, **kw):
    return requests.get(server.sparql, params={"query": query, **kw.pop("params", {})},
                        timeout=30, **kw)


# -- result formats ------------------------------------------------------------
@pytest.mark.parametrize("accept, media_type", [
    ("application/sparql-results+json", "application/sparql-results+json"),
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/csv", "text/csv"),
    ("text/tab-separated-values", "text/tab-separated-values"),
    ("application/json", "application/sparql-results+json"),
])
def test_select_answers_in_each_result_format(server, accept, media_type):
    r = _get(server, SELECT_PRODUCTS, headers={"Accept": accept})
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith(media_type)
    assert "Orders" in r.text and "Accept" in r.headers["Vary"]


@pytest.mark.parametrize("fmt, media_type", [
    ("turtle", "text/turtle"), ("ntriples", "application/n-triples"),
    ("jsonld", "application/ld+json"), ("rdfxml", "application/rdf+xml"),
    ("trig", "application/trig"), ("nquads", "application/n-quads"),
])
def test_construct_answers_in_each_rdf_format(server, fmt, media_type):
    by_accept = _get(server, CONSTRUCT_ORDERS, headers={"Accept": media_type})
    by_param = _get(server, CONSTRUCT_ORDERS, params={"format": fmt},
                    headers={"Accept": "text/csv"})
    for r in (by_accept, by_param):
        assert r.status_code == 200, r.text
        assert r.headers["Content-Type"].startswith(media_type)
        triples = {(q.subject.value, q.object.value)
                   for q in ox.parse(r.content, format=ox.RdfFormat.from_media_type(media_type))}
        assert (ORDERS, "Orders") in triples


@pytest.mark.parametrize("accept, expected", [
    ("application/sparql-results+xml;q=0.5, text/csv;q=0.9", "text/csv"),
    ("text/csv;q=0.2, application/sparql-results+json", "application/sparql-results+json"),
    ("*/*", "application/sparql-results+json"),
    ("text/*;q=0.8, application/sparql-results+xml;q=0.1", "text/csv"),
    ("application/sparql-results+json;q=0, */*;q=0.1", "application/sparql-results+xml"),
])
def test_accept_q_values_choose_the_format(server, accept, expected):
    r = _get(server, SELECT_PRODUCTS, headers={"Accept": accept})
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith(expected)


@pytest.mark.parametrize("fmt, media_type", [
    ("json", "application/sparql-results+json"), ("xml", "application/sparql-results+xml"),
    ("csv", "text/csv"), ("tsv", "text/tab-separated-values"),
])
def test_format_parameter_overrides_accept(server, fmt, media_type):
    r = _get(server, SELECT_PRODUCTS, params={"format": fmt},
             headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith(media_type)


def test_csv_results_read_back(server):
    r = _get(server, SELECT_PRODUCTS, params={"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["p"] for row in rows] == [ORDERS, "https://demo.meshkg.org/id/product/revenue"]


def test_post_form_and_direct_post_answer_the_same(server):
    form = requests.post(server.sparql, data={"query": SELECT_PRODUCTS}, timeout=30)
    direct = requests.post(server.sparql, data=SELECT_PRODUCTS.encode(), timeout=30,
                           headers={"Content-Type": "application/sparql-query"})
    assert form.status_code == direct.status_code == 200
    assert form.json() == direct.json()


def test_default_graph_uri_limits_the_dataset(server):
    r = _get(server, "ASK { ?s ?p ?o }", params={"default-graph-uri": "urn:nothing:here"})
    assert r.json()["boolean"] is False
    r = _get(server, "ASK { ?s ?p ?o }", params={"default-graph-uri": "urn:meshkg:test:mesh"})
    assert r.json()["boolean"] is True


def test_named_graph_uri_limits_graph_patterns(server):
    q = "SELECT DISTINCT ?g { GRAPH ?g { ?s ?p ?o } }"
    r = _get(server, q, params={"named-graph-uri": "urn:meshkg:test:mesh"})
    assert [b["g"]["value"] for b in r.json()["results"]["bindings"]] == ["urn:meshkg:test:mesh"]


# -- real clients --------------------------------------------------------------
@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("fmt", [JSON, XML, CSV, TSV])
def test_sparqlwrapper_select(server, method, fmt):
    sw = SPARQLWrapper(server.sparql)
    sw.setMethod(method)
    sw.setQuery(SELECT_PRODUCTS)
    sw.setReturnFormat(fmt)
    res = sw.query().convert()
    text = json.dumps(res) if fmt == JSON else (
        res.toxml() if fmt == XML else res.decode("utf-8"))
    assert "Orders" in text


@pytest.mark.parametrize("fmt", [TURTLE, N3, XML, JSONLD])
@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
def test_sparqlwrapper_construct(server, fmt):
    sw = SPARQLWrapper(server.sparql)
    sw.setQuery(CONSTRUCT_ORDERS)
    sw.setReturnFormat(fmt)
    res = sw.query().convert()
    g = res if isinstance(res, Graph) else Graph().parse(
        data=res, format="json-ld" if fmt == JSONLD else "turtle")
    assert (URIRef(ORDERS), None, Literal("Orders")) in g


def test_sparqlwrapper_ask(server):
    sw = SPARQLWrapper(server.sparql)
    sw.setQuery(f"ASK {{ <{ORDERS}> ?p ?o }}")
    sw.setReturnFormat(JSON)
    assert sw.query().convert()["boolean"] is True


def test_rdflib_sparqlstore_reads(server):
    g = Graph(store=SPARQLStore(server.sparql, returnFormat="json"))
    labels = {str(o) for o in g.objects(URIRef(ORDERS),
                                        URIRef("http://www.w3.org/2000/01/rdf-schema#label"))}
    assert labels == {"Orders"}
    assert len(list(g.query(SELECT_PRODUCTS))) == 2
    # returnFormat="json" also works for CONSTRUCT (answered as Turtle)
    built = g.query(f"CONSTRUCT {{ <{ORDERS}> ?p ?o }} WHERE {{ <{ORDERS}> ?p ?o }}")
    assert len(list(built)) > 0


def test_rdflib_sparqlupdatestore_writes_into_a_named_graph(steward_server, bearer):
    store = SPARQLUpdateStore(steward_server.sparql, steward_server.sparql,
                              headers=bearer(), returnFormat="json")
    g = Graph(store=store, identifier=URIRef("urn:meshkg:test:added"))
    note = URIRef("https://demo.meshkg.org/id/note/1")
    g.add((note, URIRef("http://www.w3.org/2000/01/rdf-schema#comment"), Literal("hello")))
    assert steward_server.store.ask(f"ASK {{ GRAPH <urn:meshkg:test:added> {{ <{note}> ?p "
                                    "\"hello\" } }")
    store.close()


# -- service description and the query page -------------------------------------
@pytest.mark.parametrize("accept", ["text/turtle", "application/rdf+xml", "application/ld+json",
                                    "*/*"])
def test_service_description_names_this_endpoint(server, accept):
    r = requests.get(server.sparql, headers={"Accept": accept}, timeout=30)
    assert r.status_code == 200
    media_type = "text/turtle" if accept == "*/*" else accept
    triples = {(q.predicate.value, q.object.value)
               for q in ox.parse(r.content, format=ox.RdfFormat.from_media_type(media_type))}
    assert (str(SD.endpoint), server.sparql) in triples
    assert (str(SD.supportedLanguage), str(SD.SPARQL11Query)) in triples
    assert (str(SD.supportedLanguage), str(SD.SPARQL11Update)) not in triples


def test_query_page_without_javascript(server):
    r = requests.get(server.sparql, headers={"Accept": "text/html"}, timeout=30)
    assert r.status_code == 200 and "<textarea" in r.text
    assert "PREFIX dprod: &lt;https://www.omg.org/spec/DPROD/&gt;" in r.text
    for text in ("skos:broader*", "dpv:hasPersonalData", "mesh:covers", "prov:wasDerivedFrom",
                 "dprod:dataProductOwner"):
        assert text.replace(":", "%3A").replace("*", "%2A") in r.text or text in r.text
    assert "cdn" not in r.text.lower()


def test_html_results_link_iris_to_their_pages(server):
    r = _get(server, SELECT_PRODUCTS, headers={"Accept": "text/html"})
    assert r.status_code == 200
    assert 'href="/id/product/orders"' in r.text
    assert "?format=csv" in r.text or "format=csv" in r.text


def test_html_results_escape_script_labels(server):
    r = _get(server, SELECT_PRODUCTS, headers={"Accept": "text/html"})
    assert "<script>alert" not in r.text
    assert "Revenue &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in r.text


def test_javascript_iri_is_text_not_a_link(server):
    r = _get(server, "SELECT ?h { ?p <http://xmlns.com/foaf/0.1/homepage> ?h }",
             headers={"Accept": "text/html"})
    assert "javascript:alert(1)" in r.text
    assert 'href="javascript' not in r.text and "iri=javascript" not in r.text


# -- CORS ----------------------------------------------------------------------
def test_cors_preflight_allows_queries_from_anywhere(server):
    r = requests.options(server.sparql, timeout=30, headers={
        "Origin": "https://yasgui.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert r.status_code == 204
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in r.headers["Access-Control-Allow-Methods"]
    assert "Authorization" not in r.headers["Access-Control-Allow-Headers"]


def test_cors_on_query_answers_and_their_errors(server):
    ok = _get(server, "ASK {}", headers={"Origin": "https://yasgui.example"})
    bad = _get(server, "ASK {", headers={"Origin": "https://yasgui.example"})
    assert ok.headers["Access-Control-Allow-Origin"] == "*"
    assert bad.headers["Access-Control-Allow-Origin"] == "*"


# -- errors --------------------------------------------------------------------
def test_malformed_query_is_400_with_position(server):
    r = _get(server, "SELECT * WHERE {\n  ?s ?p \n}")
    assert r.status_code == 400
    assert "line 3, column " in r.json()["error"]


@pytest.mark.parametrize("request_kw", [
    {"method": "GET", "params": {"update": "CLEAR ALL"}},
    {"method": "PUT", "params": {"query": "ASK {}"}},
    {"method": "DELETE", "params": {}},
])
def test_wrong_method_is_405(server, request_kw):
    r = requests.request(url=server.sparql, timeout=30, **request_kw)
    assert r.status_code == 405


@pytest.mark.parametrize("headers", [
    {"Content-Type": "text/plain"},
    {"Content-Type": "application/sparql-query; charset=UTF-16"},
    {},
])
def test_unsupported_content_type_is_415(server, headers):
    r = requests.post(server.sparql, data=b"ASK {}", headers=headers, timeout=30)
    assert r.status_code == 415


def test_unsatisfiable_accept_is_406(server):
    r = _get(server, SELECT_PRODUCTS, headers={"Accept": "image/png"})
    assert r.status_code == 406


def test_format_not_fitting_the_query_form_is_406(server):
    r = _get(server, SELECT_PRODUCTS, params={"format": "turtle"})
    assert r.status_code == 406


def test_body_over_the_limit_is_413(server):
    big = "ASK {} #" + "x" * (server.settings.max_body + 10)
    r = requests.post(server.sparql, data=big.encode(), timeout=30,
                      headers={"Content-Type": "application/sparql-query"})
    assert r.status_code == 413


@pytest.mark.parametrize("params, data", [
    ({"query": ["ASK {}", "SELECT * {}"]}, None),
    ({"query": "ASK {}"}, {"update": "CLEAR ALL"}),
    ({"query": "ASK {}"}, {"query": "ASK {}"}),
])
def test_two_operations_in_one_request_are_400(server, params, data):
    if data is None:
        r = requests.get(server.sparql, params=params, timeout=30)
    else:
        r = requests.post(server.sparql, params=params, data=data, timeout=30)
    assert r.status_code == 400


def test_invalid_utf8_body_is_400(server):
    r = requests.post(server.sparql, data=b"ASK { ?s ?p \"\xff\" }", timeout=30,
                      headers={"Content-Type": "application/sparql-query"})
    assert r.status_code == 400


# -- refused before any socket or file is opened --------------------------------
@pytest.fixture
def listener():
    """A listening socket that records whether anything connects to it."""
    with listening(0.5) as sock:
        yield sock


def _assert_no_connection(sock) -> None:
    with pytest.raises(TimeoutError):
        conn, _ = sock.accept()
        conn.close()


@pytest.mark.parametrize("template", [
    "SELECT * {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * FROM <{url}> {{ ?s ?p ?o }}",
    "SELECT * FROM NAMED <{url}> {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    "SELECT * FROM <file:///etc/passwd> {{ ?s ?p ?o }}",
])
def test_federation_and_remote_from_are_refused(server, listener, template):
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/sparql"
    r = _get(server, template.format(url=url))
    assert r.status_code == 400
    assert "passwd" not in r.text or "no such graph" in r.text
    _assert_no_connection(listener)


@pytest.mark.parametrize("template", [
    # `<` as less-than with `#` hiding the `>` the token rules took as an IRI's end
    "PREFIX : <{url}>\nSELECT * WHERE {{ FILTER(1<2)SERVICE:#>\n{{ }} }}",
    "PREFIX p: <urn:x:>\nSELECT * WHERE {{ ?s ?p p:a.b.SERVICE<{url}>{{ }} }}",
    "PREFIX p: <urn:x:>\nSELECT * WHERE {{ ?s ?p p:.SERVICE<{url}>{{ }} }}",
    "SELECT * WHERE {{ SERVICESILENT<{url}> {{ }} }}",
])
def test_a_service_hidden_from_the_token_rules_is_refused_anonymously(server, listener,
                                                                      template):
    """Texts found by review that the token rules alone let through: the endpoint reads
    what mentions SERVICE with a second, grammar-based parser too."""
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
    r = _get(server, template.format(url=url))
    assert r.status_code == 400 and "SERVICE" in r.json()["error"]
    _assert_no_connection(listener)


def test_a_query_that_mentions_service_in_a_string_still_runs(server):
    r = _get(server, 'SELECT ?s WHERE { ?s ?p ?o FILTER(CONTAINS(STR(?o), "customer service")) }')
    assert r.status_code == 200


def test_refusal_names_the_line_the_client_sent(server, listener):
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/sparql"
    r = _get(server, f"SELECT *\nWHERE {{\n  SERVICE <{url}> {{ ?s ?p ?o }} }}")
    assert r.status_code == 400
    assert "line 3" in r.json()["error"]


def test_load_is_refused_even_for_stewards(steward_server, listener, bearer):
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/data.ttl"
    r = requests.post(steward_server.sparql, data={"update": f"LOAD <{url}>"},
                      headers=bearer(), timeout=30)
    assert r.status_code == 400 and "LOAD" in r.json()["error"]
    _assert_no_connection(listener)


# -- time budget and row cap -------------------------------------------------------
def _many_triples(server, n: int = 3000) -> None:
    g = ox.NamedNode("urn:meshkg:test:bulk")
    server.store.write_quads({g.value: [
        ox.Quad(ox.NamedNode(f"https://demo.meshkg.org/id/row/{i}"),
                ox.NamedNode("https://example.org/p"), ox.Literal(str(i)), g)
        for i in range(n)]})


def test_runaway_query_is_stopped_at_the_budget_while_others_are_answered(start_server):
    server = start_server(query_timeout=2.0)
    _many_triples(server)
    out = {}

    def runaway():
        t0 = time.monotonic()
        out["response"] = _get(server, RUNAWAY)
        out["seconds"] = time.monotonic() - t0

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.5)
    t0 = time.monotonic()
    other = _get(server, f"ASK {{ <{ORDERS}> ?p ?o }}")
    assert other.status_code == 200 and other.json()["boolean"] is True
    assert time.monotonic() - t0 < 1.5
    thread.join(10)
    assert out["response"].status_code == 503
    assert "time budget" in out["response"].json()["error"]
    assert out["seconds"] < 2.0 + 1.0
    after = _get(server, f"ASK {{ <{ORDERS}> ?p ?o }}")  # a fresh worker took over
    assert after.status_code == 200


def test_row_cap_refuses_a_longer_answer(start_server):
    server = start_server(max_rows=10)
    r = _get(server, "SELECT * { ?s ?p ?o }")
    assert r.status_code == 400  # the query must change: 503 would ask for a retry
    assert "more than 10 rows" in r.json()["error"]


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_partial_answer_is_marked_truncated(start_server, fmt):
    server = start_server(max_rows=5)
    r = _get(server, "SELECT * { ?s ?p ?o }", params={"partial": "true", "format": fmt})
    assert r.status_code == 200
    assert r.headers["X-meshkg-truncated"] == "true"
    if fmt == "json":
        doc = r.json()
        assert len(doc["results"]["bindings"]) == 5 and doc["meshkg"]["truncated"] is True


def test_html_answer_shows_truncation(start_server):
    server = start_server(max_rows=5)
    r = _get(server, "SELECT * { ?s ?p ?o }", headers={"Accept": "text/html"})
    assert r.status_code == 200 and "Only the first 5 rows" in r.text


def test_construct_over_the_cap_is_refused(start_server):
    server = start_server(max_rows=5)
    r = _get(server, "CONSTRUCT { ?s ?p ?o } { ?s ?p ?o }", headers={"Accept": "text/turtle"})
    assert r.status_code == 400


# -- updates: tokens and the SHACL gate -----------------------------------------------
INSERT_NOTE = """INSERT DATA { GRAPH <urn:meshkg:test:added> {
  <https://demo.meshkg.org/id/note/1> <http://www.w3.org/2000/01/rdf-schema#comment> "hi" } }"""
INSERT_BAD_PRODUCT = """INSERT DATA { GRAPH <urn:meshkg:test:bad> {
  <https://demo.meshkg.org/id/product/bad> a <https://www.omg.org/spec/DPROD/DataProduct> } }"""


def test_updates_disabled_is_403(server, bearer):
    r = requests.post(server.sparql, data={"update": INSERT_NOTE}, headers=bearer(), timeout=30)
    assert r.status_code == 403


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-token"},
                                     {"Authorization": "Basic eDp5"},
                                     {"Authorization": "Bearersteward-secret-for-tests"}])
def test_update_without_a_valid_token_is_401(steward_server, headers):
    r = requests.post(steward_server.sparql, data={"update": INSERT_NOTE}, headers=headers,
                      timeout=30)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert not steward_server.store.has_graph("urn:meshkg:test:added")


@pytest.mark.parametrize("as_form", [True, False])
def test_steward_update_is_applied(steward_server, as_form, bearer):
    if as_form:
        r = requests.post(steward_server.sparql, data={"update": INSERT_NOTE}, headers=bearer(),
                          timeout=30)
    else:
        r = requests.post(steward_server.sparql, data=INSERT_NOTE.encode(), timeout=30,
                          headers={**bearer(), "Content-Type": "application/sparql-update"})
    assert r.status_code == 204, r.text
    assert "Access-Control-Allow-Origin" not in r.headers
    assert _get(steward_server, "ASK { ?s ?p \"hi\" }").json()["boolean"] is True


def test_update_violating_the_shapes_is_422_and_changes_nothing(steward_server, bearer):
    before = steward_server.store.dump(None, "nquads")
    r = requests.post(steward_server.sparql, data={"update": INSERT_BAD_PRODUCT},
                      headers=bearer(), timeout=30)
    assert r.status_code == 422
    assert r.json()["detail"]
    assert steward_server.store.dump(None, "nquads") == before


def test_update_syntax_error_is_400_with_position(steward_server, bearer):
    r = requests.post(steward_server.sparql, data={"update": "CLEAR XYZ"}, headers=bearer(),
                      timeout=30)
    assert r.status_code == 400 and "line 1, column" in r.json()["error"]


def test_cartesian_update_is_stopped_at_its_budget_and_changes_nothing(start_server, bearer):
    """HOSTILE 14/15 for updates: pyoxigraph cannot interrupt an update, so the gate runs
    it in a child process killed at `update_timeout`; other requests are still answered."""
    server = start_server(updates_enabled=True, data=("notes.ttl", "mesh.ttl"),
                          update_timeout=2.0)
    before = server.store.dump(None, "nquads")
    endless = ("INSERT { GRAPH <urn:x:g> { ?a <urn:x:p> ?f } } "
               "WHERE { GRAPH ?w { ?a ?b ?c } GRAPH ?x { ?d ?e ?f } GRAPH ?y { ?g ?h ?i } "
               "GRAPH ?z { ?j ?k ?l } GRAPH ?v { ?m ?n ?q } }")  # 50^5 rows: never ends
    answers = {}

    def send():
        answers["r"] = requests.post(server.sparql, data={"update": endless},
                                     headers=bearer(), timeout=60)

    started = time.monotonic()
    thread = threading.Thread(target=send)
    thread.start()
    time.sleep(0.5)
    assert _get(server, "ASK { ?s ?p ?o }").json()["boolean"] is True  # still answering
    thread.join(60)
    r = answers["r"]
    assert r.status_code == 503 and "time budget" in r.json()["error"], r.text
    assert time.monotonic() - started < 20
    assert server.store.dump(None, "nquads") == before


def test_update_that_outgrows_its_memory_budget_is_stopped_and_changes_nothing(
        start_server, bearer):
    """HOSTILE 15 for memory: the update's child has its address space capped at
    `update_memory_mb`; a cartesian INSERT reaches the cap long before its time budget
    and is answered 503, naming the budget, with the store as it was."""
    server = start_server(updates_enabled=True, data=("notes.ttl", "mesh.ttl"),
                          update_timeout=120.0, update_memory_mb=400)
    before = server.store.dump(None, "nquads")
    endless = ("INSERT { GRAPH <urn:x:g> { ?a <urn:x:p> ?f } } "
               "WHERE { GRAPH ?w { ?a ?b ?c } GRAPH ?x { ?d ?e ?f } GRAPH ?y { ?g ?h ?i } "
               "GRAPH ?z { ?j ?k ?l } }")
    started = time.monotonic()
    r = requests.post(server.sparql, data={"update": endless}, headers=bearer(), timeout=120)
    assert r.status_code == 503 and "memory budget of 400 MB" in r.json()["error"]
    assert time.monotonic() - started < 100  # the memory cap stopped it, not the clock
    assert server.store.dump(None, "nquads") == before
    ok = requests.post(server.sparql, headers=bearer(), timeout=60, data={
        "update": "INSERT DATA { GRAPH <urn:x:g> { <urn:x:a> <urn:x:b> 1 } }"})
    assert ok.status_code == 204  # a small update under the same budget still runs


def test_search_text_with_sparql_in_it_stays_text(server):
    evil = 'x" ) } ; DROP ALL ; #'
    r = requests.get(server.url + "/resource", params={"iri": evil}, timeout=30)
    assert r.status_code == 400
    assert server.store.has_graph("urn:meshkg:test:mesh")
