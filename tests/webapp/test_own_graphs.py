"""meshkg's own graphs (history, meta, findings, entailments, index, vocabularies) are
written by meshkg only: every HTTP write that can name a graph refuses them (403), to
every role; and a Graph Store DELETE removes all the graph brought (issue "Nothing
acknowledged is lost, the audit trail cannot be forged")."""

from __future__ import annotations

import io

import pyoxigraph as ox
import pytest

from kg import curation
from kg.namespaces import META_GRAPH, is_managed_graph
from kg.searchindex import LABELS_GRAPH
from tests.webapp._stewards import csrf_token, steward_fixtures

EX = "https://example.org/id/"
SALE = EX + "sale"
TOKEN = "own-graphs-steward-token"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
ORIGIN = {"Origin": "http://localhost"}
HISTORY = "urn:meshkg:graph:history"
GOVERNANCE = "urn:meshkg:graph:governance"
DATA = f"""
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix ex: <{EX}> .
ex:scheme a skos:ConceptScheme ; skos:prefLabel "Test scheme"@en .
ex:sale a skos:Concept ; skos:prefLabel "Sale"@en ; skos:inScheme ex:scheme .
"""
#: one of each kind of graph meshkg keeps for itself
OWN = [HISTORY, META_GRAPH, "urn:meshkg:graph:validation", "urn:meshkg:graph:inferred:x",
       "urn:meshkg:graph:inferred:index:labels", "urn:meshkg:graph:vocab:skos-core",
       "urn:meshkg:graph:ontology", "urn:meshkg:graph:staging:x", GOVERNANCE]
FORGED = b"<urn:meshkg:change:forged> <http://www.w3.org/2000/01/rdf-schema#comment> \"x\" ."
TTL = {"Content-Type": "text/turtle"}


_template, app = steward_fixtures("own-graphs", DATA, TOKEN, updates_enabled=True)


@pytest.fixture
def store(app):
    return app.extensions["meshkg.store"]


def _signed_in(app, name: str):
    client = app.test_client()
    client.post("/signin", data={"name": name, "password": f"{name}-password",
                                 "csrf_token": csrf_token(client), "next": "/curate"},
                headers=ORIGIN)
    return client


def _snapshot(store) -> bytes:
    return store.dump(None, "nquads")


# -- Graph Store PUT / POST / DELETE -------------------------------------------------


@pytest.mark.parametrize("graph", OWN)
@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE"])
def test_graph_store_refuses_writes_to_meshkg_own_graphs(app, store, method, graph):
    store.write_quads({HISTORY: list(ox.parse(FORGED.replace(b" .", b" <" + HISTORY.encode()
                                                             + b"> ."),
                                              format=ox.RdfFormat.N_QUADS))})
    before = _snapshot(store)
    r = app.test_client().open("/graph-store", method=method, query_string={"graph": graph},
                               data=FORGED, headers={**BEARER, **TTL})
    assert r.status_code == 403, r.get_data(as_text=True)
    assert graph in r.get_json()["error"]
    assert _snapshot(store) == before


@pytest.mark.parametrize("who", ["alice", "root"])
@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE"])
def test_graph_store_refuses_signed_in_stewards_and_admins_too(app, store, who, method):
    """A session never authorizes a Graph Store write (a steward token does), whatever
    the graph; for meshkg's own graphs not even a token does (above)."""
    before = _snapshot(store)
    client = _signed_in(app, who)
    r = client.open("/graph-store", method=method, query_string={"graph": HISTORY},
                    data=FORGED, headers={**ORIGIN, **TTL})
    assert r.status_code in (401, 403), r.get_data(as_text=True)
    assert _snapshot(store) == before


@pytest.mark.parametrize("graph", ["urn:meshkg:graph:import:mine", "urn:meshkg:graph:curated:x",
                                   "urn:example:notes"])
def test_graph_store_still_writes_users_graphs(app, store, graph):
    assert not is_managed_graph(graph)
    r = app.test_client().put("/graph-store", query_string={"graph": graph}, data=FORGED,
                              headers={**BEARER, **TTL})
    assert r.status_code == 201, r.get_data(as_text=True)
    assert store.has_graph(graph)


# -- SPARQL Update (kg.gate.apply_update) ---------------------------------------------


@pytest.mark.parametrize("update", [
    f"DROP GRAPH <{HISTORY}>",
    f"CLEAR GRAPH <{HISTORY}>",
    "CLEAR ALL",
    "DROP ALL",
    "CLEAR NAMED",
    f'INSERT DATA {{ GRAPH <{HISTORY}> {{ <urn:x:a> <urn:x:p> "forged" }} }}',
    f"DELETE WHERE {{ GRAPH <{HISTORY}> {{ ?s ?p ?o }} }}",
    f"DELETE {{ GRAPH <{META_GRAPH}> {{ ?s ?p ?o }} }} "
    f"WHERE {{ GRAPH <{META_GRAPH}> {{ ?s ?p ?o }} }}",
    f"COPY <urn:test:c> TO <{HISTORY}>",
    f"ADD <urn:test:c> TO <{META_GRAPH}>",
    f"MOVE <{HISTORY}> TO <urn:test:moved>",
])
def test_sparql_update_refuses_meshkg_own_graphs(app, store, update):
    curation.save(store, SALE, curation.describe(store, SALE).triples(), steward="alice",
                  comment="a first record", version=None)
    store.write_quads({}, add=list(ox.parse(
        FORGED.replace(b" .", b" <" + HISTORY.encode() + b"> ."), format=ox.RdfFormat.N_QUADS)))
    history = store.dump(HISTORY, "nquads")
    meta = store.dump(META_GRAPH, "nquads")
    r = app.test_client().post("/sparql", data={"update": update}, headers=BEARER)
    assert r.status_code == 403, r.get_data(as_text=True)
    assert store.dump(HISTORY, "nquads") == history
    assert store.dump(META_GRAPH, "nquads") == meta


# -- curation: forms, revert, publish --------------------------------------------------


def _govern_sale(store) -> bytes:
    """Put a statement about SALE into one of meshkg's own (but "editable") graphs."""
    store.write_quads({GOVERNANCE: [ox.Quad(ox.NamedNode(SALE),
                                            ox.NamedNode("http://www.w3.org/2004/02/skos/core#note"),
                                            ox.Literal("kept by meshkg"),
                                            ox.NamedNode(GOVERNANCE))]})
    return store.dump(GOVERNANCE, "nquads")


def _sale_form(store, comment="forged") -> dict:
    desc = curation.describe(store, SALE)
    return {"iri": SALE, "version": desc.version, "label-0-lang": "en",
            "label-0-pref": "Sale", "label-0-definition": "Rewritten.",
            "in_scheme": EX + "scheme", "comment": comment}


def _refused_as(app, who: str, form_page: str, action: str, data: dict) -> None:
    """Post `data` to `action` as the steward token or a signed-in `who` (with the CSRF
    token of `form_page`) and expect a 403 that names the governance graph."""
    if who == "token":
        client, headers = app.test_client(), BEARER
    else:
        client, headers = _signed_in(app, who), ORIGIN
        data["csrf_token"] = csrf_token(client, form_page)
    r = client.post(action, data=data, headers=headers)
    assert r.status_code == 403, r.get_data(as_text=True)
    assert GOVERNANCE in r.get_data(as_text=True)


@pytest.mark.parametrize("who", ["token", "alice", "root"])
def test_curation_form_refuses_a_resource_held_in_meshkg_own_graph(app, store, who):
    kept = _govern_sale(store)
    before = _snapshot(store)
    _refused_as(app, who, f"/curate/concept?iri={SALE}", "/curate/concept", _sale_form(store))
    assert store.dump(GOVERNANCE, "nquads") == kept
    assert _snapshot(store) == before


def _forge_change(store) -> str:
    """Record a real change, then rewrite its record to name one of meshkg's own graphs
    (a record forged before writes to the history graph were refused)."""
    triples = curation.describe(store, SALE).triples()
    triples.append((ox.NamedNode(SALE), ox.NamedNode("http://www.w3.org/2004/02/skos/core#note"),
                    ox.Literal("edited")))
    change = curation.save(store, SALE, triples, steward="alice", comment="a note",
                           version=None)
    curated = next(iter(change.added)).graph_name.value
    text = store.dump(HISTORY, "nquads").decode("utf-8").replace(curated, GOVERNANCE)
    store.write_quads({HISTORY: list(ox.parse(text.encode("utf-8"),
                                              format=ox.RdfFormat.N_QUADS))})
    return change.id


@pytest.mark.parametrize("who", ["token", "alice", "root"])
def test_revert_refuses_a_change_that_names_meshkg_own_graph(app, store, who):
    change_id = _forge_change(store)
    before = _snapshot(store)
    _refused_as(app, who, f"/history?iri={SALE}", "/history/revert",
                {"change": change_id, "comment": "undo"})
    assert _snapshot(store) == before


def test_publish_refuses_a_resource_held_in_meshkg_own_graph(app, store):
    _govern_sale(store)
    before = _snapshot(store)
    r = app.test_client().post("/drafts/publish", data={"iri": SALE, "comment": "go"},
                               headers=BEARER)
    assert r.status_code == 403, r.get_data(as_text=True)
    assert GOVERNANCE in r.get_data(as_text=True)
    assert _snapshot(store) == before


# -- uploads ---------------------------------------------------------------------------


def test_import_writes_only_users_graphs_whatever_graph_it_is_given(app, store):
    skos = (b'@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n'
            b'<https://x.org/s> a skos:ConceptScheme ; skos:prefLabel "S"@en .\n'
            b'<https://x.org/c> a skos:Concept ; skos:prefLabel "Okapi"@en ; '
            b'skos:inScheme <https://x.org/s> .')
    history = store.dump(HISTORY, "nquads") if store.has_graph(HISTORY) else b""
    r = app.test_client().post(
        "/import", data={"kind": "skos", "graph": HISTORY,
                         "file": [(io.BytesIO(skos), "history.ttl")]},
        headers={**BEARER, "Accept": "application/json"}, content_type="multipart/form-data")
    assert r.status_code == 200, r.get_data(as_text=True)
    [src] = r.get_json()["sources"]
    assert src["graphs"] and not any(is_managed_graph(g) for g in src["graphs"])
    assert (store.dump(HISTORY, "nquads") if store.has_graph(HISTORY) else b"") == history


# -- Graph Store DELETE removes everything the graph brought ---------------------------

ZEBRA = (b'@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n'
         b'<https://x.org/zs> a skos:ConceptScheme ; skos:prefLabel "Zoo"@en .\n'
         b'<https://x.org/zebra> a skos:Concept ; skos:prefLabel "Quaggazebra"@en ; '
         b'skos:inScheme <https://x.org/zs> .')


def _meta_of(store, graph: str) -> list:
    return store.query(f"SELECT ?p ?o WHERE {{ GRAPH <{META_GRAPH}> {{ <{graph}> ?p ?o }} }}"
                       ).rows


def _words(store, word: str) -> list:
    return store.query(f"SELECT ?w WHERE {{ GRAPH <{LABELS_GRAPH}> {{ ?w ?p {word!r} }} }}"
                       ).rows


def _found(client, label: str) -> bool:
    suggested = [s["iri"] for s in client.get("/suggest", query_string={"q": label}).get_json()]
    found = client.get("/search", query_string={"q": label, "format": "json"}).get_json()
    return "https://x.org/zebra" in suggested + [c["iri"] for c in found["concepts"]]


def test_graph_store_delete_removes_the_graph_meta_record_and_index_words(app, store):
    client = app.test_client()
    r = client.post("/import", data={"kind": "skos", "file": [(io.BytesIO(ZEBRA), "zoo.ttl")]},
                    headers={**BEARER, "Accept": "application/json"},
                    content_type="multipart/form-data")
    assert r.status_code == 200, r.get_data(as_text=True)
    graph = r.get_json()["sources"][0]["graph"]
    assert _meta_of(store, graph) and _words(store, "quaggazebra")
    assert _found(client, "quaggazebra")
    r = client.delete("/graph-store", query_string={"graph": graph}, headers=BEARER)
    assert r.status_code == 204, r.get_data(as_text=True)
    assert not store.has_graph(graph)
    assert _meta_of(store, graph) == []  # the server's temporary upload path with it
    assert _words(store, "quaggazebra") == []
    assert not _found(client, "quaggazebra") and not _found(client, "quagga")


def test_graph_store_put_then_delete_leaves_nothing_of_the_graph(app, store):
    client = app.test_client()
    graph = "urn:example:zoo"
    r = client.put("/graph-store", query_string={"graph": graph}, data=ZEBRA,
                   headers={**BEARER, **TTL})
    assert r.status_code == 201, r.get_data(as_text=True)
    assert _found(client, "quagga")
    r = client.delete("/graph-store", query_string={"graph": graph}, headers=BEARER)
    assert r.status_code == 204
    assert _meta_of(store, graph) == [] and _words(store, "quagga") == []
    assert not _found(client, "quagga")
    assert not any(graph in g for g in store.graphs())  # its entailment graph too
    # nor any statement about what it described (its validation status included)
    assert not store.ask("ASK { GRAPH ?g { { <https://x.org/zebra> ?p ?o } "
                         "UNION { ?s ?p <https://x.org/zebra> } } }")
