"""Steward curation over the Flask test client: sign-in, CSRF, gated saves, history, conflicts."""

from __future__ import annotations

import re
import threading

import pytest

from kg import accounts, curation
from tests.webapp._stewards import csrf_token, steward_fixtures

EX = "https://example.org/id/"
SALE = EX + "sale"
TOKEN = "curation-steward-token"
ORIGIN = {"Origin": "http://localhost"}
DATA = f"""
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix ex: <{EX}> .
ex:scheme a skos:ConceptScheme ; skos:prefLabel "Test scheme"@en .
ex:sale a skos:Concept ; skos:prefLabel "Sale"@en , "Verkauf"@de ;
  skos:definition "A sale."@en ; skos:inScheme ex:scheme .
"""


_template, app = steward_fixtures("curation-web", DATA, TOKEN)


@pytest.fixture
def client(app):
    return app.test_client()


def signin(client, name="alice", password="alice-password"):
    token = csrf_token(client)
    return client.post("/signin", data={"name": name, "password": password,
                                        "csrf_token": token, "next": "/curate"},
                       headers=ORIGIN)


def _form(client, iri=SALE) -> dict:
    """The posted fields of the concept edit form as the browser would send them."""
    html = client.get(f"/curate/concept?iri={iri}").get_data(as_text=True)
    fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html))
    fields.update(re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', html))
    import html as h
    return {k: h.unescape(v) for k, v in fields.items()}


def _definition(app):
    store = app.extensions["meshkg.store"]
    return curation.concept_values(curation.describe(store, SALE))["labels"][0]["definition"]


def test_reading_needs_no_account_but_the_edit_form_does(client):
    assert client.get("/history").status_code == 200
    assert client.get("/drafts").status_code == 200
    r = client.get(f"/curate/concept?iri={SALE}")
    assert r.status_code == 303 and "/signin" in r.headers["Location"]


def test_wrong_password_is_401_and_session_cookie_is_httponly_lax(client):
    token = csrf_token(client)
    r = client.post("/signin", data={"name": "alice", "password": "nope",
                                     "csrf_token": token}, headers=ORIGIN)
    assert r.status_code == 401
    r = signin(client)
    assert r.status_code == 303
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_edit_form_carries_version_as_etag(client, app):
    signin(client)
    r = client.get(f"/curate/concept?iri={SALE}")
    version = curation.describe(app.extensions["meshkg.store"], SALE).version
    assert r.headers["ETag"] == f'"{version}"'
    assert f'name="version" value="{version}"' in r.get_data(as_text=True)


def test_save_changes_definition_and_records_history(client, app):
    signin(client)
    form = _form(client)
    form.update({"label-0-definition": "A completed sale.", "comment": "sharper"})
    r = client.post("/curate/concept", data=form, headers=ORIGIN)
    assert r.status_code == 303, r.get_data(as_text=True)
    assert _definition(app) == "A completed sale."
    page = client.get(f"/history?iri={SALE}").get_data(as_text=True)
    assert "− &lt;" in page and "+ &lt;" in page and "sharper" in page


@pytest.mark.parametrize("headers, drop_token", [
    (ORIGIN, True), ({"Origin": "https://evil.example"}, False), ({}, False),
    ({"Referer": "https://evil.example/x"}, False)])
def test_forged_or_missing_csrf_is_refused_and_nothing_written(client, app, headers,
                                                               drop_token):
    signin(client)
    form = _form(client)
    form.update({"label-0-definition": "Forged.", "comment": "forged"})
    if drop_token:
        form["csrf_token"] = "forged"
    r = client.post("/curate/concept", data=form, headers=headers)
    assert r.status_code == 403 and "refused" in r.get_data(as_text=True)
    assert _definition(app) == "A sale."


def test_post_without_steward_is_401(client, app):
    token = csrf_token(client)
    r = client.post("/curate/concept", data={"csrf_token": token, "iri": SALE},
                    headers=ORIGIN)
    assert r.status_code == 401


def test_wrong_bearer_token_is_401_and_good_one_saves(client, app):
    desc = curation.describe(app.extensions["meshkg.store"], SALE)
    data = {"iri": SALE, "version": desc.version, "label-0-lang": "en",
            "label-0-pref": "Sale", "label-0-definition": "By token.",
            "in_scheme": EX + "scheme", "comment": "api"}
    r = client.post("/curate/concept", data=data, headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401
    r = client.post("/curate/concept", data=data, headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200 and r.get_json()["saved"] is True
    assert _definition(app) == "By token."


def test_shacl_refused_edit_is_422_keeps_input_and_store(client, app):
    from kg.validation import GatePolicy
    signin(client)
    store = app.extensions["meshkg.store"]
    store.gate_policy = GatePolicy(mode="strict")  # setting gate = "strict"
    before = store.dump(None, "nquads")
    form = _form(client)
    form.update({"broader": SALE, "label-0-definition": "My careful wording.",
                 "comment": "oops"})
    r = client.post("/curate/concept", data=form, headers=ORIGIN)
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "My careful wording." in html
    fieldset = html[html.index("Place in the vocabulary"):html.index('id="relations"')]
    assert "broader than itself" in fieldset  # the finding sits next to the broader field
    assert store.dump(None, "nquads") == before


def test_an_edit_leaving_a_finding_that_does_not_refuse_is_saved_and_shown(client, app):
    """Under the default gate a concept taken out of its scheme is saved, and its Warning
    is kept with it (what `meshkg validate` and the pages read)."""
    from kg.validation import stored_findings
    signin(client)
    form = _form(client)
    form.update({"in_scheme": "", "comment": "unplaced for now"})
    r = client.post("/curate/concept", data=form, headers=ORIGIN)
    assert r.status_code == 303, r.get_data(as_text=True)[:2000]
    store = app.extensions["meshkg.store"]
    assert len(curation.history(store, SALE)) == 1
    assert ("Warning", "ConceptInSchemeShape") in {
        (f.severity, f.shape.rsplit("#", 1)[1]) for f in stored_findings(store, SALE)}


def test_new_resource_with_javascript_iri_is_400(client, app):
    signin(client)
    token = csrf_token(client, "/curate/concept")
    r = client.post("/curate/concept", data={
        "csrf_token": token, "iri": "javascript:alert(1)", "label-0-lang": "en",
        "label-0-pref": "X", "in_scheme": EX + "scheme", "comment": "c"}, headers=ORIGIN)
    assert r.status_code == 400 and "not an http, https or urn IRI" in r.get_data(as_text=True)
    assert not curation.describe(app.extensions["meshkg.store"], "javascript:alert(1)").exists


def test_history_revert_restores(client, app):
    signin(client)
    form = _form(client)
    form.update({"label-0-definition": "Temporary.", "comment": "try"})
    client.post("/curate/concept", data=form, headers=ORIGIN)
    [change] = curation.history(app.extensions["meshkg.store"], SALE)
    token = csrf_token(client, f"/history?iri={SALE}")
    r = client.post("/history/revert", data={"csrf_token": token, "change": change.id,
                                             "comment": "undo"}, headers=ORIGIN)
    assert r.status_code == 303
    assert _definition(app) == "A sale."


def test_two_concurrent_edits_one_gets_409_with_both_versions(app):
    clients = [app.test_client() for _ in range(2)]
    forms = []
    for i, c in enumerate(clients):
        signin(c)
        f = _form(c)
        f.update({"label-0-definition": f"Version {i}.", "comment": f"edit {i}"})
        forms.append(f)
    barrier, codes, bodies = threading.Barrier(2), {}, {}

    def post(i):
        barrier.wait()
        r = clients[i].post("/curate/concept", data=forms[i], headers=ORIGIN)
        codes[i], bodies[i] = r.status_code, r.get_data(as_text=True)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(codes.values()) == [303, 409]
    loser = next(i for i, c in codes.items() if c == 409)
    winner = 1 - loser
    assert _definition(app) == f"Version {winner}."
    assert f"Version {loser}." in bodies[loser] and f"Version {winner}." in bodies[loser]


def test_admin_adds_and_removes_accounts_steward_may_not(client, app):
    signin(client)
    assert client.get("/admin/accounts").status_code == 403
    admin = app.test_client()
    signin(admin, "root", "root-password")
    token = csrf_token(admin, "/admin/accounts")
    r = admin.post("/admin/accounts", data={"csrf_token": token, "action": "add",
                                            "name": "bob", "password": "bob-password-1",
                                            "role": "steward"}, headers=ORIGIN)
    assert r.status_code == 200
    path = app.config["MESHKG_ACCOUNTS_FILE"]
    assert accounts.authenticate(path, "bob", "bob-password-1") is not None
    from pathlib import Path
    assert "bob-password-1" not in Path(path).read_text(encoding="utf-8")
    admin.post("/admin/accounts", data={"csrf_token": token, "action": "remove",
                                        "name": "bob"}, headers=ORIGIN)
    assert "bob" not in accounts.load(path)


@pytest.mark.parametrize("kind", ["concept", "product"])
def test_the_new_resource_forms_open_for_a_steward(client, kind):
    """The form for a new concept or product (no ?iri=) opens empty (it answered 500
    for a product: the parts of a product without an IRI were looked up by IRI)."""
    signin(client)
    r = client.get(f"/curate/{kind}")
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    assert 'name="csrf_token"' in r.get_data(as_text=True)
