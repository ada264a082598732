"""A Graph Store DELETE removes everything the graph brought, on every backend: its
triples, its meta record (which names the file it came from), its entailments, its
search-index entries and words, and the validation status of what it described."""

from __future__ import annotations

import pytest

from kg.config import Settings
from kg.loading import parse_bytes
from kg.namespaces import META_GRAPH
from kg.searchindex import LABELS_GRAPH
from kg.sources import write_parsed
from webapp import create_app
from webapp.auth import hash_token

TOKEN = "drop-steward-token"
GRAPH = "urn:meshkg:graph:import:skos:zoo"
ZEBRA = (b'@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n'
         b'<https://x.org/zs> a skos:ConceptScheme ; skos:prefLabel "Zoo"@en .\n'
         b'<https://x.org/zebra> a skos:Concept ; skos:prefLabel "Quaggazebra"@en ; '
         b'skos:inScheme <https://x.org/zs> .')


def _mentions(store, text: str) -> bool:
    return store.ask("ASK { GRAPH ?g { ?s ?p ?o FILTER(CONTAINS(LCASE(STR(?s)), ?t) || "
                     "CONTAINS(LCASE(STR(?o)), ?t)) } }".replace("?t", f'"{text}"'))


@pytest.mark.contract
def test_graph_store_delete_leaves_nothing_of_the_graph(store, tmp_path):
    parsed = parse_bytes(ZEBRA, "turtle", graph=GRAPH, source="/tmp/meshkg-upload-x/zoo.ttl")
    write_parsed(store, [parsed], kind="import:skos")
    settings = Settings(store=str(tmp_path / "unused"), load_demo=False, updates_enabled=True,
                        steward_tokens=(hash_token(TOKEN),))
    client = create_app(settings, store).test_client()
    assert [s["iri"] for s in client.get("/suggest?q=quagga").get_json()] == [
        "https://x.org/zebra"]
    assert _mentions(store, "meshkg-upload-x") and _mentions(store, "quaggazebra")

    r = client.delete("/graph-store", query_string={"graph": GRAPH},
                      headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 204, r.get_data(as_text=True)
    assert not store.has_graph(GRAPH)
    assert not store.ask(f"ASK {{ GRAPH <{META_GRAPH}> {{ <{GRAPH}> ?p ?o }} }}")
    assert not _mentions(store, "meshkg-upload-x")  # the server's temporary upload path
    assert not _mentions(store, "quagga")  # index entries and words
    assert not _mentions(store, "x.org")  # entailments, validation status
    assert store.has_graph(LABELS_GRAPH)  # the index itself stays
    assert client.get("/suggest?q=quagga").get_json() == []
    found = client.get("/search", query_string={"q": "quaggazebra", "format": "json"})
    assert found.get_json()["concepts"] == []
