"""RemoteStore: server faults and per-server behaviour, on the real Virtuoso and Oxigraph
servers .ci/run starts (a fake server only where a real one cannot be made to answer
that way on demand: a 206, an anytime answer, a generic server)."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pyoxigraph as ox
import pytest
import requests

from kg.config import Settings
from kg.errors import (
    QuerySyntaxError,
    QueryTimeout,
    RemoteTimeout,
    ResultTooLarge,
    StoreError,
    UsageError,
)
from kg.store import open_store
from kg.store.remote import (
    STAGING_PREFIX,
    STALE_STAGING,
    RemoteStore,
    inject_values,
    sparql_term,
    split_data_ops,
    staging_name,
    wrap_values_branches,
)
from kg.store.remote.answers import _parse_xml
from kg.store.remote.dataset import _reads_default_graph
from tests.conftest import SERVER_BACKENDS, server_settings

ASK_TRUE = json.dumps({"head": {}, "boolean": True}).encode()


class _Stub(BaseHTTPRequestHandler):
    """A fake server for faults only: /slow sleeps, /partial answers 206, /ok answers."""

    seen: list[dict] = []

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        type(self).seen.append(dict(self.headers))
        if self.path.startswith("/hangup") and len(type(self).seen) == 1:
            self.close_connection = True  # as a server ending an idle kept-alive connection
            return
        if self.path.startswith("/slow"):
            time.sleep(2)
        status = 206 if self.path.startswith("/partial") else 200
        self.send_response(status)
        if self.path.startswith("/anytime"):  # what Virtuoso sends at a time limit
            self.send_header("X-SQL-State", "S1TAT")
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(ASK_TRUE)))
        self.end_headers()
        self.wfile.write(ASK_TRUE)

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def stub():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    server.daemon_threads = True
    _Stub.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_server_down_is_a_fast_store_error():
    store = RemoteStore(f"http://127.0.0.1:{_closed_port()}/sparql", timeout=30)
    start = time.monotonic()
    with pytest.raises(StoreError, match="cannot reach .*refused"):
        store.query("ASK {}")
    assert time.monotonic() - start < 2


def test_connection_the_server_closed_is_retried_once_on_a_new_one(stub):
    store = RemoteStore(f"{stub}/hangup", dialect="generic")
    assert store.query("ASK {}", default_graphs=[], named_graphs=[]).boolean is True
    assert len(_Stub.seen) == 2


def test_slow_server_is_remote_timeout_at_the_deadline(stub):
    store = RemoteStore(f"{stub}/slow", timeout=0.5, dialect="generic")
    start = time.monotonic()
    with pytest.raises(RemoteTimeout, match="0.5 s"):
        store.query("ASK {}", default_graphs=[])
    assert time.monotonic() - start < 1.5
    assert RemoteTimeout.http_status == 504


def test_query_budget_below_the_server_deadline_is_query_timeout(stub):
    store = RemoteStore(f"{stub}/slow", timeout=30, dialect="generic")
    with pytest.raises(QueryTimeout):
        store.query("ASK {}", default_graphs=[], timeout=0.3)


def test_partial_206_answer_is_an_error_never_a_result(stub):
    store = RemoteStore(f"{stub}/partial", dialect="generic")
    with pytest.raises(ResultTooLarge, match="206"):
        store.query("ASK {}", default_graphs=[])


def test_answer_stopped_at_a_server_time_limit_is_an_error_never_a_result(stub):
    store = RemoteStore(f"{stub}/anytime", dialect="generic")
    with pytest.raises(RemoteTimeout, match="S1TAT"):
        store.query("ASK {}", default_graphs=[], named_graphs=[])
    with pytest.raises(QueryTimeout, match="S1TAT"):
        store.query("ASK {}", default_graphs=[], named_graphs=[], timeout=5)


def test_unknown_server_is_generic_and_bearer_token_is_sent(stub):
    settings = Settings(store=f"sparql+{stub}/ok", remote_auth="bearer", remote_token="t0k")
    store = open_store(settings)
    assert store.dialect == "generic"
    assert store.query("ASK {}", default_graphs=[]).boolean is True
    assert all(h.get("Authorization") == "Bearer t0k" for h in _Stub.seen)


def test_dialect_can_be_named_in_the_store_url(stub):
    store = open_store(Settings(store=f"sparql+{stub}/ok#fuseki", remote_user="u",
                                remote_password="p"))
    assert store.dialect == "fuseki"
    store.query("ASK {}")
    assert _Stub.seen[-1]["Authorization"].startswith("Basic ")


@pytest.mark.parametrize("query, where", [
    ("SELECT ?s WHERE { ?s ?p ?o } LIMIT 1", "WHERE { VALUES"),
    ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "WHERE { VALUES"),
    ("SELECT (EXISTS { ?x ?y ?z } AS ?e) { ?s ?p ?o }", "AS ?e) { VALUES"),
    ("PREFIX select: <urn:x#> ASK { ?s select:p ?o }", "ASK { VALUES"),
])
def test_values_go_at_the_start_of_the_where_clause(query, where):
    from rdflib import URIRef
    assert where in inject_values(query, {"s": URIRef("urn:test:s")})


@pytest.mark.parametrize("value", ["urn:x> } ; DROP ALL ; <urn:y", "urn:a b", "urn:\\u003e"])
def test_iri_that_could_break_out_of_its_term_is_refused(value):
    from rdflib import URIRef
    with pytest.raises(UsageError):
        sparql_term(URIRef(value))


BIG_DATA = """PREFIX ex: <urn:test:>
INSERT DATA { ex:a ex:p 1.5 . ex:b ex:p "x . y" ; ex:q ex:c , ex:d .
  GRAPH <urn:test:g> { ex:e ex:p [ ex:q 2 ] . ex:f ex:p ( 1 2 ) . ex:g ex:p ex:h . ex:i ex:p 3 }
  ex:j ex:p ex:k . } ;
DELETE DATA { GRAPH <urn:test:g> { ex:g ex:p ex:h . ex:i ex:p 3 . ex:x ex:p ex:y } }"""


@pytest.mark.parametrize("size", [1, 2, 100])
def test_large_data_operations_are_split_into_operations_of_the_same_request(size):
    """Virtuoso's SPARQL parser runs out of memory near 5,000 triples in one operation."""
    split = split_data_ops(BIG_DATA, size)
    assert (split == BIG_DATA) == (size == 100)
    assert split.count("INSERT DATA") == (1 if size == 100 else -(-2 // size) + -(-4 // size) + 1)
    whole, parts = ox.Store(), ox.Store()
    whole.update(BIG_DATA)
    parts.update(split)

    def masked(store):  # blank nodes are fresh in each store
        return sorted(" ".join("_" if isinstance(t, ox.BlankNode) else str(t) for t in q)
                      for q in store)

    assert len(whole) == 12 and masked(parts) == masked(whole)


@pytest.mark.parametrize("text, wrapped", [
    ("{ { VALUES ?s { <urn:a> } } UNION { ?s ?p ?o } }",
     "{ { SELECT * WHERE { VALUES ?s { <urn:a> } } } UNION { ?s ?p ?o } }"),
    ("{ ?s ?p ?o } UNION { VALUES (?s ?n) { (<urn:a> 1) } }",
     "{ ?s ?p ?o } UNION { SELECT * WHERE { VALUES (?s ?n) { (<urn:a> 1) } } }"),
    ("{ { VALUES ?s { <urn:a> } } ?s ?p ?o }", None),  # not a UNION branch
    ("{ { SELECT ?s WHERE { VALUES ?s { <urn:a> } } } ?s ?p* ?o }", None),
])
def test_values_alone_in_a_union_branch_become_a_sub_select(text, wrapped):
    assert wrap_values_branches("SELECT * WHERE " + text) == "SELECT * WHERE " + (
        wrapped or text)


def test_data_with_blank_node_labels_is_left_whole():
    text = "INSERT DATA { _:x <urn:test:p> 1 . _:x <urn:test:p> 2 . }"
    assert split_data_ops(text, 1) == text


@pytest.mark.parametrize("query, reads", [
    ("SELECT DISTINCT ?p WHERE { GRAPH <urn:g> { ?p <urn:a> <urn:c> } }", False),
    ("ASK { GRAPH <urn:g> { ?s ?p ?o } }", False),
    ("SELECT (COUNT(*) AS ?n) WHERE { GRAPH <urn:g> { ?s ?p ?o } }", False),
    ('SELECT ?p WHERE { GRAPH <urn:g> { ?p <urn:a> "{" } OPTIONAL { GRAPH <urn:h> '
     "{ ?p <urn:y> ?z FILTER(?z > 2) } } } ORDER BY ?p LIMIT 3", False),
    ("SELECT * WHERE { { GRAPH <urn:g> { ?s ?p ?o } } UNION { GRAPH <urn:h> { ?s ?p ?o } } }",
     False),
    ("SELECT * WHERE { GRAPH <urn:g> { ?s ?p ?o } ?s ?p ?o }", True),
    ("SELECT * WHERE { GRAPH <urn:g> { ?s ?p ?o } FILTER(?s) }", True),
    ("SELECT * WHERE { GRAPH <urn:g> { ?s ?p ?o } BIND(1 AS ?x) }", True),
    ("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }", True),
    ("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH <urn:g> { ?s ?p ?o } }", True),
    ("SELECT * WHERE { GRAPH <urn:g> { ?s ?p ?o } } VALUES ?s { <urn:x> }", True),
    ("SELECT (EXISTS { GRAPH <urn:g> { ?a ?b ?c } } AS ?e) WHERE { ?a ?b ?c }", True),
    ("SELECT (EXISTS { ?a ?b ?c } AS ?e) { GRAPH <urn:g> { ?a ?b ?c } }", True),
    ("SELECT ?x WHERE { GRAPH <urn:g> { ?x ?b ?c } } GROUP BY ?x "
     "HAVING (EXISTS { ?x <urn:q> ?r })", True),
    ("SELECT ?x WHERE { GRAPH <urn:g> { ?x ?b ?c } } ORDER BY (EXISTS { ?x <urn:q> ?r })",
     True),
    ("SELECT * WHERE { FILTER NOT EXISTS { GRAPH <urn:g> { ?s ?p ?o } } }", True),
    ("SELECT * WHERE { { SELECT ?s WHERE { GRAPH <urn:g> { ?s ?p ?o } } } }", True),
    ("SELECT * WHERE { GRAPH <urn:g> { ?s ?p ?o }", True),
])
def test_only_a_query_of_named_graph_groups_alone_is_sent_without_the_graph_list(query,
                                                                               reads):
    """A query judged not to read its default graph is sent with only the graphs it
    names (kg.store.remote.dataset); any doubt must keep the list, or the answer
    changes (test_backends.py compares such answers with the embedded store's)."""
    assert _reads_default_graph(query) is reads


_XML = ('<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#">'
        '<head>{}</head>{}</sparql>')


def test_sparql_xml_results_are_read_whole_or_refused_as_a_store_error():
    assert _parse_xml(_XML.format("", "<boolean>true</boolean>").encode()) is True
    assert _parse_xml(_XML.format("", "<boolean>false</boolean>").encode()) is False
    names, rows = _parse_xml(_XML.format(
        '<variable name="s"/><variable name="o"/>',
        '<results><result><binding name="s"><bnode>nodeID://b7</bnode></binding>'
        '<binding name="o"><literal xml:lang="fr">chat</literal></binding></result>'
        '<result><binding name="s"><bnode>nodeID://b7</bnode></binding></result>'
        '</results>').encode())
    assert names == ["s", "o"] and rows[0]["s"] == rows[1]["s"] and "o" not in rows[1]
    assert rows[0]["o"].language == "fr"
    broken = _XML.format('<variable name="s"/>', '<results><result><binding name="s">'
                         '<literal xml:lang="1-!">x</literal></binding></result></results>')
    for body in (broken.encode(), b"<html>Virtuoso error</html>", broken.encode()[:150]):
        with pytest.raises(StoreError, match="not SPARQL XML"):
            _parse_xml(body)


# -- real servers -------------------------------------------------------------------
@pytest.fixture
def virtuoso(store_factory):
    return store_factory("virtuoso")


@pytest.fixture
def oxigraph_server(store_factory):
    return store_factory("oxigraph-server")


@pytest.mark.virtuoso
def test_virtuoso_is_detected_and_its_system_graphs_stay_hidden(virtuoso):
    assert virtuoso.dialect == "virtuoso"
    assert virtuoso.graphs() == {}
    assert virtuoso.query("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }").rows[0]["n"].value == 0
    virtuoso.update("DROP ALL")  # rewritten to meshkg's graphs: Virtuoso's own survive
    raw = virtuoso._select("SELECT (COUNT(*) AS ?n) { GRAPH "
                           "<http://www.openlinksw.com/schemas/virtrdf#> { ?s ?p ?o } }")
    assert int(raw[0]["n"]) > 0


@pytest.mark.oxigraph_server
def test_oxigraph_server_is_detected(oxigraph_server):
    assert oxigraph_server.dialect == "oxigraph"


@pytest.mark.virtuoso
def test_virtuoso_row_limit_is_an_error_or_an_explicit_truncation(virtuoso):
    """.ci/servers.sh sets ResultSetMaxRows = 5000: Virtuoso cuts there and says so
    only by an X-SPARQL-MaxRows header (206 only for its time-limited answers)."""
    g = ox.NamedNode("urn:test:big")
    quads = [ox.Quad(ox.NamedNode(f"urn:test:s{i}"), ox.NamedNode("urn:test:p"),
                     ox.Literal(str(i)), g) for i in range(5_010)]
    virtuoso.write_quads({g.value: quads})
    assert virtuoso.graphs() == {g.value: 5_010}
    with pytest.raises(ResultTooLarge, match="5000"):
        virtuoso.query("SELECT ?s WHERE { ?s ?p ?o }")
    capped = virtuoso.query("SELECT ?s WHERE { ?s ?p ?o }", max_rows=100)
    assert len(capped) == 100 and capped.truncated
    # dumps page below the cap, and check the count, rather than trusting the server
    assert len(virtuoso.dump(g.value, "ntriples").splitlines()) == 5_010


@pytest.mark.virtuoso
def test_virtuoso_syntax_error_names_the_server_message(virtuoso):
    with pytest.raises(QuerySyntaxError, match="SP030"):
        virtuoso.query("SELECT ?s WHERE { ?s ?p }")


@pytest.mark.oxigraph_server
def test_sparql_update_path_without_gsp(oxigraph_server):
    """Without a GSP endpoint, large writes go by SPARQL Update chunks into staging."""
    store = oxigraph_server
    store.gsp_url, store.inline_limit = None, 10
    quads = [ox.Quad(ox.NamedNode(f"urn:test:s{i}"), ox.NamedNode("urn:test:p"),
                     ox.Literal(str(i)), ox.NamedNode("urn:test:chunks")) for i in range(35)]
    store.write_quads({"urn:test:chunks": quads})
    assert store.graphs() == {"urn:test:chunks": 35}


@pytest.fixture(params=SERVER_BACKENDS)
def server(request, store_factory):
    """Each real server, emptied."""
    return store_factory(request.param)


def test_graph_list_is_kept_a_moment_and_forgotten_at_every_own_write(server):
    """A query's dataset lists the server's graphs; reading that list costs a scan of
    every triple (60 ms at 2.5M on Virtuoso), so a store keeps it `remote_graph_ttl`
    seconds, and forgets it whenever it writes itself."""
    backend = server.backend
    keeping = RemoteStore.from_settings(server_settings(backend, remote_graph_ttl=600.0))
    other = RemoteStore.from_settings(server_settings(backend))
    keeping.write_quads({"urn:test:one": _quads("urn:test:one", 1, "one")})
    assert keeping.ask('ASK { ?s ?p "one0" }')  # its own write: listed at once
    sent = []
    send = keeping._send
    keeping._send = lambda *a, **kw: sent.append(kw.get("data")) or send(*a, **kw)
    for _ in range(3):
        assert keeping.ask('ASK { ?s ?p "one0" }')
    assert len(sent) == 3  # the three questions, not three lists of graphs as well
    keeping._send = send
    other.write_quads({"urn:test:two": _quads("urn:test:two", 1, "two")})
    # another writer's graph: not yet where the dataset lists graphs (Oxigraph server
    # has a union default graph to name instead)
    assert keeping.ask('ASK { ?s ?p "two0" }') == (keeping.dialect == "oxigraph")
    keeping.graph_ttl = 0.0
    assert keeping.ask('ASK { ?s ?p "two0" }')  # seen once the list is read again
    keeping.graph_ttl = 600.0
    keeping.write_quads({"urn:test:three": _quads("urn:test:three", 1, "three")})
    assert keeping.ask('ASK { ?s ?p "three0" }')
    assert keeping.ask('ASK { GRAPH <urn:test:two> { ?s ?p "two0" } }')
    assert not keeping.ask('ASK { GRAPH <urn:test:absent> { ?s ?p ?o } }')


@pytest.mark.virtuoso
def test_virtuoso_store_of_more_than_a_hundred_graphs_is_read(virtuoso):
    """Virtuoso echoes each graph of a query's dataset as a response header; Python's
    http.client refused answers of more than 100 headers."""
    virtuoso.write_quads({f"urn:test:g{i}": _quads(f"urn:test:g{i}", 1, f"g{i}-")
                          for i in range(120)})
    assert len(virtuoso.graphs()) == 120
    assert virtuoso.ask('ASK { ?s ?p "g119-0" }')
    rows = virtuoso.query("SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }").rows
    assert len(rows) == 120


def _quads(graph: str, n: int, word: str = "v") -> list:
    return [ox.Quad(ox.NamedNode(f"urn:test:s{i}"), ox.NamedNode("urn:test:p"),
                    ox.Literal(f"{word}{i}"), ox.NamedNode(graph)) for i in range(n)]


@pytest.mark.virtuoso
def test_virtuoso_leaves_a_direct_sparql_query_post_unanswered(virtuoso):
    """Why every query goes as a form-encoded POST (with charset=utf-8)."""
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.post(virtuoso.query_url, data=b"ASK {}", timeout=(2, 2),
                      headers={"Content-Type": "application/sparql-query",
                               "Accept": "application/sparql-results+json"})
    virtuoso.write_quads({"urn:test:utf8": [ox.Quad(
        ox.NamedNode("urn:test:s"), ox.NamedNode("urn:test:p"), ox.Literal("Café ünd 数据"),
        ox.NamedNode("urn:test:utf8"))]})
    assert virtuoso.ask('ASK { ?s ?p "Café ünd 数据" }')


@pytest.mark.virtuoso
def test_virtuoso_marks_an_answer_cut_at_a_time_limit_only_by_a_header(virtuoso):
    """Virtuoso's "anytime" answer: 200 with the rows it had and X-SQL-State S1TAT;
    meshkg raises on that header (test_answer_stopped_at_a_server_time_limit_…)."""
    virtuoso.write_quads({"urn:test:slow": _quads("urn:test:slow", 4_000)})
    endless = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    resp = requests.post(virtuoso.query_url, timeout=30, data={
        "query": endless, "timeout": "100", "default-graph-uri": "urn:test:slow"},
        headers={"Accept": "application/sparql-results+json"})
    assert resp.status_code == 200
    assert resp.headers["X-SQL-State"] == "S1TAT"


# Counts pairs of 4,000 triples comparing strings: seconds of work on either server (1,500
# made 1.1M pairs, which both servers count in under the 0.5 s deadline on a quiet machine).
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f FILTER(STR(?c) < STR(?f)) }"


def test_slow_server_answer_is_remote_timeout_at_the_deadline(server):
    server.write_quads({"urn:test:slow": _quads("urn:test:slow", 4_000)})
    server.timeout = 0.5
    start = time.monotonic()
    with pytest.raises(RemoteTimeout, match="0.5 s"):
        server.query(SLOW)
    assert time.monotonic() - start < 1.5
    server.timeout = 30
    assert server.ask("ASK { ?s ?p ?o }")  # the server still answers


def test_query_budget_shorter_than_the_deadline_is_query_timeout(server):
    server.write_quads({"urn:test:slow": _quads("urn:test:slow", 4_000)})
    start = time.monotonic()
    with pytest.raises(QueryTimeout):
        server.query(SLOW, timeout=0.5)
    assert time.monotonic() - start < 1.5
    assert QueryTimeout.http_status == 503


@pytest.mark.virtuoso
@pytest.mark.parametrize("auth, endpoint", [
    ("basic", "MESHKG_TEST_VIRTUOSO_BASIC"),
    ("digest", "MESHKG_TEST_VIRTUOSO_AUTH"),
    ("bearer", "MESHKG_TEST_VIRTUOSO_BEARER"),
])
def test_credentials_reach_a_protected_virtuoso_endpoint(virtuoso, auth, endpoint):
    """.ci/servers.sh protects three endpoints, one per scheme; reads and writes pass."""
    url = os.environ.get(endpoint) or pytest.fail(f"{endpoint} unset (.ci/servers.sh)")
    creds = {"remote_auth": auth, "remote_user": os.environ["MESHKG_TEST_VIRTUOSO_USER"],
             "remote_password": os.environ["MESHKG_TEST_VIRTUOSO_PASSWORD"],
             "remote_token": os.environ["MESHKG_TEST_VIRTUOSO_TOKEN"]}
    settings = server_settings("virtuoso", store=f"sparql+{url}", gsp_url=None, **creds)
    with open_store(settings) as store:
        store.write_quads({"urn:test:auth": _quads("urn:test:auth", 3)})
        assert store.graphs() == {"urn:test:auth": 3}
    wrong = settings.replace(remote_password="wrong", remote_token="wrong")
    with open_store(wrong) as store, pytest.raises(StoreError, match=r"credentials \(401\)"):
        store.graphs()


# -- writes on a server without atomic update requests ------------------------------
@pytest.fixture(params=SERVER_BACKENDS)
def journaled(request, store_factory):
    """A server written by journaled steps: Virtuoso, and Oxigraph named #generic."""
    store = store_factory(request.param)
    if store.dialect == "oxigraph":
        store = RemoteStore(store.query_url, update_url=store.update_url,
                            gsp_url=store.gsp_url, dialect="generic")
    assert not store.atomic_requests
    return store


def _staging(store) -> list[str]:
    rows = store._select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    return sorted(str(r["g"]) for r in rows if str(r["g"]).startswith(STAGING_PREFIX))


def test_write_interrupted_after_staging_is_finished_by_the_next_write(journaled,
                                                                       monkeypatch):
    store = journaled
    store.write_quads({"urn:test:a": _quads("urn:test:a", 3, "old"),
                       "urn:test:b": _quads("urn:test:b", 2, "old"),
                       "urn:test:gone": _quads("urn:test:gone", 1)})
    post = RemoteStore._post_update

    def cut_at_the_first_copy(self, text, timeout=None):
        if "ADD SILENT GRAPH" in text:
            raise StoreError("connection reset (simulated)")
        return post(self, text, timeout)

    monkeypatch.setattr(RemoteStore, "_post_update", cut_at_the_first_copy)
    with pytest.raises(StoreError, match="finished by the next write"):
        store.write_quads({"urn:test:a": _quads("urn:test:a", 4, "new"),
                           "urn:test:b": _quads("urn:test:b", 5, "new")},
                          drop=["urn:test:gone"])
    monkeypatch.undo()
    # what a reader sees meanwhile: the steps before the cut (a graph dropped)
    assert "urn:test:a" not in store.graphs()
    store.write_quads({}, add=_quads("urn:test:c", 1))  # finishes the journal first
    assert store.graphs() == {"urn:test:a": 4, "urn:test:b": 5, "urn:test:c": 1}
    assert store.ask('ASK { GRAPH <urn:test:a> { ?s ?p "new3" } }')
    assert _staging(store) == []


def test_write_interrupted_while_staging_leaves_the_graphs_as_they_were(journaled,
                                                                       monkeypatch):
    store = journaled
    store.write_quads({"urn:test:a": _quads("urn:test:a", 3, "old")})
    send = RemoteStore._send

    def cut_the_second_upload(self, method, url, **kw):
        if method == "POST" and url == self.gsp_url:
            cut_the_second_upload.n += 1
            if cut_the_second_upload.n == 2:
                raise StoreError("connection reset (simulated)")
        return send(self, method, url, **kw)

    cut_the_second_upload.n = 0
    monkeypatch.setattr(RemoteStore, "_send", cut_the_second_upload)
    with pytest.raises(StoreError, match="simulated"):
        store.write_quads({"urn:test:a": _quads("urn:test:a", 4, "new"),
                           "urn:test:b": _quads("urn:test:b", 5, "new")})
    monkeypatch.undo()
    assert store.graphs() == {"urn:test:a": 3}
    assert _staging(store) == []


def test_staging_left_by_a_crash_is_dropped_when_stale_or_on_recover(server):
    """A process's first write drops stale staging graphs (every write does on servers
    with journaled writes); a fresh one may be another process's write still uploading."""
    stale = f"{STAGING_PREFIX}{int(time.time() - STALE_STAGING - 60)}-crashed"
    fresh = staging_name()
    server.update(f"INSERT DATA {{ GRAPH <{stale}> {{ <urn:test:s> <urn:test:p> 1 }} "
                  f"GRAPH <{fresh}> {{ <urn:test:s> <urn:test:p> 2 }} }}")
    assert server.graphs() == {}
    # meshkg lists Virtuoso's graphs; an Oxigraph server's union holds every graph
    assert server.ask("ASK { <urn:test:s> <urn:test:p> ?o }") == (server.dialect == "oxigraph")
    with open_store(server_settings(server.backend)) as writer:  # as another process
        writer.write_quads({"urn:test:a": _quads("urn:test:a", 1)})
    assert _staging(server) == [fresh]
    assert server.recover() == {"finished": [], "dropped": [fresh]}
    assert _staging(server) == []
