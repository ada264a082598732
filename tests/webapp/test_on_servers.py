"""`meshkg serve` on a SPARQL server: the browser's pages, search, the SPARQL endpoint and
the governance API answer over the demo mesh held by each server as over the embedded
store (Flask test client; the demo restored on the server once per module)."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from tests.conftest import SERVER_BACKENDS, server_settings, server_with
from tests.webapp._demo_apps import app_over, demo_copy
from webapp import create_app

P = "https://demo.meshkg.org/id/product/"
C = "https://demo.meshkg.org/id/concept/"
DECISION = {"product": P + "customer-master", "action": "use", "purpose": "CustomerCare",
            "at": "2026-06-01"}


@pytest.fixture(scope="module")
def embedded(_demo_template, tmp_path_factory):
    """The demo on the embedded store, to compare answers with."""
    app, store = app_over(demo_copy(_demo_template[0], tmp_path_factory.mktemp("embedded")))
    yield app.test_client()
    store.close()


@pytest.fixture(scope="module", params=SERVER_BACKENDS)
def client(request, _demo_template):
    store = server_with(request.param, "demo", _demo_template[1])
    settings = server_settings(request.param, load_demo=False)
    yield create_app(settings, store).test_client()
    store.close()


@pytest.mark.parametrize("url, words", [
    ("/", ["Sales", "Customer"]),
    ("/product?" + urlencode({"iri": P + "customer-master"}), ["Customer master"]),
    ("/concept?" + urlencode({"iri": C + "sale"}), ["Sale"]),
    ("/governance", ["meshkg check"]),
])
def test_pages_read_the_server(client, url, words):
    resp = client.get(url)
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert all(w in html for w in words)


def test_search_answers_as_on_the_embedded_store(client, embedded):
    def hits(c):
        data = c.get("/search?q=sale&format=json").get_json()
        return data["total"], data["concepts"], data["results"]
    assert hits(client) == hits(embedded)
    assert hits(client)[0] > 0


def _no_blank_labels(value):
    """The same answer with blank-node labels (each store names them its own way) masked."""
    if isinstance(value, dict):
        return {k: _no_blank_labels(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_no_blank_labels(v) for v in value]
    return "_:" if isinstance(value, str) and value.startswith("_:") else value


def test_decision_api_answers_as_on_the_embedded_store(client, embedded):
    def decide(c):
        resp = c.post("/api/decision", data=json.dumps(DECISION),
                      content_type="application/json")
        return resp.status_code, _no_blank_labels(resp.get_json())
    assert decide(client) == decide(embedded)
    assert decide(client)[1]["outcome"] in ("permit", "deny")


def test_sparql_endpoint_runs_on_the_server(client):
    query = ("SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE "
             "{ ?p a <https://www.omg.org/spec/DPROD/DataProduct> }")
    resp = client.get("/sparql?" + urlencode({"query": query}),
                      headers={"Accept": "application/sparql-results+json"})
    assert resp.status_code == 200
    assert resp.get_json()["results"]["bindings"][0]["n"]["value"] == "33"
