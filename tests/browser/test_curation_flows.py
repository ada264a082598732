"""Steward curation driven in a real headless Chromium against the app on waitress.

Uses the `browser` fixture of tests/browser/conftest.py (which skips with
"[needs-server]" when no Chromium is found) and its own server over a tiny mesh
with a steward account.
"""

from __future__ import annotations

import pytest

from kg import accounts, curation
from kg.config import Settings
from kg.loading import parse_bytes
from kg.sources import ensure_vocabularies
from kg.store.oxigraph import OxigraphStore
from webapp.serve import start_in_thread

EX = "https://example.org/id/"
SALE = EX + "sale"
PRODUCT = EX + "product/orders"
DATA = f"""
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix mesh: <https://w3id.org/meshkg/ontology#> .
@prefix ex: <{EX}> .
ex:scheme a skos:ConceptScheme ; skos:prefLabel "Test scheme"@en .
ex:sale a skos:Concept ; skos:prefLabel "Sale"@en , "Verkauf"@de ;
  skos:definition "A sale."@en ; skos:inScheme ex:scheme .
ex:order a skos:Concept ; skos:prefLabel "Order"@en ; skos:inScheme ex:scheme .
<{EX}agent/ann> a <http://www.w3.org/ns/prov#Agent> ; rdfs:label "Ann" .
<{EX}domain/sales> a mesh:DataDomain ; rdfs:label "Sales" ;
  <http://purl.org/dc/terms/description> "Sales." .
"""
PRODUCT_VALUES = {
    "iri": PRODUCT, "label": "Orders", "description": "All orders.", "purpose": "Fulfilment.",
    "owner": EX + "agent/ann", "domain": EX + "domain/sales",
    "status": "https://w3id.org/meshkg/ontology#Active", "concepts": [EX + "order"],
}


@pytest.fixture(scope="module")
def app_url(tmp_path_factory, browser):
    """Serve the app over the tiny mesh on a free loopback port, with steward `alice`."""
    from waitress import create_server

    from webapp import create_app

    tmp = tmp_path_factory.mktemp("curation-browser")
    store = OxigraphStore(tmp / "store")
    ensure_vocabularies(store)
    store.write_quads({"urn:test:c": parse_bytes(DATA.encode(), "turtle", graph="urn:test:c",
                                                 source="test").quads})
    desc = curation.describe(store, PRODUCT)
    curation.save(store, PRODUCT, curation.product_triples(PRODUCT, PRODUCT_VALUES, desc),
                  steward="setup", comment="fixture", version=desc.version, infer=False)
    # gate = "strict": every Violation refuses a save, as a steward's team may choose
    app = create_app(Settings(store=str(tmp / "store"), load_demo=False, secret_key="t",
                              gate="strict"), store)
    app.config["MESHKG_ACCOUNTS_FILE"] = str(tmp / "accounts.toml")
    accounts.add(app.config["MESHKG_ACCOUNTS_FILE"], "alice", "alice-password")
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    stop = start_in_thread(server, "curation-browser")
    yield f"http://127.0.0.1:{server.effective_port}"
    stop()
    store.close()


def _signed_in(browser, app_url):
    context = browser.new_context(base_url=app_url)
    page = context.new_page()
    page.goto("/signin")
    page.fill("#f-name", "alice")
    page.fill("#f-password", "alice-password")
    page.click("button[type=submit]:has-text('Sign in')")
    page.wait_for_url("**/curate")
    return context, page


@pytest.fixture
def steward(browser, app_url):
    context, page = _signed_in(browser, app_url)
    yield page
    context.close()


def test_edit_definition_shows_on_concept_page_then_history_and_revert(steward):
    page = steward
    page.goto(f"/curate/concept?iri={SALE}")
    page.fill("#f-label-0-definition", "A completed purchase.")
    page.fill("#f-comment", "sharper definition")
    page.click("button[type=submit]:has-text('Save')")
    page.wait_for_url("**/concept?**")
    assert "A completed purchase." in page.content()
    page.goto(f"/history?iri={SALE}")
    diff = page.locator("pre.diff").first.inner_text()
    assert '+ <https://example.org/id/sale>' in diff and '"A completed purchase."@en' in diff
    assert '− <https://example.org/id/sale>' in diff and '"A sale."@en' in diff
    page.locator("form.revert input[name=comment]").first.fill("back to the old wording")
    page.locator("form.revert button").first.click()
    page.wait_for_url("**/history?**")
    assert page.locator("article.change h2").first.inner_text().endswith("revert by alice")
    page.goto(f"/concept?iri={SALE}")
    assert "A sale." in page.content()


def test_refused_edit_shows_report_next_to_field_and_keeps_input(steward):
    page = steward
    page.goto(f"/curate/concept?iri={SALE}")
    page.fill("#f-broader", SALE)  # the concept broader than itself: a cycle
    page.fill("#f-label-0-definition", "Wording I want to keep.")
    page.fill("#f-comment", "try a cycle")
    with page.expect_response(lambda r: r.request.method == "POST") as resp:
        page.click("button[type=submit]:has-text('Save')")
    assert resp.value.status == 422  # the app runs with gate = "strict"
    finding = page.locator("#f-broader ~ p.finding-violation")
    assert "broader than itself" in finding.first.inner_text()
    assert page.input_value("#f-label-0-definition") == "Wording I want to keep."
    page.goto(f"/concept?iri={SALE}")
    assert "Wording I want to keep." not in page.content()


def test_two_contexts_editing_one_product_one_gets_conflict(browser, app_url):
    (ca, a), (cb, b) = _signed_in(browser, app_url), _signed_in(browser, app_url)
    try:
        for p in (a, b):
            p.goto(f"/curate/product?iri={PRODUCT}")
        a.fill("#f-description", "Orders, per line.")
        a.fill("#f-comment", "first")
        b.fill("#f-description", "Orders, per customer.")
        b.fill("#f-comment", "second")
        a.click("button[value=save]")
        a.wait_for_url("**/product?**")
        with b.expect_response(lambda r: r.request.method == "POST") as resp:
            b.click("button[value=save]")
        assert resp.value.status == 409
        assert b.locator("h1").inner_text() == "Edit conflict"
        assert "Orders, per line." in b.locator("pre.theirs").inner_text()
        assert "Orders, per customer." in b.locator("pre.yours").inner_text()
    finally:
        ca.close()
        cb.close()
