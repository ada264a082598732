"""Nothing acknowledged is lost: concurrent writers on a real server (issue 21, finding 1).

Real clients (requests, one thread each) send SPARQL Updates and Graph Store POSTs at
the same time, and a steward's save runs beside them; every write answered 2xx must be
in the store afterwards.
"""

from __future__ import annotations

import threading

import requests

from kg import curation
from kg.namespaces import DEMO
from kg.store.sandbox import close_sandbox

RDFS_COMMENT = "http://www.w3.org/2000/01/rdf-schema#comment"
GRAPH = "urn:meshkg:graph:curated:concurrent"
WRITERS = 8
EACH = 4


def _run(workers) -> list:
    errors: list = []

    def guard(fn):
        try:
            fn()
        except Exception as exc:  # reported below with what was acknowledged
            errors.append(exc)

    threads = [threading.Thread(target=guard, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    return errors


def _insert(server, header: dict, graph: str, subject: str) -> None:
    """One acknowledged SPARQL Update adding a triple about `subject` to `graph`."""
    r = requests.post(server.sparql, headers=header, timeout=120, data={
        "update": f'INSERT DATA {{ GRAPH <{graph}> {{ <{subject}> <{RDFS_COMMENT}> "note" }} }}'})
    assert r.status_code == 204, r.text


def _post(server, header: dict, graph: str, subject: str) -> None:
    """One acknowledged Graph Store POST adding a triple about `subject` to `graph`."""
    r = requests.post(server.graph_store, params={"graph": graph}, timeout=120,
                      headers={**header, "Content-Type": "text/turtle"},
                      data=f'<{subject}> <{RDFS_COMMENT}> "posted" .'.encode())
    assert r.status_code in (201, 204), r.text


def _writer(send, server, header: dict, graph: str, prefix: str, acknowledged: list):
    """A client sending EACH writes in a row, noting each acknowledged one."""
    def run():
        for i in range(EACH):
            subject = f"{DEMO}note/{prefix}-{i}"
            send(server, header, graph, subject)
            acknowledged.append((graph, subject))
    return run


def test_concurrent_sparql_updates_into_one_graph_lose_nothing(start_server, bearer):
    server = start_server(updates_enabled=True, data=("notes.ttl",), update_timeout=60.0)
    acknowledged: list[tuple[str, str]] = []
    errors = _run([_writer(_insert, server, bearer(), GRAPH, f"w{n}", acknowledged)
                   for n in range(WRITERS)])
    assert not errors, errors
    assert len(acknowledged) == WRITERS * EACH
    held = {str(r["s"]) for r in server.store.query(
        f"SELECT ?s {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }} }}").rows}
    lost = {subject for _, subject in acknowledged} - held
    assert not lost, f"{len(lost)} of {len(acknowledged)} acknowledged inserts lost"


def test_writes_across_paths_lose_nothing(start_server, bearer):
    """SPARQL Update, Graph Store POST and a steward's save, all at once, on one store."""
    server = start_server(updates_enabled=True, data=("notes.ttl",), update_timeout=60.0)
    gsp_graph = "urn:meshkg:graph:curated:posted"
    acknowledged: list[tuple[str, str]] = []  # (graph or resource, subject)

    def steward():
        for i in range(EACH):
            iri = f"{DEMO}note/s{i}"
            curation.save(server.store, iri, [(_n(iri), _n(RDFS_COMMENT), _lit("saved"))],
                          steward="alice", comment="a steward's note", version=None)
            acknowledged.append((curation.curated_graph(iri), iri))

    errors = _run([_writer(_insert, server, bearer(), GRAPH, f"u{n}", acknowledged)
                   for n in range(3)]
                  + [_writer(_post, server, bearer(), gsp_graph, f"p{n}", acknowledged)
                     for n in range(3)] + [steward])
    assert not errors, errors
    assert len(acknowledged) == 3 * EACH + 3 * EACH + EACH
    lost = [(g, s) for g, s in acknowledged if not server.store.ask(
        f"ASK {{ GRAPH <{g}> {{ <{s}> <{RDFS_COMMENT}> ?o }} }}")]
    assert not lost, f"{len(lost)} of {len(acknowledged)} acknowledged writes lost: {lost[:5]}"
    # and the steward's history records point at data that is there
    for change in curation.history(server.store):
        if change.steward.endswith("alice"):
            assert server.store.ask(f"ASK {{ <{change.resource}> ?p ?o }}")
    close_sandbox(server.store)


def _n(iri: str):
    import pyoxigraph as ox
    return ox.NamedNode(iri)


def _lit(text: str):
    import pyoxigraph as ox
    return ox.Literal(text)
