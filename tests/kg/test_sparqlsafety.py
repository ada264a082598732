"""SPARQL that would make meshkg open a socket is refused, however it is written.

Each text below reaches a SERVICE or LOAD the engine would execute, hidden from a lexer
that reads SPARQL more loosely than the engine (found in review); a real socket listens
where they point, and nothing may connect to it.
"""

from __future__ import annotations

import threading

import pytest

from kg.errors import QueryRefused
from kg.sparqlsafety import check_query, check_update
from tests._sockets import listening


@pytest.fixture
def listener():
    """(port, what each connection to it sent): a socket that records every connection."""
    with listening(0.2) as srv:
        hits: list[bytes] = []
        stop = threading.Event()

        def accept():
            while not stop.is_set():
                try:
                    conn, _ = srv.accept()
                except OSError:
                    continue
                hits.append(conn.recv(200))
                conn.close()

        t = threading.Thread(target=accept, daemon=True)
        t.start()
        yield srv.getsockname()[1], hits
        stop.set()
        t.join(2)


QUERIES = [
    "SELECT * WHERE {{ ?s ?p ?o FILTER(?o<'>#') SERVICE <http://127.0.0.1:{port}/a> {{ }} }}",
    "SELECT * WHERE {{ ?s ?p ?o # note\rSERVICE <http://127.0.0.1:{port}/b> {{ }} }}",
    "SELECT * WHERE {{ ?s ?p <http://a\u00a0#> . SERVICE <http://127.0.0.1:{port}/c> {{ }} }}",
    "PREFIX ex: <http://e/> SELECT * WHERE {{ [ ?p ex:o]SERVICE <http://127.0.0.1:{port}/d> "
    "{{ }} }}",
    "SELECT * WHERE {{ ?s ?p true.SERVICE <http://127.0.0.1:{port}/e> {{ }} }}",
    'PREFIX t: <http://e/> SELECT * WHERE {{ ?s ?p t:o#"""\nSERVICE '
    '<http://127.0.0.1:{port}/f> {{ }} }} #"""',
    # the engine matches keywords with no word boundary after them
    "SELECT * WHERE {{ SERVICESILENT<http://127.0.0.1:{port}/g> {{ }} }}",
    "PREFIX p: <http://127.0.0.1:{port}/> SELECT * WHERE {{ SERVICEp:x {{ }} }}",
    "SELECT * WHERE {{ ?s ?p trueSERVICE<http://127.0.0.1:{port}/h> {{ }} }}",
    "SELECT * WHERE {{ ?s ?p 1e5SERVICE<http://127.0.0.1:{port}/i> {{ }} }}",
    # an escape inside an IRI, and a quote that makes one `<` a comparison and not another
    r"SELECT * WHERE {{ <http://x/\u0041#> ?p ?o . SERVICE <http://127.0.0.1:{port}/j> {{ }} }}",
    "SELECT * WHERE {{ FILTER(true||1<'>#') <http://x/#> ?p ?o . "
    "SERVICE <http://127.0.0.1:{port}/k> {{ }} }}",
    # a local name holds one run of dots and does not start with one
    "PREFIX p: <urn:x:> SELECT * WHERE {{ ?s ?p p:a.b.SERVICE<http://127.0.0.1:{port}/l>{{}} }}",
    "PREFIX p: <urn:x:> SELECT * WHERE {{ ?s ?p p:.SERVICE<http://127.0.0.1:{port}/m>{{}} }}",
]
UPDATES = [
    "INSERT DATA {{ <urn:a> <urn:b> <urn:c> }} ; # x\rLOAD <http://127.0.0.1:{port}/g>",
    "DELETE WHERE {{ ?s ?p ?o FILTER(?o<'>#') }} ; LOAD <http://127.0.0.1:{port}/h>",
    "LOADSILENT<http://127.0.0.1:{port}/i>",
    "PREFIX p: <http://127.0.0.1:{port}/> LOADp:x",
    r"INSERT DATA {{ <http://x/\u0041#> <http://x/p> 1 }} ; LOAD <http://127.0.0.1:{port}/j>",
]


def _refused_by_check_and_store(listener, text: str, check, run: str):
    """`check` and the embedded store's `run` ("query" or "update") both refuse `text`
    aimed at the listener; return the store, which nothing may have connected from."""
    from kg.store.oxigraph import OxigraphStore
    port, hits = listener
    sparql = text.format(port=port)
    with pytest.raises(QueryRefused):
        check(sparql)
    store = OxigraphStore()
    with pytest.raises(QueryRefused):
        getattr(store, run)(sparql)
    assert hits == []
    return store


@pytest.mark.parametrize("text", QUERIES)
def test_a_hidden_service_is_refused_and_nothing_connects(listener, text):
    _refused_by_check_and_store(listener, text, check_query, "query")


@pytest.mark.parametrize("text", UPDATES)
def test_a_hidden_load_is_refused_and_nothing_connects(listener, text):
    store = _refused_by_check_and_store(listener, text, check_update, "update")
    assert store.graphs() == {}


@pytest.mark.parametrize("sparql", [
    'SELECT * WHERE { ?s ?p ?o FILTER(?o < 5 && STR(?o) != "SERVICE <http://x/>") }',
    "SELECT * WHERE { ?s <urn:a#SERVICE> ?o } # SERVICE <http://x/>",
    "PREFIX ex: <http://e/> SELECT * WHERE { ?s ex:a.b ex:c\\-d } ORDER BY ?s",
    "SELECT ?é WHERE { ?é ?p 'LOAD <http://x/>' }",
    "SELECT * WHERE { <http://x/o'brien> ?p ?o FILTER(?o < 5) }",
    "PREFIX ex: <http://e/> SELECT ?service WHERE { ?service ex:SERVICE_LEVEL ?o }",
])
def test_ordinary_queries_that_mention_the_words_still_run(sparql):
    from kg.store.oxigraph import OxigraphStore
    check_query(sparql)
    assert OxigraphStore().query(sparql).rows == []
