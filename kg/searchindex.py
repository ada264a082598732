"""The discovery and search index, materialised in its own named graphs.

The index is bookkeeping, not data model: its terms live in the `urn:meshkg:index:`
space (prefix `idx:` in the `index_*.rq` queries) and its two graphs under
`urn:meshkg:graph:inferred:index:`, next to the entailments. It is derived from the
data and the inferred graphs only, so it can always be rebuilt (`refresh(store)`).

Discovery graph (`DISCOVERY_GRAPH`): every data product with every concept it is
discoverable by, so "products about a concept or any narrower concept" is one
triple pattern in one graph:

    ?product idx:about ?concept        # its dct:subject (sub-properties included,
                                       # through the inferred graphs) and every
                                       # skos:broaderTransitive ancestor of it
    ?product idx:subject ?concept      # its dct:subject only (to explain and order)
    ?product idx:source ?graph         # the source graphs its subjects and types
                                       # come from (what a change has to revisit)
    idx:discovery idx:hierarchy "…"    # fingerprints of the closure it was built on
                  idx:hierarchyQuick "…" # (sorted, and in the server's order)
                  idx:version "2"        # the index's shape (INDEX_VERSION)

Label graph (`LABELS_GRAPH`): one entry per label-like literal of a concept or a data
product, and a dictionary of the words in them with their prefixes, so that search
and type-ahead are equality lookups instead of a CONTAINS scan over every label:

    ?entry idx:concept|idx:product ?resource ; idx:how ?property ;
           idx:text ?literal ; idx:source ?graph ; idx:word ?word .
    ?word  idx:prefix "o", "or", "ord", …   # ?word is urn:meshkg:index:word:<word>
    idx:labels idx:built true

Words are lower-cased, accent-folded runs of letters and digits (`words`): "Straße",
"STRASSE" and "strasse" are one word, "Café" matches "cafe", "E-commerce" is "e" and
"commerce". A query matches a literal when every word of the query starts one of the
literal's words (in any order): "ord" finds "Orders", "daily ord" finds "Daily
orders", but "rder" (the middle of a word) finds nothing, as in most search boxes.

Concept literals (skos:prefLabel, altLabel, hiddenLabel, definition) are indexed from
the data's graphs (curated and imported ones included), not from the shipped
vocabularies, the ontology or the inferred graphs; product literals (rdfs:label,
dct:title, dct:description, dprod:purpose) from every source graph and its inferred
graph. An entry's IRI ends in a hash of all it says, computed by the store
(index_labels.rq), so entries are compared by IRI.

`refresh(store, changed)` keeps the index in step: `kg.inference.infer` calls it after
every run, with the changed source graphs (or None after a full run). A change to one
source revisits only the products and literals of that source; a change of the
concept hierarchy (seen by the closure's fingerprint) rebuilds the discovery graph with
one SPARQL update. Everything is plain SPARQL 1.1 (no property paths), so it runs on
every backend.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
import unicodedata
from collections.abc import Iterable
from urllib.parse import quote

import pyoxigraph as ox
from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from kg.namespaces import (
    INFERRED_PREFIX,
    META_GRAPH,
    ONTOLOGY_GRAPH,
    SCHEMA_INFERRED_GRAPH,
    VOCAB_GRAPH_PREFIX,
)
from kg.queries import load_query
from kg.store.base import Store, term_to_sparql
from kg.store.oxigraph import to_oxigraph

log = logging.getLogger(__name__)

INDEX = "urn:meshkg:index:"
DISCOVERY_GRAPH = INFERRED_PREFIX + "index:discovery"
LABELS_GRAPH = INFERRED_PREFIX + "index:labels"
#: the graphs the index owns (not per-source entailment graphs)
GRAPHS = (DISCOVERY_GRAPH, LABELS_GRAPH)

ABOUT = INDEX + "about"
SUBJECT = INDEX + "subject"
SOURCE = INDEX + "source"
CONCEPT = INDEX + "concept"
PRODUCT = INDEX + "product"
HOW = INDEX + "how"
TEXT = INDEX + "text"
WORD = INDEX + "word"
PREFIX = INDEX + "prefix"
HIERARCHY = INDEX + "hierarchy"
QUICK = INDEX + "hierarchyQuick"
VERSION = INDEX + "version"
#: the shape of the index; a store holding another one has it rebuilt (`ensure`, `refresh`)
INDEX_VERSION = "2"
BUILT = INDEX + "built"
STATE = INDEX + "discovery"
LABELS_STATE = INDEX + "labels"

#: prefixes of a word are indexed up to this length (and the whole word); longer query
#: words are looked up by this prefix and checked in Python
PREFIX_MAX = 24
#: query words looked up in the index (the longest ones); the rest are checked in Python
QUERY_WORDS_MAX = 6
_WORD = re.compile(r"[^\W_]+")

_BATCH = 400  # IRIs per VALUES block
_WORDS_INLINE = 24  # a key starting more dictionary words is joined by its prefix instead
_NOT_IN_IRI = frozenset('<>"{}|^`\\ \n\r\t')
_BULK = 20_000  # new triples above which they are bulk-inserted rather than parsed
#: above this many quads in the store, a full label refresh goes one source at a time
_STREAM_QUADS = 3_000_000
_HOW, _TEXT, _SOURCE = ox.NamedNode(HOW), ox.NamedNode(TEXT), ox.NamedNode(SOURCE)
_WORD_P, _PREFIX_P = ox.NamedNode(WORD), ox.NamedNode(PREFIX)


# --------------------------------------------------------------------------- words


def fold(text: str) -> str:
    """Lower-case and strip accents: the form labels and queries are compared in."""
    if text.isascii():  # most labels: nothing to decompose (5x faster for type-ahead)
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """Split a text into folded words (runs of letters and digits)."""
    return _WORD.findall(fold(text))


def prefixes(word: str) -> list[str]:
    """Return the keys one word is found by: its prefixes up to PREFIX_MAX, and itself."""
    keys = [word[:n] for n in range(1, min(len(word), PREFIX_MAX) + 1)]
    if len(word) > PREFIX_MAX:
        keys.append(word)
    return keys


def lookup_keys(query: str) -> list[str]:
    """Return the keys to look a query up by: its longest distinct words, capped."""
    distinct = sorted(set(words(query)), key=lambda w: (-len(w), w))[:QUERY_WORDS_MAX]
    return [w[:PREFIX_MAX] for w in distinct]


def lookup(store: Store, query: str) -> str | None:
    """Return SPARQL patterns that bind ?entry to the label entries holding, for every
    word of the query, a word it starts; None when some word starts no indexed word.

    The dictionary is read first (index_words.rq), so that the patterns name the words
    themselves and start from the rarest: intersecting entry lists by lookups costs
    what the first list holds.
    """
    keys = lookup_keys(query)
    if not keys:
        return None
    values = "VALUES ?key { " + " ".join(Literal(k).n3() for k in keys) + " }"
    found: dict[str, dict[str, int]] = {k: {} for k in keys}
    for r in store.query(_text("index_words").replace("#KEYS#", values)).rows:
        found[str(r["key"])][str(r["word"])] = int(r["entries"])
    if not all(found.values()):
        return None
    patterns = []
    for i, key in enumerate(sorted(keys, key=lambda k: (sum(found[k].values()), k)), 1):
        if len(found[key]) > _WORDS_INLINE:
            patterns.append(f"?w{i} idx:prefix {Literal(key).n3()} . ?entry idx:word ?w{i} .")
        else:
            patterns.append(" UNION ".join(f"{{ ?entry idx:word {_iri(w)} }}"
                                           for w in sorted(found[key])))
    return "\n    ".join(patterns)


def matches(query: str, text: str) -> bool:
    """Tell whether every word of the query starts a word of the text."""
    have = words(text)
    return bool(have) and all(any(h.startswith(q) for h in have) for q in words(query))


def word_iri(word: str) -> str:
    """Return the dictionary node of one folded word."""
    return INDEX + "word:" + quote(word, safe="")


# --------------------------------------------------------------------------- refresh


def refresh(store: Store, changed: Iterable[str] | None = None) -> int:
    """Bring the index up to date: everything (None) or what the changed graphs affect.

    Return how many index entries were written or removed (all of them on a rebuild).
    It holds the store's write turn, taken before the build lock (one order: no deadlock
    with a write that refreshes the index while holding its turn).
    """
    with store.writing():
        return _refresh(store, changed)


def _refresh(store: Store, changed: Iterable[str] | None) -> int:
    start = time.perf_counter()
    current = _current(store)
    if changed is None or not current:
        with _BUILDING:  # a search in this process waits rather than building it twice
            if not current:  # missing, half there or of another shape: built anew
                for g in GRAPHS:
                    if store.has_graph(g):
                        store.drop(g)
            n = _rebuild_discovery(store) + _sync_labels(store, None)
        log.info("search index rebuilt: %d entries in %.2f s", n, time.perf_counter() - start)
        return n
    graphs = set(_sources(changed)) | _vanished(store)
    if not graphs:
        return 0
    if _hierarchy_moved(store):
        n = _rebuild_discovery(store)  # a concept moved: every product may move with it
    else:
        n = _update_discovery(store, _affected_products(store, graphs))
    n += _sync_labels(store, graphs)
    log.info("search index refreshed for %d graphs: %d entries in %.2f s", len(graphs), n,
             time.perf_counter() - start)
    return n


def _sources(graphs: Iterable[str]) -> list[str]:
    """Return the source graphs behind changed graph names (inferred ones map back)."""
    out = []
    for g in graphs:
        if g in GRAPHS or g in (SCHEMA_INFERRED_GRAPH, META_GRAPH):
            continue
        out.append(g[len(INFERRED_PREFIX):] if g.startswith(INFERRED_PREFIX) else g)
    return out


def _vanished(store: Store) -> set[str]:
    """Return the sources the index holds entries of that are no longer in the store."""
    res = store.query(_text("index_sources"))
    return {str(r["source"]) for r in res.rows if not store.has_graph(str(r["source"]))}


def _text(name: str) -> str:
    return (load_query(name).replace("#DISCOVERY#", DISCOVERY_GRAPH)
            .replace("#LABELS#", LABELS_GRAPH).replace("#SCHEMA#", SCHEMA_INFERRED_GRAPH)
            .replace("#INFERRED#", INFERRED_PREFIX).replace("#VOCAB#", VOCAB_GRAPH_PREFIX)
            .replace("#ONTOLOGY#", ONTOLOGY_GRAPH))


def _iri(iri: str) -> str:
    """Serialize an IRI for a query, refusing characters that could end it."""
    if any(c in iri for c in _NOT_IN_IRI):
        return term_to_sparql(URIRef(iri))  # raises UsageError
    return f"<{iri}>"


def _values(var: str, iris: Iterable[str]) -> str:
    return f"VALUES ?{var} {{ " + " ".join(_iri(i) for i in iris) + " }"


def _batches(items: Iterable[str], size: int = 0) -> list[list[str]]:
    items, size = sorted(items), size or _BATCH
    return [items[i:i + size] for i in range(0, len(items), size)]


#: products per discovery diff: each has an entry per concept it is about and their
#: ancestors, and a server cuts an answer at its row limit (5,000 in the test Virtuoso)
_DIFF_BATCH = 50


def _select(store: Store, name: str, hook: str, var: str, iris: Iterable[str]) -> list[dict]:
    """Run an index query for a set of IRIs, a VALUES block of at most _BATCH at a time."""
    rows: list[dict] = []
    for batch in _batches(iris):
        rows += store.query(_text(name).replace(hook, _values(var, batch))).rows
    return rows


def _write_diff(store: Store, graph: str, remove: set[tuple], add: set[tuple]) -> None:
    """Delete and insert triples (rdflib terms) of one index graph in one update."""
    ops = []
    for op, triples in (("DELETE", remove), ("INSERT", add)):
        if triples:
            body = "\n".join(" ".join(term_to_sparql(t) for t in triple) + " ."
                             for triple in sorted(triples))
            ops.append(f"{op} DATA {{ GRAPH <{graph}> {{\n{body}\n}} }}")
    if ops:
        store.update(" ;\n".join(ops))


# --------------------------------------------------------------------------- discovery


def _fingerprints(store: Store) -> tuple[str, str | None]:
    """Return the quick fingerprint of the closure and, when it is not the stored one,
    the exact one (None when the quick one matches)."""
    quick = str(store.query(_text("index_hierarchy_hash")).rows[0].get("hash", ""))
    stored = _stored(store)
    return quick, None if stored.get(QUICK) == quick else _exact_fingerprint(store)


def _exact_fingerprint(store: Store) -> str:
    """Hash the skos:broaderTransitive closure the discovery graph is built on, sorted."""
    res = store.query(_text("index_hierarchy"))
    h = hashlib.sha256()
    for line in sorted(f"{r['concept']} {r['ancestor']}" for r in res.rows):
        h.update(line.encode("utf-8") + b"\n")
    return h.hexdigest()


def _stored(store: Store) -> dict[str, str]:
    res = store.query(f"SELECT ?p ?h WHERE {{ GRAPH <{DISCOVERY_GRAPH}> {{ <{STATE}> ?p ?h }} }}")
    return {str(r["p"]): str(r["h"]) for r in res.rows}


def _hierarchy_moved(store: Store) -> bool:
    """Tell whether the concept hierarchy changed since the discovery graph was built."""
    quick, exact = _fingerprints(store)
    if exact is None:
        return False
    if exact != _stored(store).get(HIERARCHY):
        return True
    # same closure, another order on the server: remember this quick fingerprint
    _write_diff(store, DISCOVERY_GRAPH, {(URIRef(STATE), URIRef(QUICK), Literal(v))
                                         for p, v in _stored(store).items() if p == QUICK},
                {(URIRef(STATE), URIRef(QUICK), Literal(quick))})
    return False


def _rebuild_discovery(store: Store) -> int:
    """Rebuild the discovery graph from scratch with one SPARQL update."""
    quick = Literal(str(store.query(_text("index_hierarchy_hash")).rows[0].get("hash", "")))
    exact = Literal(_exact_fingerprint(store))
    head, _, select = _text("index_discovery").replace("#PRODUCTS#", "").partition("\nSELECT")
    store.update(f"{head}DROP SILENT GRAPH <{DISCOVERY_GRAPH}> ;\n"
                 f"INSERT {{ GRAPH <{DISCOVERY_GRAPH}> {{ ?product ?p ?o }} }}\n"
                 f"WHERE {{ SELECT{select} }} ;\n"
                 f"INSERT DATA {{ GRAPH <{DISCOVERY_GRAPH}> {{ <{STATE}> <{HIERARCHY}> "
                 f"{exact.n3()} ; <{QUICK}> {quick.n3()} ; <{VERSION}> "
                 f"{Literal(INDEX_VERSION).n3()} }} }}")
    return store.graphs().get(DISCOVERY_GRAPH, 0)


def _discovery_diff(store: Store, products: set[str]) -> tuple[set[tuple], set[tuple]]:
    """Return the discovery triples of some products to remove and to add: what the
    graph holds and what it should hold are read per batch of products and compared here
    (a MINUS of the two in the query removed nothing on Virtuoso 7.2: stale entries
    stayed)."""
    head, _, select = _text("index_discovery").partition("\nSELECT")
    held = (f"SELECT ?product ?p ?o WHERE {{ #PRODUCTS# GRAPH <{DISCOVERY_GRAPH}> "
            "{ ?product ?p ?o } }")
    should = f"{head}SELECT{select}"
    remove, add = set(), set()
    for values in (_values("product", batch) for batch in _batches(products, _DIFF_BATCH)):
        have, want = ({(r["product"], r["p"], r["o"])
                       for r in store.query(q.replace("#PRODUCTS#", values)).rows}
                      for q in (held, should))
        remove |= have - want
        add |= want - have
    return remove, add


def _affected_products(store: Store, graphs: set[str]) -> set[str]:
    """Return the products whose discovery entries a change of these sources may alter."""
    found: set[str] = set()
    for g in sorted(graphs):
        res = store.query(_text("index_affected").replace("#SOURCE_INFERRED#", _iri(
            INFERRED_PREFIX + g)).replace("#SOURCE#", _iri(g)))
        found |= {str(r["product"]) for r in res.rows}
    return found


def _update_discovery(store: Store, products: set[str]) -> int:
    """Re-derive the discovery entries of some products, writing only what differs."""
    if not products:
        return 0
    remove, add = _discovery_diff(store, products)
    _write_diff(store, DISCOVERY_GRAPH, remove, add)
    return len(remove) + len(add)


# --------------------------------------------------------------------------- labels


def _entry_triples(row: dict) -> tuple[list[ox.Triple], list[str]]:
    """Return the triples of one label entry from its index_labels row, and its words."""
    entry = ox.NamedNode(INDEX + "entry:" + str(row["id"]))
    found = sorted(set(words(str(row["text"]))))
    return ([ox.Triple(entry, ox.NamedNode(str(row["kind"])), ox.NamedNode(str(row["r"]))),
             ox.Triple(entry, _HOW, ox.NamedNode(str(row["how"]))),
             ox.Triple(entry, _TEXT, to_oxigraph(row["text"])),
             ox.Triple(entry, _SOURCE, ox.NamedNode(str(row["source"])))]
            + [ox.Triple(entry, _WORD_P, ox.NamedNode(word_iri(w))) for w in found], found)


def _dictionary(found: Iterable[str]) -> list[ox.Triple]:
    """Return the word dictionary triples for some words: each word with its prefixes."""
    return [ox.Triple(ox.NamedNode(word_iri(w)), _PREFIX_P, ox.Literal(k))
            for w in sorted(set(found)) for k in prefixes(w)]


def _label_query(graph: str | None, projection: str, ids: Iterable[str] = ()) -> str:
    ids = sorted(ids)
    where = ("FILTER(?id IN (" + ", ".join(f'"{i}"' for i in ids) + "))") if ids else ""
    return (_text("index_labels").replace("#GRAPH#", "?any" if graph is None else _iri(graph))
            .replace("#PROJECTION#", projection).replace("#FILTER#", where))


def _label_graphs(store: Store, graphs: set[str] | None) -> list[str | None]:
    if graphs is None:
        return [None]
    return [name for g in sorted(graphs) if store.has_graph(g)
            for name in (g, INFERRED_PREFIX + g)]


def _sync_labels(store: Store, graphs: set[str] | None, *, state: bool = True) -> int:
    """Re-derive the label entries of some sources (None: all), writing only what differs.

    Entries are compared by id (a hash of all an entry says, computed by the store), and
    only new entries are read whole. The dictionary gains the words of new entries and
    keeps the others (a word without entries finds nothing). Return the entries added or
    removed.
    """
    if graphs is None or len(graphs) > 1:
        counts = store.graphs()
        size = sum(counts.values()) if graphs is None else sum(
            counts.get(g, 0) + counts.get(INFERRED_PREFIX + g, 0) for g in graphs)
        if size > _STREAM_QUADS:
            return _sync_labels_by_source(store, graphs)
    scopes = _label_graphs(store, graphs)
    want: dict[str, str | None] = {}
    for scope in scopes:
        for r in store.query(_label_query(scope, "DISTINCT ?id ?g")).rows:
            if str(r["g"]) not in GRAPHS:
                want[str(r["id"])] = scope
    have_q = _text("index_label_entries")
    if graphs is None:
        have = {str(r["id"]) for r in store.query(have_q.replace("#GRAPHS#", "")).rows}
    else:
        have = {str(r["id"]) for r in _select(store, "index_label_entries", "#GRAPHS#",
                                              "source", graphs)}
    gone = sorted(have - set(want))
    new_ids = set(want) - have
    new: list[tuple[list[ox.Triple], list[str]]] = []
    for scope in scopes:
        mine = {i for i in new_ids if want[i] == scope}
        if not mine:
            continue
        # every row at once when most are new (a first build); else only the new ones
        query = _label_query(scope, "?id ?source ?kind ?r ?how ?text",
                             () if len(mine) > _BATCH else mine)
        new += [_entry_triples(r) for r in store.query(query).rows if str(r["id"]) in mine]
    new = [(ts, found) for ts, found in new if found]  # a literal without words finds nothing
    add = [t for ts, _ in new for t in ts] + _dictionary(w for _, found in new for w in found)
    g = ox.NamedNode(LABELS_GRAPH)
    if not store.has_graph(LABELS_GRAPH):
        # a first build: pyoxigraph's bulk insert, far faster than parsing INSERT DATA; the
        # state triple keeps the graph (and so the index) there when no label is indexed
        if state:
            add.append(_labels_state())
        store.write_quads({LABELS_GRAPH: [ox.Quad(t.subject, t.predicate, t.object, g)
                                          for t in add]})
    elif len(add) > _BULK and not gone:
        store.write_quads({}, add=[ox.Quad(t.subject, t.predicate, t.object, g) for t in add])
    else:
        ops = [_text("index_labels_forget").replace(
            "#ENTRIES#", "VALUES ?entry { " + " ".join(f"<{INDEX}entry:{i}>" for i in batch)
            + " }") for batch in _batches(gone)]
        if add:
            body = ox.serialize(add, format=ox.RdfFormat.N_TRIPLES).decode("utf-8")
            ops.append(f"INSERT DATA {{ GRAPH <{LABELS_GRAPH}> {{\n{body}}} }}")
        if ops:
            store.update(" ;\n".join(ops))
    return len(gone) + len(new)


def _labels_state() -> ox.Triple:
    return ox.Triple(ox.NamedNode(LABELS_STATE), ox.NamedNode(BUILT),
                     ox.Literal("true", datatype=ox.NamedNode(str(XSD.boolean))))


def _sync_labels_by_source(store: Store, graphs: set[str] | None) -> int:
    """The label entries of many large sources (None: all), one source (and its inferred
    graph) at a time: diffing every entry at once held them all as Python terms (7.6 GB
    for a first load of 100,000 products). An index that was there stays current
    meanwhile (each source's entries are replaced as a change of that source replaces
    them); a first build writes its state triple last, so one stopped half-way is not
    current and is built anew."""
    first = not store.has_graph(LABELS_GRAPH)
    n = 0
    if graphs is None:
        graphs = {x for x in store.graph_names()
                  if x not in GRAPHS and not x.startswith(INFERRED_PREFIX)} | _vanished(store)
    for g in sorted(graphs):
        n += _sync_labels(store, {g}, state=False)
    if first:
        state = _labels_state()
        store.write_quads({}, add=[ox.Quad(state.subject, state.predicate, state.object,
                                           ox.NamedNode(LABELS_GRAPH))])
    return n


_BUILDING = threading.RLock()  # held by ensure() and by a full refresh, after store.writing()


def _current(store: Store) -> bool:
    """Tell whether the store holds the index, in this version's shape."""
    return all(store.has_graph(g) for g in GRAPHS) and store.query(
        f"ASK {{ GRAPH <{DISCOVERY_GRAPH}> {{ <{STATE}> <{VERSION}> "
        f"{Literal(INDEX_VERSION).n3()} }} GRAPH <{LABELS_GRAPH}> "
        f"{{ <{LABELS_STATE}> <{BUILT}> ?built }} }}").boolean is True


def ensure(store: Store) -> None:
    """Build the index when the store has none yet, or one of another shape (a store
    made before this version)."""
    if _current(store):
        return
    with store.writing(), _BUILDING:  # in the order refresh() takes them
        if not _current(store):
            log.warning("the store has no current search index: building it (once)")
            refresh(store, None)
