"""End to end in a real headless Chromium against the real app on waitress."""

from __future__ import annotations

from urllib.parse import quote

import pytest

pytestmark = pytest.mark.chromium

CONCEPT = "https://demo.meshkg.org/id/concept/"
PRODUCT = "https://demo.meshkg.org/id/product/"
EX = "https://example.org/mesh/"


def url(path: str, iri: str, **args) -> str:
    extra = "".join(f"&{k}={quote(v, safe='')}" for k, v in args.items())
    return f"{path}?iri={quote(iri, safe='')}{extra}"


def at(part: str):
    """Match a URL containing this text (globs treat '?' specially)."""
    return lambda u: part in u


def clean(page) -> None:
    """Nothing went wrong in the page: no errors (CSP included), dialogs or foreign requests."""
    assert page.errors == []
    assert page.dialogs == []
    assert page.foreign == []


def test_search_for_a_synonym_lands_on_the_right_concept(page, output):
    page.goto("/")
    page.screenshot(path=output / "home.png", full_page=True)
    page.fill("#home-q", "Digitaler Verkauf")
    page.press("#home-q", "Enter")
    page.wait_for_url(at("/search?q="))
    page.screenshot(path=output / "search.png", full_page=True)
    page.locator(".concept-hits a").first.click()
    page.wait_for_url(at("/concept?iri="))
    assert page.locator("h1").inner_text() == "Online sale"
    clean(page)


def test_type_ahead_suggests_and_opens_the_concept(page, output):
    page.goto("/")
    page.locator("#home-q").press_sequentially("onlinever", delay=30)
    option = page.locator("#home-q-suggestions li").first
    option.wait_for()
    assert option.inner_text().startswith("Online sale")
    page.screenshot(path=output / "suggest.png")
    page.press("#home-q", "ArrowDown")
    page.press("#home-q", "Enter")
    page.wait_for_url(at("/concept?iri="))
    assert page.locator("h1").inner_text() == "Online sale"
    clean(page)


def test_concept_shows_products_of_its_narrower_concepts(page, output):
    page.goto(url("/concept", CONCEPT + "sale"))
    below = page.locator(".narrower-products")
    assert "Store sales" in below.inner_text()
    assert "a narrower concept of Sale" in below.inner_text()
    page.screenshot(path=output / "concept.png", full_page=True)
    # the neighbourhood picture's nodes are links
    page.locator("figure.neighbourhood a.node-link").first.click()
    page.wait_for_url(at("/concept?iri="))
    clean(page)


def test_product_shows_its_coverage_gap_above_its_schema(page, output):
    page.goto(url("/product", PRODUCT + "pos-transactions-raw"))
    gap = page.locator("dd.gaps")
    assert "Online sale" in gap.inner_text()
    schema = page.locator("#schema table").first
    assert gap.bounding_box()["y"] < schema.bounding_box()["y"]
    page.screenshot(path=output / "product.png", full_page=True)
    clean(page)


def test_follow_a_lineage_link(page):
    page.goto(url("/product", PRODUCT + "pos-transactions-raw"))
    page.locator("#lineage dd a.chip").first.click()
    page.wait_for_url(at("/product?iri="))
    assert "Lineage" in page.content()
    page.locator("figure.lineage a.node-link").first.click()
    page.wait_for_url(at("/product?iri="))
    clean(page)


def test_switch_the_language(page):
    page.goto(url("/concept", CONCEPT + "online-sale"))
    page.locator(".lang-switch a[hreflang=de]").click()
    page.wait_for_url(at("lang=de"))
    assert page.locator("h1").inner_text() == "Onlineverkauf"
    clean(page)


def test_a_label_with_script_is_shown_as_text(page):
    page.goto(url("/concept", EX + "Evil"))
    assert page.locator("h1").inner_text() == "Evil <script>alert('x')</script>"
    page.goto(url("/product", EX + "campaigns"))
    assert "<img src=x onerror=alert(1)>" in page.locator("h1").inner_text()
    page.goto("/search?q=evil")
    page.locator("#search-q").press_sequentially("x", delay=20)
    clean(page)


def test_big_scheme_tree_loads_branches_on_demand(page, output):
    page.goto(url("/scheme", "http://astrothesaurus.org/uat/1"))
    branch = page.locator("#tree > ul > li > details").first
    assert branch.get_attribute("data-children")
    branch.locator("summary").click()
    branch.locator("ul.tree li").first.wait_for()
    assert branch.locator(":scope > .lazy").count() == 0
    page.screenshot(path=output / "scheme.png")
    clean(page)


def test_product_page_reads_on_a_phone(browser, base_url, output):
    context = browser.new_context(base_url=base_url, viewport={"width": 390, "height": 844},
                                  is_mobile=True)
    p = context.new_page()
    p.goto(url("/product", PRODUCT + "pos-transactions-raw"))
    width = p.evaluate("document.documentElement.scrollWidth")
    p.screenshot(path=output / "product-phone.png", full_page=True)
    context.close()
    assert width <= 390
