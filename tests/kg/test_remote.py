"""RemoteStore: server faults (stubbed) and real per-server behaviour (Virtuoso, Oxigraph)."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pyoxigraph as ox
import pytest

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
from kg.store.remote import RemoteStore, inject_values, sparql_term

ASK_TRUE = json.dumps({"head": {}, "boolean": True}).encode()


class _Stub(BaseHTTPRequestHandler):
    """A fake server for faults only: /slow sleeps, /partial answers 206, /ok answers."""

    seen: list[dict] = []

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        type(self).seen.append(dict(self.headers))
        if self.path.startswith("/slow"):
            time.sleep(2)
        status = 206 if self.path.startswith("/partial") else 200
        self.send_response(status)
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
