"""The governance API and pages through the Flask test client over the demo mesh:
/api/decision answers as `meshkg may --json` does, the "may I?" page, the dashboard."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from urllib.parse import urlencode

import pytest

from kg.config import Settings
from kg.governance import check_shapes, check_store
from kg.store.oxigraph import OxigraphStore
from webapp import create_app

P = "https://demo.meshkg.org/id/product/"
EUROPE = "http://publications.europa.eu/resource/authority/continent/EUROPE"
CARD_PARTNER = "https://demo.meshkg.org/id/agent/hanseatic-card-services"

CASES = [
    {"product": P + "customer-master", "action": "use", "purpose": "CustomerCare",
     "spatial": EUROPE, "at": "2026-06-01"},
    {"product": P + "customer-master", "action": "distribute", "purpose": "dpv:CustomerCare",
     "at": "2026-06-01"},
    {"product": P + "customer-master", "action": "use", "purpose": "Marketing",
     "at": "2026-06-01T10:00:00+00:00"},
    {"product": P + "loyalty-membership", "action": "read", "purpose": "PersonalisedBenefits",
     "party": CARD_PARTNER, "at": "2026-06-01"},
    {"product": P + "churn-risk-scores", "action": "derive",
     "purpose": "https://w3id.org/dpv#CustomerRelationshipManagement", "at": "2026-06-01"},
    {"product": P + "customer-segments", "action": "aggregate", "purpose": "Marketing",
     "at": "2026-06-01"},
]


def _cli(store_path, case: dict) -> tuple[int, dict]:
    args = ["may", "--json"]
    for key, value in case.items():
        args += [f"--{key}", value]
    env = dict(os.environ, MESHKG_STORE=str(store_path))
    proc = subprocess.run([sys.executable, "-m", "kg.cli", *args], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode in (0, 1, 4), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


@pytest.fixture(scope="module")
def demo(tmp_path_factory, _demo_template):
    """The demo mesh on disk, with the CLI's answers taken while no one else holds it."""
    path = tmp_path_factory.mktemp("governance") / "store"
    shutil.copytree(_demo_template[0], path)  # as load_demo leaves it, built once
    answers = [_cli(path, case) for case in CASES]
    store = OxigraphStore(path)
    app = create_app(Settings(store=str(path), load_demo=False), store)
    yield app, store, answers
    store.close()


@pytest.fixture
def client(demo):
    return demo[0].test_client()


@pytest.mark.parametrize("n", range(len(CASES)))
def test_api_decision_equals_cli_answer(demo, client, n):
    code, cli_answer = demo[2][n]
    resp = client.post("/api/decision", json=CASES[n])
    assert resp.status_code == 200
    assert resp.get_json() == cli_answer
    assert code == {"permit": 0, "deny": 1, "not-applicable": 4}[cli_answer["outcome"]]


def test_cli_and_api_cover_every_outcome(demo):
    assert {a["outcome"] for _, a in demo[2]} == {"permit", "deny", "not-applicable"}


@pytest.mark.parametrize("body, content_type", [
    ("{not json", "application/json"), ("", "application/json"), ("[1, 2]", "application/json"),
    ('{"product": "x"}', "application/json"), ('{"action": "use"}', "text/plain"),
])
def test_api_decision_bad_body_is_400(client, body, content_type):
    resp = client.post("/api/decision", data=body, content_type=content_type)
    assert resp.status_code == 400
    assert resp.get_json()["status"] == 400


def test_api_decision_unknown_purpose_is_400_with_choices(client):
    resp = client.post("/api/decision", json={**CASES[0], "purpose": "Nonsense"})
    assert resp.status_code == 400 and "unknown purpose" in resp.get_json()["error"]


def test_api_decision_unknown_product_is_404(client):
    resp = client.post("/api/decision", json={"product": P + "nothing", "action": "use"})
    assert resp.status_code == 404
    assert "unknown product" in resp.get_json()["error"]


def test_may_page_explains_in_plain_words_without_js(client):
    query = {"product": P + "customer-master", "action": "distribute",
             "purpose": "https://w3id.org/dpv#CustomerCare", "at": "2026-06-01"}
    html = client.get("/governance/may?" + urlencode(query)).get_data(as_text=True)
    assert "Denied." in html and "No sale or transfer to third parties" in html
    assert 'action="/governance/may" method="get"' in html
    assert '<option value="https://w3id.org/dpv#CustomerCare" selected>' in html
    assert '<option value="distribute" selected>' in html


def test_may_page_free_purpose_iri_wins_over_the_select(client):
    query = {"product": P + "customer-master", "action": "use",
             "purpose": "https://w3id.org/dpv#CustomerCare",
             "purpose_iri": "https://w3id.org/dpv#Marketing", "at": "2026-06-01"}
    html = client.get("/governance/may?" + urlencode(query)).get_data(as_text=True)
    assert "dpv:Marketing does not match odrl:isA dpv:CustomerManagement" in html
    assert 'name="purpose_iri" placeholder="https://w3id.org/dpv#…"' in html


def test_may_page_shows_usage_errors_as_text_with_400(client):
    query = {"product": P + "customer-master", "action": "use",
             "party": '"><script>alert(1)</script>'}
    resp = client.get("/governance/may?" + urlencode(query))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "party must be an IRI" in html
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html


def test_may_page_unknown_product_is_404(client):
    resp = client.get("/governance/may?" + urlencode({"product": P + "nothing",
                                                      "action": "use"}))
    assert resp.status_code == 404


def test_dashboard_shows_counts_and_trend_after_checks(demo, client):
    app, store, _ = demo
    html = client.get("/governance").get_data(as_text=True)
    if "No check has been recorded yet" in html:
        check_store(store, check_shapes())
    check_store(store, check_shapes())
    html = client.get("/governance").get_data(as_text=True)
    assert '<a href="/governance/domain/customer">Customer</a>' in html
    assert "<td>6 of 6</td>" in html and "6 → 6" in html
    assert '<svg class="sparkline"' in html
    page = client.get("/governance/domain/customer")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "6 of 6 products pass" in text and P + "customer-master" in text
    assert client.get("/governance/domain/atlantis").status_code == 404


def test_before_any_check_the_dashboard_shows_the_findings_loads_kept(embedded_store, tmp_path):
    """A load keeps the Violations that do not refuse (here a product without a
    description); the governance page shows them before anyone runs `meshkg check`."""
    from pathlib import Path

    from kg.sources import ensure_vocabularies, load_files
    vocab_store = embedded_store
    ensure_vocabularies(vocab_store)
    mesh = Path(__file__).parents[1] / "data" / "standard" / "mesh.ttl"
    text = mesh.read_text(encoding="utf-8").replace(
        '  dct:description "Every till receipt from our physical stores, by day and store."@en ;\n',
        "")
    data = tmp_path / "mesh.ttl"
    data.write_text(text, encoding="utf-8")
    load_files(vocab_store, [data])
    app = create_app(Settings(store="memory", load_demo=False), store=vocab_store)
    html = app.test_client().get("/governance").get_data(as_text=True)
    assert "No check has been recorded yet" in html
    kept = html[html.index("Findings kept on loads"):]
    assert "store-sales (1/" in kept and "/domain?iri=" in kept
    assert "customers (0/" in kept  # warnings only: listed, no violation
