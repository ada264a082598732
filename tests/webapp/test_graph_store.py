"""The SPARQL 1.1 Graph Store HTTP Protocol at /graph-store, against a real server."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
import requests

NOTES = "urn:meshkg:test:notes"
NEW = "urn:meshkg:test:new"
COMMENT = b"<http://www.w3.org/2000/01/rdf-schema#comment>"
NOTE_TTL = b'<https://demo.meshkg.org/id/note/9> ' + COMMENT + b' "nine" .'
MORE_TTL = b'<https://demo.meshkg.org/id/note/8> ' + COMMENT + b' "eight" .'
BAD_PRODUCT = (b"<https://demo.meshkg.org/id/product/bad> a "
               b"<https://www.omg.org/spec/DPROD/DataProduct> .")
TTL = {"Content-Type": "text/turtle"}


def _gs(server, method, graph=NOTES, **kw):
    params = {"default": ""} if graph is None else {"graph": graph}
    return requests.request(method, server.graph_store, params=params, timeout=30, **kw)


def _comments(server, graph):
    return {q.object.value for q in ox.parse(server.store.dump(graph, "ntriples"),
                                             format=ox.RdfFormat.N_TRIPLES)}


@pytest.mark.parametrize("accept", ["text/turtle", "application/n-triples",
                                    "application/ld+json", "application/rdf+xml"])
def test_get_a_named_graph(steward_server, accept):
    r = _gs(steward_server, "GET", headers={"Accept": accept})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith(accept)
    objects = {q.object.value for q in ox.parse(r.content,
                                                format=ox.RdfFormat.from_media_type(accept))}
    assert "the first note" in objects


def test_get_the_default_graph_is_the_union(server):
    r = _gs(server, "GET", graph=None, headers={"Accept": "application/n-triples"})
    assert r.status_code == 200 and b"Orders" in r.content


def test_head_has_headers_and_no_body(steward_server):
    r = _gs(steward_server, "HEAD")
    assert r.status_code == 200 and r.content == b""
    assert r.headers["Content-Type"].startswith("text/turtle")


def test_unknown_graph_is_404(server):
    assert _gs(server, "GET", graph="urn:meshkg:test:nothing").status_code == 404


@pytest.mark.parametrize("params", [{}, {"graph": ["urn:a", "urn:b"]}, {"graph": "not an iri"},
                                    {"graph": "urn:a", "default": ""}])
def test_graph_must_be_named_once(server, params):
    r = requests.get(server.graph_store, params=params, timeout=30)
    assert r.status_code == 400


def test_put_creates_then_replaces(steward_server, bearer):
    r = _gs(steward_server, "PUT", graph=NEW, data=NOTE_TTL, headers={**TTL, **bearer()})
    assert r.status_code == 201, r.text
    r = _gs(steward_server, "PUT", graph=NEW, data=MORE_TTL, headers={**TTL, **bearer()})
    assert r.status_code == 204
    assert _comments(steward_server, NEW) == {"eight"}


def test_post_adds(steward_server, bearer):
    r = _gs(steward_server, "POST", data=NOTE_TTL, headers={**TTL, **bearer()})
    assert r.status_code == 204, r.text
    assert _comments(steward_server, NOTES) >= {"nine", "the first note"}


def test_delete_drops_the_graph(steward_server, bearer):
    assert _gs(steward_server, "DELETE", headers=bearer()).status_code == 204
    assert not steward_server.store.has_graph(NOTES)
    assert _gs(steward_server, "DELETE", headers=bearer()).status_code == 404


@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE"])
def test_writes_need_a_steward_token(steward_server, method, bearer):
    before = steward_server.store.dump(None, "nquads")
    assert _gs(steward_server, method, data=NOTE_TTL, headers=TTL).status_code == 401
    assert _gs(steward_server, method, data=NOTE_TTL,
               headers={**TTL, **bearer("nope")}).status_code == 401
    assert steward_server.store.dump(None, "nquads") == before


@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE"])
def test_writes_are_403_when_updates_are_off(server, method, bearer):
    r = _gs(server, method, data=NOTE_TTL, headers={**TTL, **bearer()})
    assert r.status_code == 403


def test_put_violating_the_shapes_is_422_and_changes_nothing(steward_server, bearer):
    before = steward_server.store.dump(None, "nquads")
    r = _gs(steward_server, "PUT", graph=NEW, data=BAD_PRODUCT, headers={**TTL, **bearer()})
    assert r.status_code == 422
    assert r.json()["detail"]["violations"] >= 1
    assert steward_server.store.dump(None, "nquads") == before


@pytest.mark.parametrize("body, headers, status", [
    (NOTE_TTL, {"Content-Type": "image/png"}, 415),
    (NOTE_TTL, {}, 415),
    (b"<a> <b> .", TTL, 400),
    (b"<urn:x> <urn:y> <urn:z> <urn:other-graph> .", {"Content-Type": "application/n-quads"},
     400),
])
def test_bad_bodies_are_refused(steward_server, body, headers, status, bearer):
    before = steward_server.store.dump(None, "nquads")
    r = _gs(steward_server, "PUT", graph=NEW, data=body, headers={**headers, **bearer()})
    assert r.status_code == status
    assert steward_server.store.dump(None, "nquads") == before


def test_default_graph_cannot_be_written(steward_server, bearer):
    r = _gs(steward_server, "PUT", graph=None, data=NOTE_TTL, headers={**TTL, **bearer()})
    assert r.status_code == 405


def test_body_over_the_limit_is_413(steward_server, bearer):
    big = b"# " + b"x" * (steward_server.settings.max_body + 10) + b"\n" + NOTE_TTL
    r = _gs(steward_server, "PUT", graph=NEW, data=big, headers={**TTL, **bearer()})
    assert r.status_code == 413
    assert not steward_server.store.has_graph(NEW)


def test_update_without_graph_lands_in_the_default_update_graph(tmp_path):
    """INSERT DATA without GRAPH is kept, and readable through the union default graph."""
    from kg.gate import UPDATE_DEFAULT_GRAPH, apply_update
    from kg.store.oxigraph import OxigraphStore
    store = OxigraphStore(tmp_path / "s")
    from kg.validation import asserted_graphs

    def asserted():
        return {g: n for g, n in store.graphs().items() if g in asserted_graphs(store)}

    apply_update(store, 'INSERT DATA { <http://x/a> <http://x/p> "c" }')
    assert asserted() == {UPDATE_DEFAULT_GRAPH: 1}
    assert store.ask('ASK { <http://x/a> <http://x/p> "c" }')
    apply_update(store, 'DELETE DATA { <http://x/a> <http://x/p> "c" }')
    assert asserted() == {}
    store.close()

