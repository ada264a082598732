"""Search by meaning: label lookups in the search index, ranking with reasons, facets,
and suggestions as one types.

(The module is not named `search`, so that `kg.catalog.search` stays the function.)
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Mapping

from rdflib import Literal
from rdflib.namespace import DCTERMS, RDFS, SKOS
from rdflib.term import Node

from kg import searchindex
from kg.catalog._cache import _kept
from kg.catalog._labels import _names
from kg.catalog._query import _norm_query, _run_for, query_text
from kg.catalog.concepts import hierarchy
from kg.catalog.model import AboutProduct, Hit, ProductCard, Ran, Ref, SearchResult
from kg.catalog.products import product_cards
from kg.namespaces import DPROD
from kg.store.base import Store

FACETS = ("domain", "concept", "tag", "personal", "status", "policy")


def _label_hits(store: Store, q: str) -> tuple[list[dict], Ran | None]:
    """Look a search text up in the label index: rows of kind, resource, how, text.

    Every word of the text must start a word of the same label (kg.searchindex); the
    index finds candidates by the longest words and each label is checked here.
    """
    searchindex.ensure(store)
    start = time.perf_counter()
    words = searchindex.lookup(store, q)
    if words is None:
        return [], None
    text = query_text("catalog_search").replace("#WORDS#", words)
    res = store.query(text)
    ran = Ran("catalog_search", text, round((time.perf_counter() - start) * 1000, 2))
    rows = [r for r in res.rows if searchindex.matches(q, str(r["text"]))]
    return rows, ran


def search(store: Store, q: str, lang: str = "en",
           filters: Mapping[str, str] | None = None, *, page: int = 1,
           per_page: int | None = None) -> SearchResult:
    """Search by meaning: concepts by any label or definition bring their products
    and those of their narrower concepts; product names and descriptions match too.
    Every hit says why it was found; exact label matches rank first.

    Words match word beginnings, in any order, case and accents aside ("ord" finds
    "Orders", "strasse" finds "Straße"); the middle of a word does not match. With
    per_page, `hits` is one page; facets and `total` count them all."""
    q = _norm_query(q)
    filters = {k: v for k, v in (filters or {}).items() if k in FACETS and v}
    if not q:
        return SearchResult(q, [], [], {}, filters, [])
    # the ranked hits of a text, and the hits each set of filters leaves with their
    # facet counts, are kept until the store is written to: paging through a broad
    # search and narrowing it by facets re-read and re-count nothing. The ranked hits
    # are read inside narrowed(), so both come from the same generation of the store.
    def narrowed():
        ranked, concepts, queries = _kept(store, ("search", q, lang),
                                          lambda: _ranked(store, q, lang))
        results = [h for h in ranked if _passes(h.card, filters)]
        return results, _facets(results, filters), concepts, queries

    results, facets, concepts, queries = _kept(
        store, ("narrowed", q, lang, tuple(sorted(filters.items()))), narrowed)
    found = SearchResult(q, results, concepts, facets, filters, queries, total=len(results))
    if per_page is not None:
        found.pages = max(1, -(-len(results) // per_page))
        found.page = min(max(1, page), found.pages)
        found.hits = results[(found.page - 1) * per_page:found.page * per_page]
    return found


def _ranked(store: Store, q: str, lang: str) -> tuple[list[Hit], list[Hit], list[Ran]]:
    """Return the product hits of a search text ranked, the concept hits, and the queries."""
    rows, l_ran = _label_hits(store, q)
    queries = [l_ran] if l_ran else []
    c_rows = [r for r in rows if str(r["kind"]) == searchindex.CONCEPT]
    p_rows = [r for r in rows if str(r["kind"]) == searchindex.PRODUCT]
    concept_hits: dict[str, Hit] = {}
    for row in c_rows:
        iri = str(row["resource"])
        score, reason = _concept_score(q, row["how"], row["text"])
        hit = concept_hits.setdefault(iri, Hit("concept", iri, iri, score, []))
        hit.score = max(hit.score, score)
        if reason not in hit.reasons:
            hit.reasons.append(reason)
    names, n_ran = _names(store, concept_hits, lang)
    queries += [n_ran] if n_ran else []
    for hit in concept_hits.values():
        hit.label = names.ref(hit.iri).label
        hit.reasons.sort()

    # cards only for the candidates: products about a matched concept or one below it
    # (one lookup in the discovery index), and products matched by their own text
    candidates = {str(r["resource"]) for r in p_rows}
    if concept_hits:
        d_res, d_ran = _run_for(store, "catalog_products_discoverable", "concept",
                                sorted(concept_hits))
        candidates |= {str(r["product"]) for r in d_res.rows}
        queries.append(d_ran)
    tree = hierarchy(store, lang)
    queries.append(tree.query)
    cards_listing = product_cards(store, lang, candidates)
    cards = cards_listing.items
    queries.append(cards_listing.query)

    hits: dict[str, Hit] = {}
    why: dict[str, dict[str, int]] = defaultdict(dict)

    def add(iri: str, score: int, reason: str) -> None:
        if iri not in cards:
            return
        hit = hits.setdefault(iri, Hit("product", iri, cards[iri].label, score, [],
                                       cards[iri]))
        hit.score = max(hit.score, score)
        why[iri][reason] = max(score, why[iri].get(reason, score))

    for card in cards.values():
        for about in card.concepts:
            for up in tree.up_from(about.iri) & concept_hits.keys():
                chit = concept_hits[up]
                if up == about.iri:
                    add(card.iri, chit.score - 1, f"about {chit.label}")
                else:
                    path = tree.path(about.iri, up)
                    found = AboutProduct(card, path[0], path)
                    add(card.iri, chit.score - 2 - len(path), found.explanation)
    for row in p_rows:
        score, reason = _product_score(q, row["how"], row["text"])
        add(str(row["resource"]), score, reason)

    for iri, hit in hits.items():
        hit.reasons = sorted(why[iri], key=lambda r: (-why[iri][r], r))
    results = sorted((h for h in hits.values() if h.card is not None),
                     key=lambda h: (-h.score, h.label.lower()))
    concepts = sorted(concept_hits.values(), key=lambda h: (-h.score, h.label.lower()))
    return results, concepts, queries


def _exact(q: str, text: str) -> bool:
    return searchindex.words(text) == searchindex.words(q)


def _starts(q: str, text: str) -> bool:
    """Tell whether the text begins with the query's words (the last one as a prefix)."""
    want, have = searchindex.words(q), searchindex.words(text)
    n = len(want)
    return 0 < n <= len(have) and have[:n - 1] == want[:-1] and have[n - 1].startswith(
        want[-1])


def _concept_score(q: str, how: Node, matched: Node) -> tuple[int, str]:
    text = str(matched)
    lang = f" ({matched.language})" if isinstance(matched, Literal) and matched.language else ""
    exact = _exact(q, text)
    if how == SKOS.prefLabel:
        return (100 if exact else 60 if _starts(q, text) else 50,
                f"name{lang} “{text}” matches")
    if how == SKOS.altLabel:
        return (90 if exact else 45, f"synonym{lang} “{text}” matches")
    if how == SKOS.hiddenLabel:
        return (85 if exact else 40, f"hidden search term{lang} “{text}” matches")
    return (20, "definition mentions it")


def _product_score(q: str, how: Node, matched: Node) -> tuple[int, str]:
    text = str(matched)
    if how in _PRODUCT_NAMES:
        return (100 if _exact(q, text) else 55, f"name “{text}” matches")
    if how == DPROD.purpose:
        return (25, "purpose mentions it")
    return (30, "description mentions it")


_PRODUCT_NAMES = (RDFS.label, DCTERMS.title)


_CONCEPT_NAMES = (SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel)


def _facet_values(card: ProductCard, facet: str) -> list[Ref]:
    if facet == "domain":
        return [card.domain] if card.domain else []
    if facet == "status":
        return [card.status] if card.status else []
    if facet == "personal":
        yes = bool(card.personal_data)
        return [Ref("yes" if yes else "no", "holds personal data" if yes
                    else "no personal data")]
    return {"concept": card.concepts, "tag": card.tags, "policy": card.policies}[facet]


def _passes(card: ProductCard | None, filters: Mapping[str, str]) -> bool:
    if card is None:
        return False
    return all(any(r.iri == want for r in _facet_values(card, f)) for f, want in filters.items())


def _facets(hits: list[Hit], filters: Mapping[str, str]) -> dict[str, list[tuple[Ref, int]]]:
    out = {}
    for facet in FACETS:
        counts: dict[str, int] = defaultdict(int)
        refs: dict[str, Ref] = {}
        for h in hits:
            for r in _facet_values(h.card, facet):
                counts[r.iri] += 1
                refs[r.iri] = r
        out[facet] = sorted(((refs[k], n) for k, n in counts.items()),
                            key=lambda x: (-x[1], x[0].label.lower()))
    return out


def suggest(store: Store, q: str, lang: str = "en", limit: int = 10) -> list[dict]:
    """Suggest concepts and products whose names or synonyms have words starting with
    each word of the text (the same matching as search)."""
    q = _norm_query(q)
    if len(q) < 2:
        return []
    rows, _ = _label_hits(store, q)
    best: dict[str, dict] = {}
    for row in rows:
        how, kind, iri = row["how"], str(row["kind"]), str(row["resource"])
        if kind == searchindex.CONCEPT and how in _CONCEPT_NAMES:
            score, _reason = _concept_score(q, how, row["text"])
            kind = "concept"
        elif kind == searchindex.PRODUCT and how in _PRODUCT_NAMES:
            score, _reason = _product_score(q, how, row["text"])
            kind = "product"
        else:
            continue
        if iri not in best or best[iri]["score"] < score:
            best[iri] = {"kind": kind, "iri": iri, "matched": str(row["text"]),
                         "score": score}
    ranked = sorted(best.values(), key=lambda s: (-s["score"], s["matched"].lower()))[:limit]
    names, _ = _names(store, [s["iri"] for s in ranked], lang)
    for s in ranked:
        s["label"] = names.ref(s["iri"]).label
    return ranked
