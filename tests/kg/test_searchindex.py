"""The discovery and label index (kg.searchindex): the same answers as the queries it
replaces, kept fresh by every load, hierarchy change and drop, on real on-disk stores
(and on the SPARQL servers where they run)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kg import catalog, gate, searchindex
from kg.catalog import ranking
from kg.inference import infer
from kg.sources import DEMO_GRAPH_PREFIX, load_files

DATA = Path(__file__).resolve().parents[1] / "data" / "searchindex"
EX = "https://example.org/idx/"

PATH_DISCOVERY = """
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX dprod: <https://www.omg.org/spec/DPROD/>
SELECT DISTINCT ?concept ?product WHERE {
  ?concept a skos:Concept .
  ?about (skos:broader|^skos:narrower)* ?concept .
  ?product dct:subject ?about ; a dprod:DataProduct .
}"""


def _indexed(store) -> set[tuple[str, str]]:
    res = store.query(f"SELECT ?concept ?product WHERE {{ GRAPH <{searchindex.DISCOVERY_GRAPH}> "
                      f"{{ ?product <{searchindex.ABOUT}> ?concept }} ?concept a "
                      "<http://www.w3.org/2004/02/skos/core#Concept> }")
    return {(str(r["concept"]), str(r["product"])) for r in res.rows}


def _about(store, concept: str) -> set[str]:
    return {a.product.iri for a in catalog.products_about(store, concept).items}


def _load(store, tmp_path, *names: str, replace: tuple[str, str] | None = None):
    """Copy test files to tmp_path (the same path each time: re-loading replaces), load
    them, and return the reports and the paths."""
    paths = []
    for name in names:
        text = (DATA / name).read_text(encoding="utf-8")
        if replace:
            text = text.replace(*replace)
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return load_files(store, paths), paths


def test_discovery_index_gives_the_path_query_answer_for_every_concept(demo_store):
    expected = {(str(r["concept"]), str(r["product"]))
                for r in demo_store.query(PATH_DISCOVERY).rows}
    assert len({c for c, _ in expected}) > 50
    assert _indexed(demo_store) == expected


@pytest.mark.parametrize("q,concept,matched", [
    ("Digitaler Verkauf", "online-sale", "synonym (de) “Digitaler Verkauf” matches"),
    ("digital sale", "online-sale", "synonym (en) “Digital sale” matches"),
    ("Endkundenverkauf", "retail-sale", "synonym (de) “Endkundenverkauf” matches"),
])
def test_search_finds_concepts_by_english_and_german_synonyms(demo_store, q, concept, matched):
    hits = catalog.search(demo_store, q).concepts
    assert hits[0].iri == "https://demo.meshkg.org/id/concept/" + concept
    assert matched in hits[0].reasons


@pytest.mark.parametrize("q,found", [
    ("onlinever", True),    # the beginning of a word
    ("sale onl", True),     # beginnings of several words, in any order
    ("nlinever", False),    # the middle of a word is not a match
])
def test_search_matches_word_beginnings_not_the_middle_of_words(demo_store, q, found):
    iris = {h.iri for h in catalog.search(demo_store, q).concepts}
    assert ("https://demo.meshkg.org/id/concept/online-sale" in iris) is found


@pytest.mark.parametrize("q", ["eiweiss", "EIWEISS", "Eiweiß", "antikorper", "ANTIKÖRPER"])
def test_search_ignores_case_and_accents(demo_store, q):
    hits = catalog.search(demo_store, q).concepts
    assert hits, f"nothing found for {q!r}"
    assert hits[0].score >= 90  # a whole synonym: Eiweiß, Antikörper


def test_suggest_uses_the_index_and_ranks_exact_names_first(demo_store):
    found = catalog.suggest(demo_store, "auftrag")
    assert found[0]["matched"] == "Auftrag" and found[0]["label"] == "Order"


@pytest.mark.contract
def test_a_one_product_load_indexes_that_product_and_nothing_else(vocab_store, tmp_path):
    _load(vocab_store, tmp_path, "concepts.ttl")
    before = vocab_store.graphs()[searchindex.LABELS_GRAPH]
    report, _ = _load(vocab_store, tmp_path, "product.ttl")
    # its discovery entries (Leaf, Alpha, its sources) and three label entries
    assert 0 < report.inference.indexed <= 10
    assert vocab_store.graphs()[searchindex.LABELS_GRAPH] > before
    assert _about(vocab_store, EX + "alpha") == {EX + "cafe-orders"}
    hits = catalog.search(vocab_store, "cafe").hits
    assert [h.iri for h in hits] == [EX + "cafe-orders"]
    assert catalog.search(vocab_store, "strassencafe").hits[0].reasons == [
        "description mentions it"]


@pytest.mark.contract
def test_a_search_asked_again_after_a_load_sees_the_new_product(vocab_store, tmp_path):
    """Ranked hits are kept between searches (paging, facets), but never across a write."""
    _load(vocab_store, tmp_path, "concepts.ttl")
    assert catalog.search(vocab_store, "cafe").hits == []
    _load(vocab_store, tmp_path, "product.ttl")
    assert [h.iri for h in catalog.search(vocab_store, "cafe").hits] == [EX + "cafe-orders"]
    _load(vocab_store, tmp_path, "product.ttl", replace=("Straßencafé", "Bistro"))
    assert catalog.search(vocab_store, "strassencafe").hits == []


def test_facet_counts_and_filters_follow_a_write(vocab_store, tmp_path):
    """Narrowed hits and facet counts are kept too, and let go on a write: a product
    moved to another domain leaves the old domain's filter and count."""
    _load(vocab_store, tmp_path, "concepts.ttl", "product.ttl")
    old = {"domain": EX + "domain"}
    assert [h.iri for h in catalog.search(vocab_store, "cafe", filters=old).hits] == [
        EX + "cafe-orders"]
    facet = catalog.search(vocab_store, "cafe").facets["domain"]
    assert [(r.iri, n) for r, n in facet] == [(EX + "domain", 1)]
    _load(vocab_store, tmp_path, "concepts.ttl", "product.ttl",
          replace=("ex:domain ", "ex:other-domain "))
    assert catalog.search(vocab_store, "cafe", filters=old).hits == []
    facet = catalog.search(vocab_store, "cafe").facets["domain"]
    assert [(r.iri, n) for r, n in facet] == [(EX + "other-domain", 1)]


def test_a_write_during_a_search_is_not_hidden_by_what_the_search_kept(vocab_store, tmp_path,
                                                                       monkeypatch):
    """A search that was computing while the store was written answers from before the
    write, once; the next search sees the write (its hits and facets are not kept)."""
    _load(vocab_store, tmp_path, "concepts.ttl", "product.ttl")
    real, writes = ranking._ranked, []

    def ranked_then_written(store, q, lang):
        out = real(store, q, lang)
        if not writes:  # another request moves the product while this one ranks
            writes.append(_load(store, tmp_path, "concepts.ttl", "product.ttl",
                                replace=("ex:domain ", "ex:other-domain ")))
        return out

    monkeypatch.setattr(ranking, "_ranked", ranked_then_written)
    catalog.search(vocab_store, "cafe")
    facet = catalog.search(vocab_store, "cafe").facets["domain"]
    assert [(r.iri, n) for r, n in facet] == [(EX + "other-domain", 1)]


@pytest.mark.contract
def test_moving_a_concept_moves_its_products_to_the_new_ancestor(vocab_store, tmp_path):
    _load(vocab_store, tmp_path, "concepts.ttl", "product.ttl")
    assert _about(vocab_store, EX + "alpha") == {EX + "cafe-orders"}
    assert _about(vocab_store, EX + "beta") == set()
    _load(vocab_store, tmp_path, "concepts.ttl",
          replace=("skos:broader ex:alpha", "skos:broader ex:beta"))
    assert _about(vocab_store, EX + "alpha") == set()
    assert _about(vocab_store, EX + "beta") == {EX + "cafe-orders"}
    found = catalog.products_about(vocab_store, EX + "beta").items[0]
    assert found.explanation == "about Leaf, a narrower concept of Beta"


@pytest.mark.contract
def test_a_product_moved_to_another_concept_leaves_the_old_one(vocab_store, tmp_path):
    """Re-loading a product about another concept re-links it: it is no longer found
    under the old concept or its ancestors, on every backend (on Virtuoso the stale
    entries stayed: its MINUS of the index against the data removed nothing)."""
    _load(vocab_store, tmp_path, "concepts.ttl", "product.ttl")
    assert _about(vocab_store, EX + "alpha") == {EX + "cafe-orders"}
    _load(vocab_store, tmp_path, "product.ttl",
          replace=("dct:subject ex:leaf", "dct:subject ex:beta"))
    assert _about(vocab_store, EX + "leaf") == set()
    assert _about(vocab_store, EX + "alpha") == set()
    assert _about(vocab_store, EX + "beta") == {EX + "cafe-orders"}


@pytest.mark.contract
def test_dropping_a_graph_removes_its_entries(vocab_store, tmp_path):
    _, (concepts, product) = _load(vocab_store, tmp_path, "concepts.ttl", "product.ttl")
    graph = product.resolve().as_uri()
    gate.write(vocab_store, drop=[graph])
    infer(vocab_store, changed=[graph])
    assert _about(vocab_store, EX + "leaf") == set()
    assert catalog.search(vocab_store, "cafe").hits == []
    sources = {str(r["source"]) for r in vocab_store.query(
        searchindex._text("index_sources")).rows}
    assert graph not in sources and concepts.resolve().as_uri() in sources


@pytest.mark.contract
def test_a_store_without_an_index_builds_it_on_first_use(demo_store):
    for g in searchindex.GRAPHS:
        demo_store.drop(g)
    assert catalog.search(demo_store, "Digitaler Verkauf").concepts
    assert all(demo_store.has_graph(g) for g in searchindex.GRAPHS)


def _fresh_labels(store) -> list[bytes]:
    """The label graph as this backend builds it from nothing (entry ids are hashes the
    store computes: a server's differ from pyoxigraph's, which built the template)."""
    store.drop(searchindex.LABELS_GRAPH)
    searchindex.refresh(store, None)
    return sorted(store.dump(searchindex.LABELS_GRAPH, "ntriples").splitlines())


@pytest.mark.contract
def test_a_large_store_builds_the_label_index_graph_by_graph_to_the_same_index(
        demo_store, monkeypatch):
    """Above _STREAM_QUADS a full refresh reads and writes one source at a time (memory at
    100,000 products), the index current throughout; the index it builds, and a first
    build so, are the ones built all at once."""
    whole = _fresh_labels(demo_store)
    monkeypatch.setattr(searchindex, "_STREAM_QUADS", 0)
    current = []
    sync = searchindex._sync_labels

    def watched(*args, **kw):  # the index stays current while a full refresh runs
        current.append(searchindex._current(demo_store))
        return sync(*args, **kw)
    monkeypatch.setattr(searchindex, "_sync_labels", watched)
    searchindex.refresh(demo_store, None)  # a full refresh with the index there
    assert len(current) > 3 and all(current)
    assert sorted(demo_store.dump(searchindex.LABELS_GRAPH, "ntriples").splitlines()) == whole
    sources = [g for g in demo_store.graph_names() if g.startswith(DEMO_GRAPH_PREFIX)]
    assert len(sources) > 3
    demo_store.drop(searchindex.LABELS_GRAPH)  # an index with the state triple alone
    demo_store.update(f"INSERT DATA {{ GRAPH <{searchindex.LABELS_GRAPH}> {{ "
                      f"<{searchindex.LABELS_STATE}> <{searchindex.BUILT}> true }} }}")
    searchindex.refresh(demo_store, sources)  # many sources loaded at once: one by one
    assert sorted(demo_store.dump(searchindex.LABELS_GRAPH, "ntriples").splitlines()) == whole
    demo_store.drop(searchindex.LABELS_GRAPH)
    searchindex.refresh(demo_store, None)  # and a first build
    assert sorted(demo_store.dump(searchindex.LABELS_GRAPH, "ntriples").splitlines()) == whole
    assert [h.label for h in catalog.search(demo_store, "Digitaler Verkauf").concepts]


@pytest.mark.contract
def test_a_label_index_stopped_half_way_is_built_anew(demo_store):
    """A build that stopped before its state triple (the last write) is not current."""
    whole = _fresh_labels(demo_store)
    demo_store.update(f"DELETE WHERE {{ GRAPH <{searchindex.LABELS_GRAPH}> {{ "
                      f"<{searchindex.LABELS_STATE}> ?p ?o }} }}")
    assert catalog.search(demo_store, "Digitaler Verkauf").concepts
    assert sorted(demo_store.dump(searchindex.LABELS_GRAPH, "ntriples").splitlines()) == whole


@pytest.mark.contract
def test_an_index_of_another_shape_is_rebuilt(demo_store):
    demo_store.update(f"DELETE WHERE {{ GRAPH <{searchindex.DISCOVERY_GRAPH}> {{ "
                      f"<{searchindex.STATE}> <{searchindex.VERSION}> ?v }} }} ;"
                      f"DELETE WHERE {{ GRAPH <{searchindex.DISCOVERY_GRAPH}> {{ "
                      f"?p <{searchindex.SUBJECT}> ?c }} }}")
    assert catalog.products_about(demo_store, "https://demo.meshkg.org/id/concept/sale").items


@pytest.mark.contract
def test_index_works_the_same_on_every_backend(store, tmp_path):
    """Plain SPARQL 1.1 (no paths): the embedded store and the SPARQL servers agree."""
    from kg.sources import load_vocabularies
    load_vocabularies(store)
    paths = [shutil.copy(DATA / n, tmp_path / n) for n in ("concepts.ttl", "product.ttl")]
    load_files(store, paths, validate=False)
    assert _about(store, EX + "alpha") == {EX + "cafe-orders"}
    assert [h.iri for h in catalog.search(store, "blatt").concepts] == [EX + "leaf"]
    assert [h.iri for h in catalog.search(store, "café").hits] == [EX + "cafe-orders"]


@pytest.mark.parametrize("text,expected", [
    ("Straße", ["strasse"]),
    ("E-commerce sales", ["e", "commerce", "sales"]),
    ("dataset_12", ["dataset", "12"]),
    ("Café  Crème", ["cafe", "creme"]),
])
def test_words_are_folded_runs_of_letters_and_digits(text, expected):
    assert searchindex.words(text) == expected


def test_prefixes_are_capped_but_keep_the_whole_word():
    word = "x" * (searchindex.PREFIX_MAX + 5)
    keys = searchindex.prefixes(word)
    assert keys[0] == "x" and keys[-1] == word
    assert len(keys) == searchindex.PREFIX_MAX + 1
