"""CSRF is checked on every cookie-authenticated state change, whatever other headers
arrive: only a valid `Authorization: Bearer` steward token makes a request
token-authenticated (and then the session cookie is not used at all). Browsers send a
cached `Authorization: Basic` (a proxy's password) on their own, so it must not skip
the check (issue "Nothing acknowledged is lost, the audit trail cannot be forged")."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from kg import curation
from tests.webapp._stewards import csrf_token, steward_fixtures

EX = "https://example.org/id/"
SALE = EX + "sale"
TOKEN = "csrf-steward-token"
BASIC = {"Authorization": "Basic YWxpY2U6cHJveHktcGFzc3dvcmQ="}  # alice:proxy-password
SAME = {"Origin": "http://localhost"}
EVIL = {"Origin": "https://evil.example"}
DATA = f"""
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix ex: <{EX}> .
ex:scheme a skos:ConceptScheme ; skos:prefLabel "Test scheme"@en .
ex:sale a skos:Concept ; skos:prefLabel "Sale"@en ; skos:definition "A sale."@en ;
  skos:inScheme ex:scheme .
"""


_template, app = steward_fixtures("csrf", DATA, TOKEN, updates_enabled=True)


def _signed_in(app, name="alice"):
    client = app.test_client()
    r = client.post("/signin", data={"name": name, "password": f"{name}-password",
                                     "csrf_token": csrf_token(client), "next": "/curate"},
                    headers=SAME)
    assert r.status_code == 303
    return client


def _state(app) -> tuple[bytes, str]:
    store = app.extensions["meshkg.store"]
    return store.dump(None, "nquads"), Path(app.config["MESHKG_ACCOUNTS_FILE"]).read_text()


def _concept_form(app) -> dict:
    desc = curation.describe(app.extensions["meshkg.store"], SALE)
    return {"iri": SALE, "version": desc.version, "label-0-lang": "en",
            "label-0-pref": "Sale", "label-0-definition": "Forged.",
            "in_scheme": EX + "scheme", "comment": "forged"}


def _change(app) -> str:
    store = app.extensions["meshkg.store"]
    triples = curation.describe(store, SALE).triples()
    return curation.save(store, SALE, triples, steward="alice", comment="move to curated",
                         version=None).id


#: every POST route of the browser that changes state, with a form a steward would send
ROUTES = {
    "concept": ("/curate/concept", "alice", _concept_form),
    "product": ("/curate/product", "alice",
                lambda app: {"iri": EX + "forged-product", "label": "Forged",
                             "comment": "forged"}),
    "revert": ("/history/revert", "alice",
               lambda app: {"change": _change(app), "comment": "forged"}),
    "publish": ("/drafts/publish", "alice", lambda app: {"iri": SALE, "comment": "forged"}),
    "accounts": ("/admin/accounts", "root",
                 lambda app: {"action": "add", "name": "mallory",
                              "password": "mallory-password-1", "role": "admin"}),
    "signout": ("/signout", "alice", lambda app: {}),
    "signin": ("/signin", "alice",
               lambda app: {"name": "root", "password": "root-password", "next": "/curate"}),
}


@pytest.mark.parametrize("origin", [EVIL, SAME, {}], ids=["cross-origin", "same-origin",
                                                          "no-origin"])
@pytest.mark.parametrize("route", sorted(ROUTES))
def test_basic_authorization_does_not_skipcsrf_token(app, route, origin):
    """A signed-in session plus `Authorization: Basic …`, without the form's CSRF token
    (or from another origin): 403, nothing written."""
    path, who, form = ROUTES[route]
    client = _signed_in(app, who)
    data = form(app)
    before = _state(app)
    r = client.post(path, data=data, headers={**BASIC, **origin})
    assert r.status_code == 403, r.get_data(as_text=True)
    assert "refused" in r.get_data(as_text=True)
    assert _state(app) == before
    if route in ("signout", "signin"):  # the session was not touched either
        assert client.get("/curate").status_code == 200
        assert client.get("/admin/accounts").status_code == 403  # still alice


@pytest.mark.parametrize("route", sorted(set(ROUTES) - {"signout", "signin"}))
def test_basic_authorization_with_a_forged_token_from_another_origin_is_refused(app, route):
    path, who, form = ROUTES[route]
    client = _signed_in(app, who)
    data = {**form(app), "csrf_token": "forged"}
    before = _state(app)
    r = client.post(path, data=data, headers={**BASIC, **EVIL})
    assert r.status_code == 403
    assert _state(app) == before


def test_basic_authorization_with_the_csrf_token_saves_as_the_signed_in_steward(app):
    """The session is what authenticates such a request: with its token it is a form
    post like any other (a redirect, not the JSON answer of a bearer client)."""
    client = _signed_in(app)
    data = {**_concept_form(app), "label-0-definition": "Sharper.",
            "csrf_token": csrf_token(client, f"/curate/concept?iri={SALE}")}
    r = client.post("/curate/concept", data=data, headers={**BASIC, **SAME})
    assert r.status_code == 303, r.get_data(as_text=True)
    [change] = curation.history(app.extensions["meshkg.store"], SALE)
    assert change.steward == "alice"


def test_a_wrong_bearer_token_never_falls_back_to_the_session(app):
    client = _signed_in(app)
    before = _state(app)
    data = {**_concept_form(app), "csrf_token": csrf_token(client, f"/curate/concept?iri={SALE}")}
    r = client.post("/curate/concept", data=data,
                    headers={"Authorization": "Bearer wrong", **SAME})
    assert r.status_code == 401
    assert _state(app) == before


def test_a_valid_bearer_token_needs_no_csrf_and_is_not_the_session(app):
    client = _signed_in(app)
    r = client.post("/curate/concept", data=_concept_form(app),
                    headers={"Authorization": f"Bearer {TOKEN}", **EVIL})
    assert r.status_code == 200 and r.get_json()["saved"] is True
    [change] = curation.history(app.extensions["meshkg.store"], SALE)
    assert change.steward == "token"


@pytest.mark.parametrize("origin", [EVIL, SAME])
def test_import_by_a_signed_in_steward_with_basic_authorization_is_refused(app, origin):
    """Uploads take a bearer token only (header or form field), never the session."""
    client = _signed_in(app)
    before = _state(app)
    skos = b'<https://x.org/c> a <http://www.w3.org/2004/02/skos/core#Concept> .'
    r = client.post("/import", data={"kind": "skos", "file": [(io.BytesIO(skos), "c.ttl")]},
                    headers={**BASIC, **origin, "Accept": "application/json"},
                    content_type="multipart/form-data")
    assert r.status_code in (401, 403), r.get_data(as_text=True)
    assert _state(app) == before


def test_the_upload_form_token_works_beside_a_basic_authorization(app):
    """A browser behind a password-protected proxy sends Basic on every request: the
    upload form's token field still authenticates it (no Bearer header to prefer)."""
    skos = (b'@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n'
            b'<https://x.org/s> a skos:ConceptScheme ; skos:prefLabel "S"@en .\n'
            b'<https://x.org/c> a skos:Concept ; skos:prefLabel "C"@en ; '
            b'skos:inScheme <https://x.org/s> .')
    r = app.test_client().post(
        "/import", data={"kind": "skos", "token": TOKEN,
                         "file": [(io.BytesIO(skos), "c.ttl")]},
        headers={**BASIC, **SAME, "Accept": "application/json"},
        content_type="multipart/form-data")
    assert r.status_code == 200, r.get_data(as_text=True)
    r = app.test_client().post(
        "/import", data={"kind": "skos", "token": "wrong",
                         "file": [(io.BytesIO(skos), "c.ttl")]},
        headers={**BASIC, "Accept": "application/json"}, content_type="multipart/form-data")
    assert r.status_code == 401
