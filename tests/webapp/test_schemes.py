"""Real SKOS vocabularies in the browser (issue 15): UAT and the 18 Skosmos test
vocabularies, each imported (`meshkg import skos`) or loaded (`meshkg load`) by the
command line into a fresh store holding only the shipped vocabularies, then read through
the Flask test client as a person would: every scheme on the home page with its title
and concept count, a working scheme page with its tree, concept pages naming their
schemes by title; and, on the demo mesh, which data products cover a concept and which
state they do not."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.config import Settings
from kg.store.oxigraph import OxigraphStore
from tests.webapp._demo_apps import app_over, demo_copy
from webapp import create_app

DATA = Path(__file__).resolve().parents[1] / "data"
SKOSMOS = DATA / "corpora" / "skos-schemes" / "skosmos"
UAT_FILE = DATA / "corpora" / "uat" / "UAT.rdf"
UAT = "http://astrothesaurus.org/uat/"
IMPORTED = "https://demo.meshkg.org/id/import/skos/"  # where an import puts a new scheme
SM = "http://www.skosmos.skos/"
YSO = "http://www.yso.fi/onto/yso/"
CONCEPT = "https://demo.meshkg.org/id/concept/"

#: what the home page lists after `meshkg import skos <file>`: (scheme, title, concepts).
#: A file without a scheme gets one named after it (its concepts are placed there); a
#: concept lacking skos:inScheme is placed in the scheme above it, or the file's only
#: one, so imported schemes hold every concept the file types skos:Concept.
AFTER_IMPORT = {
    "altlabel.ttl": [(SM + "altlabel/conceptscheme", "Test conceptscheme", 1)],
    "changes.ttl": [(IMPORTED + "changes/scheme", "Concepts of changes.ttl", 5)],
    "cycle.ttl": [(SM + "cycle/conceptscheme", "Test conceptscheme with cycles", 4)],
    "dup.ttl": [(IMPORTED + "dup/scheme", "Concepts of dup.ttl", 7)],
    "dupgroup.ttl": [(IMPORTED + "dupgroup/scheme", "Concepts of dupgroup.ttl", 1)],
    "groups.ttl": [(SM + "groups/conceptscheme", "Test conceptscheme with groups", 7)],
    "mapping.ttl": [(IMPORTED + "mapping/scheme", "Concepts of mapping.ttl", 2)],
    # each scheme also names a top concept the file does not describe (c1, c2, c3)
    "multiple-schemes.ttl": [(SM + f"multiple-schemes/cs{i}", f"Concept Scheme {i}", 1)
                             for i in (1, 2, 3)],
    "nolang.ttl": [(SM + "nolang/conceptscheme", "No language codes conceptscheme", 3)],
    "test-concept-schemes.ttl": [
        ("http://exemple.fr/mt1", "Micro-Thesaurus 1", 2),
        ("http://exemple.fr/mt2", "Micro-Thesaurus 2", 1),
        ("http://exemple.fr/mt3", "Micro-Thesaurus 3", 1),
        ("http://exemple.fr/domains", "Special Domains Concept Scheme", 2),
        ("http://exemple.fr/thesaurus", "The Thesaurus", 4)],
    "test-hierarchy-without-top-concepts.ttl": [
        (SM + "test-hierarchy/conceptscheme", "Test conceptscheme", 19)],
    "test-hierarchy.ttl": [(SM + "test-hierarchy/conceptscheme", "Test conceptscheme", 19)],
    "test-notation-sort.ttl": [(SM + "test/conceptscheme", "Test conceptscheme", 16)],
    "test-qualified-broader.ttl": [
        (IMPORTED + "test-qualified-broader/scheme", "Concepts of test-qualified-broader.ttl",
         3)],
    "test-rdf-list.ttl": [(SM + "test-rdf-list/conceptscheme", "RDF List Test Vocabulary", 27)],
    "test.ttl": [(SM + "test/conceptscheme", "Test conceptscheme", 18)],
    "xl.ttl": [(IMPORTED + "xl/scheme", "Concepts of xl.ttl", 1)],
    # the excerpt names thousands of YSO concepts it does not describe as top concepts of
    # its two other schemes; it describes 270 concepts, all in the main scheme
    "yso.ttl": [(YSO + "aggregateconceptscheme", "aggregateconceptscheme", 0),
                (YSO + "deprecatedconceptscheme", "deprecatedconceptscheme", 0),
                (YSO, "YSO - General Finnish ontology", 270)],
}

#: what it lists after `meshkg load <file>`: the file as it is, so a file without a
#: scheme shows none, and a scheme holds the concepts in it, its top concepts and those
#: below them (a concept in no scheme is a Warning of the shapes, and shows nowhere)
AFTER_LOAD = {
    **AFTER_IMPORT,
    "changes.ttl": [], "dup.ttl": [], "dupgroup.ttl": [], "mapping.ttl": [],
    "test-qualified-broader.ttl": [], "xl.ttl": [],
    "nolang.ttl": [(SM + "nolang/conceptscheme", "No language codes conceptscheme", 1)],
    "test-hierarchy-without-top-concepts.ttl": [
        (SM + "test-hierarchy/conceptscheme", "Test conceptscheme", 14)],
    "test-hierarchy.ttl": [(SM + "test-hierarchy/conceptscheme", "Test conceptscheme", 14)],
    "test-notation-sort.ttl": [(SM + "test/conceptscheme", "Test conceptscheme", 13)],
    "test.ttl": [(SM + "test/conceptscheme", "Test conceptscheme", 13)],
}


def meshkg(store: Path, *args: str) -> None:
    """Run the meshkg command line on a store, in this process; it must succeed."""
    result = CliRunner().invoke(main, ["--store", str(store), *args])
    assert result.exit_code == 0, result.output


@pytest.fixture
def browse(tmp_path, _vocab_template):
    """Bring files into a fresh store of the shipped vocabularies with one meshkg command
    (`import skos` or `load`), then return a Flask test client over that store."""
    opened = []

    def open_with(command: str, path: Path):
        store_path = tmp_path / f"store{len(opened)}"
        shutil.copytree(_vocab_template[0], store_path)
        meshkg(store_path, *(("import", "skos") if command == "import" else ("load",)),
               str(path))
        store = OxigraphStore(store_path)
        opened.append(store)
        return create_app(Settings(store=str(store_path), load_demo=False), store).test_client()

    yield open_with
    for store in opened:
        store.close()


def get(client, path: str, iri: str | None = None, **args) -> str:
    url = path + (f"?iri={quote(iri, safe='')}" if iri else "")
    for k, v in args.items():
        url += ("&" if "?" in url else "?") + f"{k}={quote(v, safe='')}"
    resp = client.get(url)
    assert resp.status_code == 200, (url, resp.get_data(as_text=True)[:300])
    return resp.get_data(as_text=True)


def _links(text: str, page: str) -> list[tuple[str, str]]:
    """The (IRI, text) of every link to a page of one kind, as a person reads them."""
    found = re.findall(rf'<a (?:class="[^"]*" )?href="/{page}\?iri=([^"&]+)"[^>]*>(.*?)</a>',
                       text, re.S)
    return [(unquote(html.unescape(i)), html.unescape(t)) for i, t in found]


def home_schemes(client) -> list[tuple[str, str, int]]:
    """The schemes the home page lists: (IRI, title, concept count)."""
    section = get(client, "/").split('id="h-schemes"')[1]
    rows = re.findall(r'<h3><a href="/scheme\?iri=([^"]+)"[^>]*>(.*?)</a> '
                      r'<span class="count">([\d,]+) concepts?</span></h3>', section)
    return [(unquote(html.unescape(i)), html.unescape(t), int(n.replace(",", "")))
            for i, t, n in rows]


def scheme_page(client, iri: str, title: str, size: int, **args) -> str:
    text = get(client, "/scheme", iri, **args)
    assert f"Concept scheme · {size:,} concept{'' if size == 1 else 's'}" in text
    assert re.search(rf"<h1[^>]*>{re.escape(html.escape(title))}</h1>", text)
    assert f"<title>{html.escape(title)} · meshkg</title>" in text
    return text


def schemes_of_concept(client, iri: str) -> list[tuple[str, str]]:
    """The schemes a concept page says the concept is in: (IRI, title)."""
    kind = re.search(r'<p class="kind">(.*?)</p>', get(client, "/concept", iri), re.S).group(1)
    return _links(kind, "scheme")


def check_vocabulary(client, expected: list[tuple[str, str, int]]) -> None:
    """Every scheme on the home page with its title and count, its scheme page, and a
    concept of its tree naming it by its title."""
    assert sorted(home_schemes(client)) == sorted(expected)
    if not expected:
        assert "No concept schemes yet." in get(client, "/")
    for iri, title, size in expected:
        page = scheme_page(client, iri, title, size)
        tree = page.split('id="tree"')[1].split("</section>")[0]
        concepts = _links(tree, "concept")
        if not size:
            assert "No concepts to show." in page
            continue
        assert concepts, f"the tree of {title} shows no concept"
        assert (iri, title) in schemes_of_concept(client, concepts[0][0])


@pytest.mark.parametrize("name", sorted(AFTER_IMPORT))
def test_every_imported_skosmos_scheme_shows_with_its_title_and_size(browse, name):
    check_vocabulary(browse("import", SKOSMOS / name), AFTER_IMPORT[name])


@pytest.mark.parametrize("name", sorted(AFTER_LOAD))
def test_every_loaded_skosmos_scheme_shows_with_its_title_and_size(browse, name):
    check_vocabulary(browse("load", SKOSMOS / name), AFTER_LOAD[name])


# UAT types 2,372 concepts; 97 of them are deprecated, with no label, no broader concept
# and no scheme: an import places them in the file's only scheme, a load leaves them out
@pytest.mark.parametrize("command, size", [("import", 2372), ("load", 2275)])
def test_uat_shows_on_the_home_page_titled_by_dct_title(browse, command, size):
    client = browse(command, UAT_FILE)
    expected = [(UAT + "1", "The Unified Astronomy Thesaurus", size)]
    assert home_schemes(client) == expected
    assert f"{size:,} concepts" in get(client, "/")
    check_vocabulary(client, expected)
    page = scheme_page(client, UAT + "1", "The Unified Astronomy Thesaurus", size)
    assert "A large scheme: branches load when you open them." in page
    tops = _links(page.split('id="tree"')[1].split("</section>")[0], "concept")
    assert len(tops) == 11 and ("http://astrothesaurus.org/uat/343", "Cosmology") in tops
    assert schemes_of_concept(client, UAT + "80") == [
        (UAT + "1", "The Unified Astronomy Thesaurus")]  # Astrometry, three levels down


def tree_entries(page: str) -> list[tuple[int, str]]:
    """The concepts of a scheme page's tree with their depth (1: where the tree starts)."""
    tree = page.split('id="tree"')[1].split("</section>")[0]
    entries, depth = [], 0
    for tag, label in re.findall(
            r'(<ul class="tree">|</ul>|<a (?:class="[^"]*" )?href="/concept[^>]*>(.*?)</a>)', tree):
        depth += 1 if tag.startswith("<ul") else -1 if tag == "</ul>" else 0
        if tag.startswith("<a"):
            entries.append((depth, html.unescape(label)))
    return entries


def test_scheme_without_top_concepts_starts_its_tree_at_concepts_without_broader(browse):
    client = browse("import", SKOSMOS / "test-hierarchy-without-top-concepts.ttl")
    page = scheme_page(client, SM + "test-hierarchy/conceptscheme", "Test conceptscheme", 19)
    assert "The scheme names no top concepts" in page
    entries = tree_entries(page)
    roots = {label for depth, label in entries if depth == 1}
    assert {"Birds", "Europa2"} <= roots  # Europa2 names no broader concept either
    assert (2, "Owl") in entries and "Owl" not in roots  # narrower than Birds
    home = get(client, "/").split('id="h-schemes"')[1]
    assert "No top concepts named; its concepts without a broader one:" in home
    assert "Birds" in home


def test_a_concept_in_several_schemes_links_each_by_its_title(browse):
    client = browse("import", SKOSMOS / "test-concept-schemes.ttl")
    assert sorted(schemes_of_concept(client, "http://exemple.fr/c1")) == [
        ("http://exemple.fr/mt1", "Micro-Thesaurus 1"),
        ("http://exemple.fr/thesaurus", "The Thesaurus")]
    client = browse("load", SKOSMOS / "multiple-schemes.ttl")
    assert schemes_of_concept(client, SM + "multiple-schemes/c2-in-cs2") == [
        (SM + "multiple-schemes/cs2", "Concept Scheme 2")]


def test_scheme_title_is_in_the_readers_language(browse):
    """YSO titles itself with dc:title and rdfs:label in four languages."""
    client = browse("import", SKOSMOS / "yso.ttl")
    scheme_page(client, YSO, "YSO - Yleinen suomalainen ontologia", 270, lang="fi")
    scheme_page(client, YSO, "ALLFO - Allmän finländsk ontologi", 270, lang="sv")
    scheme_page(client, YSO, "YSO - General Finnish ontology", 270, lang="de")  # English next


def test_scheme_page_of_an_unknown_scheme_is_404(browse):
    client = browse("import", SKOSMOS / "altlabel.ttl")
    resp = client.get("/scheme?iri=" + quote(SM + "no-such-scheme", safe=""))
    assert resp.status_code == 404


# --------------------------------------------------------------------------- coverage


@pytest.fixture(scope="module")
def demo(tmp_path_factory, _demo_template):
    app, store = app_over(demo_copy(_demo_template[0], tmp_path_factory.mktemp("schemes-demo")))
    yield app.test_client()
    store.close()


def coverage_lists(client, concept: str) -> dict[str, dict[str, str]]:
    """The concept page's two coverage lists: product name -> the reasons shown."""
    text = get(client, "/concept", concept).split('id="coverage"')[1].split("</section>")[0]
    out = {}
    for which in ("covered-by", "not-covered-by"):
        part = text.split(f'id="h-{which}"')[1].split("<h3")[0]
        items = re.findall(r'<li><a href="/product\?iri=[^"]+">(.*?)</a>.*?'
                           r'<span class="why">(.*?)</span></li>', part, re.S)
        out[which] = {html.unescape(n): html.unescape(w) for n, w in items}
    return out


def test_concept_page_says_who_covers_the_store_channel_and_who_does_not(demo):
    found = coverage_lists(demo, CONCEPT + "store-sale")
    assert found["covered-by"] == {
        "Store sales": "states it covers In-store sale",
        "Store performance": "states it covers In-store sale",
        "Store KPI extract (legacy)": "states it covers In-store sale",
        "Omnichannel revenue": "covers Retail sale, which includes In-store sale"}
    assert found["not-covered-by"] == {
        "E-commerce sales": "states it does not cover In-store sale",
        "Web shop and app orders (raw)": "states it does not cover In-store sale"}
    page = get(demo, "/concept", CONCEPT + "store-sale")
    assert page.index('id="coverage"') < page.index('id="products"')
    shown = page.split('id="coverage"')[1].split("</section>")[0]
    assert "The query behind this list" in shown and "mesh:doesNotCover" in shown


def test_coverage_of_a_broader_concept_counts_for_its_narrower_ones(demo):
    """A product covering In-store sale covers Staffed checkout sale (narrower) too, and one
    leaving In-store sale out leaves it out; Retail sale lists what covers its parts."""
    found = coverage_lists(demo, CONCEPT + "staffed-checkout-sale")
    assert found["covered-by"]["Store sales"] == (
        "covers In-store sale, which includes Staffed checkout sale")
    assert found["not-covered-by"]["E-commerce sales"] == (
        "does not cover In-store sale, which includes Staffed checkout sale")
    retail = coverage_lists(demo, CONCEPT + "retail-sale")
    assert retail["covered-by"]["Omnichannel revenue"] == "states it covers Retail sale"
    assert retail["covered-by"]["Store sales"] == (
        "covers In-store sale, a narrower concept of Retail sale")


def test_concept_page_without_coverage_says_so(browse):
    client = browse("import", SKOSMOS / "altlabel.ttl")
    page = get(client, "/concept", SM + "altlabel/c1")
    assert "No data product states that it covers" in page
    assert "No data product states that it leaves out" in page


def test_coverage_lists_show_the_closest_first_and_count_all(demo, monkeypatch):
    from kg.catalog import concepts
    monkeypatch.setattr(concepts, "COVERAGE_SHOWN", 1)
    page = get(demo, "/concept", CONCEPT + "sale")  # its narrower concepts are covered
    shown = page.split('id="coverage"')[1].split("</section>")[0]
    covered = shown.split('id="h-covered-by"')[1].split("<h3")[0]
    count = int(re.search(r"(\d+) data products cover Sale or part of it; the 1 closest are "
                          r"shown\.", covered).group(1))
    assert count > 1 and covered.count("<li>") == 1
    monkeypatch.setattr(concepts, "COVERAGE_SHOWN", 50)
    full = coverage_lists(demo, CONCEPT + "sale")["covered-by"]
    assert len(full) == count
