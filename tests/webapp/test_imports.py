"""Steward uploads at /import and the standard exports at /export/..."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
import yaml

from kg.config import Settings
from kg.store.oxigraph import OxigraphStore
from webapp import create_app
from webapp.auth import hash_token

DATA = Path(__file__).resolve().parents[1] / "data"
TOKEN = "steward-secret-for-imports"


@pytest.fixture(scope="module")
def _demo(_demo_template):
    """The demo mesh's store folder (the session's template, copied by `_app`)."""
    return _demo_template[0]


def _app(template, tmp_path, **overrides):
    shutil.copytree(template, tmp_path / "store")
    store = OxigraphStore(tmp_path / "store")
    settings = Settings(**{"store": str(tmp_path / "store"), "load_demo": False,
                           "steward_tokens": (hash_token(TOKEN),), **overrides})
    app = create_app(settings, store=store)
    app.config["TESTING"] = True
    return app, store


@pytest.fixture
def client(_demo, tmp_path):
    app, store = _app(_demo, tmp_path, updates_enabled=True)
    yield app.test_client(), store
    store.close()


def _post(client, kind, files, token=TOKEN, accept="application/json"):
    data = {"kind": kind, "file": [(io.BytesIO(body), name) for name, body in files]}
    headers = {"Accept": accept}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return client.post("/import", data=data, headers=headers, content_type="multipart/form-data")


def test_upload_page_renders(client):
    c, _ = client
    r = c.get("/import")
    assert r.status_code == 200 and b"/export/dcat-ap.ttl" in r.data


def test_upload_drafts_a_product(client):
    c, store = client
    body = (DATA / "exchange" / "customers.csv").read_bytes()
    r = _post(c, "draft", [("customers.csv", body)])
    assert r.status_code == 200, r.json
    src = r.json["sources"][0]
    assert src["ok"] and src["graph"] == "urn:meshkg:graph:import:draft:customers"
    assert store.has_graph(src["graph"])
    # a steward reviewing the draft sees the personal-data suggestions with their evidence
    res = store.query("PREFIX dprod: <https://www.omg.org/spec/DPROD/> SELECT ?p WHERE { "
                      "GRAPH ?g { ?p a dprod:DataProduct } }",
                      default_graphs=None, named_graphs=[src["graph"]])
    product = str(res.rows[0]["p"])
    page = c.get("/product", query_string={"iri": product}).get_data(as_text=True)
    assert "suggested:" in page and "confidence" in page
    assert "draft" in page.lower()


def test_upload_without_token_is_refused(client):
    c, store = client
    before = store.graphs()
    r = _post(c, "draft", [("x.csv", b"a,b\n1,2\n")], token=None)
    assert r.status_code == 401
    assert store.graphs() == before


def test_uploads_disabled_by_default(_demo, tmp_path):
    app, store = _app(_demo, tmp_path)
    r = _post(app.test_client(), "draft", [("x.csv", b"a,b\n1,2\n")])
    assert r.status_code == 403
    store.close()


@pytest.mark.parametrize("name", [
    "../../etc/passwd.csv", "/abs/x.csv", "..", ".hidden.csv",
    # a name with a backslash, escaped in the header's quoted string (RFC 9110 quoted-pair):
    # every Werkzeug hands the app a name that still holds a backslash
    pytest.param("a\\\\b.csv", id="a-escaped-backslash-b.csv")])
def test_upload_names_that_are_paths_fail_alone(client, name):
    c, store = client
    r = _post(c, "draft", [(name, b"a,b\n1,2\n"), ("good.csv", b"order_id,qty\n1,2\n")])
    assert r.status_code == 207, r.json
    bad, good = r.json["sources"]
    assert not bad["ok"] and good["ok"]
    assert "is a path" in bad["error"]


def test_upload_name_with_a_raw_backslash_is_refused_or_stays_a_plain_name(client):
    """A browser puts a backslash in the quoted file name as it is (the HTML form encoding
    escapes only quotes and line breaks). Werkzeug up to 3.1.8 hands the app `a\\b.csv`,
    which is refused as a path; 3.1.9 reads the backslash as a quoted-pair and hands it
    `ab.csv`, a plain name, which is imported. Either way the steward sees the other file
    imported, and nothing reported or stored carries a path."""
    c, store = client
    before = set(store.graphs())
    r = _post(c, "draft", [("a\\b.csv", b"a,b\n1,2\n"), ("good.csv", b"order_id,qty\n1,2\n")])
    assert r.status_code in (200, 207), r.json
    by_name = {s["source"]: s for s in r.json["sources"]}
    good = by_name.pop("good.csv")
    (odd,) = by_name.values()
    assert good["ok"]
    if odd["ok"]:
        assert "\\" not in odd["source"] and "/" not in odd["source"], odd
    else:
        assert odd["source"] == "a\\b.csv" and "is a path" in odd["error"], odd
    added = set(store.graphs()) - before
    assert good["graph"] in added
    assert not any("\\" in g for g in added), added


def test_wrong_file_type_reports_per_file(client):
    c, store = client
    r = _post(c, "odcs", [("bad.odcs.yaml", b"kind: Nope\n"), ("x.odcs.yaml", b"\x00\x01")])
    assert r.status_code == 422
    assert all(not s["ok"] for s in r.json["sources"])


def test_exports_download(client):
    c, _ = client
    r = c.get("/export/dcat-ap.ttl")
    assert r.status_code == 200 and b"dcat:Catalog" in r.data
    r = c.get("/export/dprod.jsonld")
    assert r.status_code == 200 and r.json["@context"]
    r = c.get("/export/odcs/Store sales")
    assert r.status_code == 200
    assert yaml.safe_load(r.data)["kind"] == "DataContract"
    r = c.get("/export/skos?scheme=https://demo.meshkg.org/id/scheme/retail-parties")
    assert r.status_code == 200 and b"Customer" in r.data
    assert c.get("/export/odcs/no such product").status_code == 404
    assert c.get("/export/skos").status_code == 400


@pytest.mark.parametrize("mapped", [False, True], ids=["unmapped", "mapped"])
def test_a_remote_json_ld_context_is_read_from_the_file_the_settings_map(_demo, tmp_path, mapped):
    """The setting jsonld_contexts holds for the web app's writes as for the CLI: a body
    naming a remote context is refused (never fetched) unless the setting maps it."""
    context = tmp_path / "remote-context.jsonld"
    context.write_text('{"@context": {"p": "http://example.org/p"}}', encoding="utf-8")
    extra = {"jsonld_contexts": (f"http://example.org/remote-context.jsonld={context}",)}
    app, store = _app(_demo, tmp_path, updates_enabled=True, **(extra if mapped else {}))
    try:
        body = (DATA / "hostile" / "remote-context.jsonld").read_bytes()
        r = app.test_client().put("/graph-store?graph=urn:test:remote", data=body,
                                  headers={"Content-Type": "application/ld+json",
                                           "Authorization": f"Bearer {TOKEN}"})
        held = store.ask('ASK { GRAPH <urn:test:remote> { <http://example.org/a> '
                         '<http://example.org/p> "x" } }')
        if mapped:
            assert r.status_code in (201, 204), r.get_data(as_text=True)
            assert held
        else:
            assert r.status_code == 400
            assert "remote-context.jsonld is not fetched" in r.get_data(as_text=True)
            assert not held
    finally:
        store.close()
