"""A request's dataset: an update's (USING / USING NAMED in its text, using-graph-uri /
using-named-graph-uri in the request) is checked as a query's FROM is: only graphs the
store holds, so no engine or server is asked to fetch a URL or read a file (SPARQL 1.1
Update §3.1.3, Protocol §2.2.3)."""

from __future__ import annotations

import pytest

from kg.config import Settings
from kg.store.oxigraph import OxigraphStore
from webapp import create_app
from webapp.auth import hash_token

TOKEN = "dataset-steward-token"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
SOURCE = "urn:meshkg:test:source"
TARGET = "urn:meshkg:test:target"
INSERT = f"INSERT {{ GRAPH <{TARGET}> {{ ?s ?p ?o }} }}"
OUTSIDE = ["file:///etc/passwd", "http://127.0.0.1:9/graph", "urn:meshkg:test:unknown"]


@pytest.fixture
def client(tmp_path):
    store = OxigraphStore(tmp_path / "store")
    store.update(f'INSERT DATA {{ GRAPH <{SOURCE}> {{ <urn:x:a> <urn:x:p> "v" }} }}')
    settings = Settings(store=str(tmp_path / "store"), load_demo=False, updates_enabled=True,
                        steward_tokens=(hash_token(TOKEN),))
    app = create_app(settings, store)
    yield app.test_client(), store
    store.close()


def _refused(r, iri: str) -> None:
    assert r.status_code == 400, r.get_data(as_text=True)
    message = r.get_json()["error"]
    assert iri in message and "no such graph" in message


@pytest.mark.parametrize("iri", OUTSIDE)
@pytest.mark.parametrize("using", ["USING", "USING NAMED"])
def test_using_in_the_update_text_takes_only_graphs_in_the_store(client, using, iri):
    c, store = client
    r = c.post("/sparql", data={"update": f"{INSERT} {using} <{iri}> WHERE {{ ?s ?p ?o }}"},
               headers=BEARER)
    _refused(r, iri)
    assert not store.has_graph(TARGET)


@pytest.mark.parametrize("iri", OUTSIDE)
def test_using_a_prefixed_name_is_checked_as_its_iri(client, iri):
    c, store = client
    ns, local = iri.rsplit("/", 1) if "/" in iri else iri.rsplit(":", 1)
    sep = "/" if "/" in iri else ":"
    text = (f"PREFIX g: <{ns}{sep}>\n{INSERT} USING g:{local} WHERE {{ ?s ?p ?o }}")
    r = c.post("/sparql", data={"update": text}, headers=BEARER)
    _refused(r, iri)
    assert not store.has_graph(TARGET)


@pytest.mark.parametrize("iri", OUTSIDE)
@pytest.mark.parametrize("param", ["using-graph-uri", "using-named-graph-uri"])
def test_using_protocol_parameters_take_only_graphs_in_the_store(client, param, iri):
    c, store = client
    r = c.post("/sparql", data={"update": f"{INSERT} WHERE {{ ?s ?p ?o }}", param: iri},
               headers=BEARER)
    _refused(r, iri)
    assert not store.has_graph(TARGET)


@pytest.mark.parametrize("how", ["text", "parameter"])
def test_using_a_graph_in_the_store_runs(client, how):
    c, store = client
    where = "WHERE { ?s ?p ?o }"
    data = ({"update": f"{INSERT} USING <{SOURCE}> {where}"} if how == "text"
            else {"update": f"{INSERT} {where}", "using-graph-uri": SOURCE})
    r = c.post("/sparql", data=data, headers=BEARER)
    assert r.status_code == 204, r.get_data(as_text=True)
    assert store.has_graph(TARGET)


@pytest.mark.parametrize("text", [
    f"{INSERT} USINGNAMED<file:///etc/passwd> WHERE {{ ?s ?p ?o }}",
    f"PREFIX g: <file:///etc/>\n{INSERT} USINGg:passwd WHERE {{ ?s ?p ?o }}",
    f"PREFIX g: <file:///etc/>\n{INSERT} USING NAMEDg:passwd WHERE {{ ?s ?p ?o }}",
    f"{INSERT} USING undeclared:passwd WHERE {{ ?s ?p ?o }}",
    # the lexer reads `'…'` after `1<'>` as a string the engine reads as code
    f"{INSERT} WHERE {{ FILTER(1<'>') }} ;\n"
    f"{INSERT} USING <file:///etc/passwd> WHERE {{ ?s ?p ?o }} #'",
])
def test_using_the_engine_may_read_otherwise_is_refused(client, text):
    """pyoxigraph reads keywords without a word boundary (`USINGNAMED<…>` is USING NAMED)."""
    c, store = client
    r = c.post("/sparql", data={"update": text}, headers=BEARER)
    assert r.status_code == 400, r.get_data(as_text=True)
    assert not store.has_graph(TARGET)


@pytest.mark.parametrize("before", [
    "DROP SILENT GRAPH <file:///etc/passwd>",
    "CLEAR SILENT GRAPH <file:///etc/passwd>",
    "DELETE WHERE { GRAPH <file:///etc/passwd> { ?s ?p ?o } }",
    f"INSERT {{ GRAPH <{TARGET}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <file:///etc/passwd> "
    "{ ?s ?p ?o } }",
])
def test_only_graphs_an_earlier_operation_writes_count_as_there(client, before):
    """Protocol §2.2.3's own tests fill a graph with INSERT DATA, then read it with
    using-graph-uri in the same request; naming a graph otherwise does not make it one."""
    c, store = client
    r = c.post("/sparql", data={"update": f"{before} ;\n{INSERT} USING <file:///etc/passwd> "
                                          "WHERE { ?s ?p ?o }"}, headers=BEARER)
    _refused(r, "file:///etc/passwd")
    assert not store.has_graph(TARGET)


@pytest.mark.parametrize("first", [
    'INSERT DATA { GRAPH <urn:meshkg:test:new> { <urn:x:b> <urn:x:p> "w" } }',
    "CREATE GRAPH <urn:meshkg:test:new>",
    f"COPY <{SOURCE}> TO <urn:meshkg:test:new>",
])
def test_a_graph_written_earlier_in_the_request_may_be_used(client, first):
    c, store = client
    r = c.post("/sparql", data={"update": f"{first} ;\n{INSERT} WHERE {{ ?s ?p ?o }}",
                                "using-graph-uri": "urn:meshkg:test:new"}, headers=BEARER)
    assert r.status_code == 204, r.get_data(as_text=True)


@pytest.mark.parametrize("query", [
    "PREFIX f: <file:///etc/>\nSELECT * FROM f:passwd { ?s ?p ?o }",
    "PREFIX f: <file:///etc/>\nSELECT * FROM NAMED f:passwd { ?s ?p ?o }",
    "SELECT * FROMNAMED<file:///etc/passwd> { ?s ?p ?o }",
    "PREFIX f: <file:///etc/>\nSELECT * FROMf:passwd { ?s ?p ?o }",
    "SELECT * FROM undeclared:passwd { ?s ?p ?o }",
])
def test_from_by_prefixed_name_or_glued_is_checked_as_from_iri(client, query):
    """The same check for a query's FROM: kg.sparqlsafety reads only FROM <iri>."""
    c, _ = client
    r = c.get("/sparql", query_string={"query": query}, headers={"Accept": "application/json"})
    assert r.status_code == 400, r.get_data(as_text=True)


def test_from_a_graph_in_the_store_by_prefixed_name_is_not_refused(client):
    c, _ = client
    r = c.get("/sparql", query_string={
        "query": "PREFIX t: <urn:meshkg:test:>\nASK FROM t:source { <urn:x:a> ?p ?o }"},
        headers={"Accept": "application/json"})
    assert r.status_code == 200, r.get_data(as_text=True)
