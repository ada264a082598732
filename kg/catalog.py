"""The catalog read API the CLI and the web app share: find data by its meaning.

Every function runs one or more `kg/queries/catalog_*.rq` files with values
bound by the safe term serializer (`term_to_sparql`), never pasted into the text
as they come, and returns its answer together with the SPARQL it ran (`Ran`), so
that a page can show "the query behind this list" and open it on the SPARQL page:
the shown query is the one that ran. One value is written in place of its variable
(`_inline`), a set of values as a VALUES block at the start of the query (`_lead`):
pyoxigraph plans both well, but joins a substituted or trailing VALUES binding in
only after evaluating the rest (a lineage query: 2.5 s instead of 0.5 ms at 10,000
products). Queries that read the search index name its graphs by placeholder
(`#DISCOVERY#`, `#LABELS#`, `#SCHEMA#`), filled in from kg.searchindex.

Labels are chosen per language with a fallback: the asked language, then its
base language (de for de-CH), then English, then an untagged literal, then any.
"""

from __future__ import annotations

import re
import time
import weakref
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, RDFS, SKOS
from rdflib.term import Node

from kg import searchindex
from kg.errors import NotFound, UsageError
from kg.namespaces import DPROD, DPV, MESH, ODRL, RAI, SCHEMA_INFERRED_GRAPH, sparql_prefixes
from kg.queries import load_query
from kg.store.base import Store, term_to_sparql

VCARD = "http://www.w3.org/2006/vcard/ns#"
FOAF = "http://xmlns.com/foaf/0.1/"
T = TypeVar("T")
_PREFIXES = (sparql_prefixes() + f"PREFIX vcard: <{VCARD}>\nPREFIX foaf: <{FOAF}>\n"
             f"PREFIX idx: <{searchindex.INDEX}>\n")
#: graph names the query files name by placeholder (kept in one place: kg.searchindex)
_GRAPHS = {"#DISCOVERY#": searchindex.DISCOVERY_GRAPH, "#LABELS#": searchindex.LABELS_GRAPH,
           "#SCHEMA#": SCHEMA_INFERRED_GRAPH}

MAX_QUERY_TEXT = 200  # longest search text accepted, in characters
PER_PAGE = 50  # products per page of a concept
MATCH_PROPS = (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch,
               SKOS.relatedMatch)
_LABEL_PROPS = (SKOS.prefLabel, RDFS.label)


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Ran:
    """One query the catalog ran: its name, runnable text and time taken."""

    name: str
    sparql: str
    ms: float


@dataclass
class Ref:
    """A linked resource with the label chosen for the reader."""

    iri: str
    label: str
    lang: str | None = None

    @property
    def is_iri(self) -> bool:
        return not self.iri.startswith("_:")


@dataclass
class Listing:
    """A list answer and the query that produced it; `total` counts all when items is a page."""

    items: list
    query: Ran | None = None
    total: int | None = None


@dataclass
class TreeNode:
    """One concept in a concept tree: label and whether it has narrower concepts."""

    iri: str
    label: str
    has_children: bool
    lang: str | None = None


@dataclass
class Scheme:
    """A concept scheme with its top concepts."""

    iri: str
    label: str
    top: list[TreeNode] = field(default_factory=list)


@dataclass
class Relation:
    """A typed relation between two concepts: "Customer places Order"."""

    subject: Ref
    relation: Ref
    object: Ref


@dataclass
class AboutProduct:
    """A product found through a concept: the concept it is about and the path up."""

    product: ProductCard
    about: Ref
    path: list[Ref]  # from `about` up to the concept asked for, both included

    @property
    def direct(self) -> bool:
        return len(self.path) <= 1

    @property
    def explanation(self) -> str:
        if self.direct:
            return f"about {self.about.label}"
        via = "".join(f", narrower than {r.label}" for r in self.path[1:-1])
        return f"about {self.about.label}{via}, a narrower concept of {self.path[-1].label}"


@dataclass
class Concept:
    """What a concept page shows."""

    iri: str
    label: str
    lang: str | None
    labels: dict[str, str]
    alt_labels: list[Literal]
    hidden_labels: list[Literal]
    definition: str | None
    scope_note: str | None
    schemes: list[Ref]
    broader: list[Ref]
    narrower: list[Ref]
    related: list[Ref]
    matches: dict[str, list[Ref]]
    relations: list[Relation]
    products: list[AboutProduct]
    queries: dict[str, Ran]
    product_count: int = 0  # products about it or a narrower concept, on every page
    page: int = 1
    pages: int = 1

    @property
    def languages(self) -> list[str]:
        return sorted(self.labels)


@dataclass
class ProductCard:
    """The facts a product card and the search facets use."""

    iri: str
    label: str
    description: str | None = None
    purpose: str | None = None
    domain: Ref | None = None
    status: Ref | None = None
    modified: str | None = None
    concepts: list[Ref] = field(default_factory=list)
    tags: list[Ref] = field(default_factory=list)
    policies: list[Ref] = field(default_factory=list)
    personal_data: list[Ref] = field(default_factory=list)


@dataclass
class Field_:
    """One schema field of a dataset."""

    iri: str
    name: str
    datatype: str | None
    means: Ref | None
    personal: list[Ref]
    suggested: list[tuple[Ref, str, str]] = field(default_factory=list)


@dataclass
class Port:
    """An output port, the datasets it serves and their fields."""

    iri: str
    label: str
    endpoint: str | None
    datasets: list[tuple[Ref, list[Field_]]]


@dataclass
class Policy:
    """A policy in plain words."""

    ref: Ref
    sentences: list[str]


@dataclass
class Lineage:
    """Upstream and downstream products, and the links between them for a picture."""

    upstream: list[Ref]
    downstream: list[Ref]
    edges: list[tuple[str, str]]  # (derived, source)
    labels: dict[str, str]
    depth: dict[str, int]  # negative upstream, positive downstream
    query: Ran | None = None


@dataclass
class Product:
    """What a product page shows, in the meaning-first order."""

    card: ProductCard
    about: list[Ref]
    relations: list[Relation]
    privacy: dict[str, list[Ref]]
    policies: list[Policy]
    policy_purposes: list[Ref]  # the purposes its policies constrain by
    coverage: dict[str, list]
    owners: list[dict]
    contacts: list[dict]
    sensitivity: list[Ref]
    validation: dict | None
    findings: list
    lineage: Lineage
    ports: list[Port]
    links: list[Ref]
    queries: dict[str, Ran]


@dataclass
class Hit:
    """One search result: a product or a concept, with why it was found."""

    kind: str  # "product" or "concept"
    iri: str
    label: str
    score: int
    reasons: list[str]
    card: ProductCard | None = None


@dataclass
class SearchResult:
    """Search results, the facets over them and the queries run."""

    q: str
    hits: list[Hit]  # one page of them when the search asked for pages
    concepts: list[Hit]
    facets: dict[str, list[tuple[Ref, int]]]  # over every hit, not only the page
    filters: dict[str, str]
    queries: list[Ran]
    total: int = 0
    page: int = 1
    pages: int = 1


# --------------------------------------------------------------------------- helpers

_KEPT: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_KEPT_MAX = 4096  # answers kept per store; past it they are all let go


def _kept(store: Store, key: tuple, compute: Callable[[], T]) -> T:
    """Return compute()'s answer, kept per store until the store is written to.

    The store's write counter (`generation`) tells; a store without one (a shared
    SPARQL server others write to) keeps nothing. The counter is read before
    computing, so an answer computed across a write is let go with its generation.
    Answers are shared between requests: callers must not change them.
    """
    generation = getattr(store, "generation", None)
    if generation is None:
        return compute()
    kept = _KEPT.get(store)
    if kept is None or kept.get(None) != generation:
        kept = {None: generation}
        _KEPT[store] = kept
    if key not in kept:
        if len(kept) > _KEPT_MAX:
            kept.clear()
            kept[None] = generation
        kept[key] = compute()
    return kept[key]



def query_text(name: str) -> str:
    """Return the full text of a catalog query file, with its PREFIX lines."""
    text = load_query(name)
    for hook, graph in _GRAPHS.items():
        text = text.replace(hook, graph)
    return _PREFIXES + text


def _lead(text: str, values: str) -> str:
    """Put a VALUES block at the start of a query's WHERE group (pyoxigraph plans a leading
    VALUES well; a trailing one, or a substitution, after joining everything else)."""
    head, brace, body = text.partition("{")
    return head + brace + "\n  " + values + "\n" + body


def _run_for(store: Store, name: str, var: str, iris: list[str]):
    """Run a query for a set of IRIs, bound by a leading VALUES block on `?var`, in
    batches; the query shown is the bound one when one batch was enough."""
    from kg.store.base import Result
    text = query_text(name)
    start = time.perf_counter()
    out = Result("select")
    shown = text
    for i in range(0, len(iris), 400):
        values = f"VALUES ?{var} {{ " + " ".join(term_to_sparql(URIRef(x))
                                                 for x in iris[i:i + 400]) + " }"
        shown = _lead(text, values)
        part = store.query(shown)
        out.vars = part.vars
        out.rows += part.rows
    ms = (time.perf_counter() - start) * 1000
    return out, Ran(name, shown if len(iris) <= 400 else text, round(ms, 2))


def _inline(text: str, bindings: Mapping[str, Node] | None) -> str:
    """Write bound values in place of their variables: `(<iri> AS ?v)` in the projection,
    the term itself in the query's pattern (queries never GROUP BY a bound variable)."""
    if not bindings:
        return text
    head, brace, body = text.partition("{")
    for name, term in bindings.items():
        value = term_to_sparql(term)
        pattern = re.compile(rf"[?$]{re.escape(name)}\b")
        head = pattern.sub(lambda _m, v=value, n=name: f"({v} AS ?{n})", head)
        body = pattern.sub(lambda _m, v=value: v, body)
    return head + brace + body


def _run(store: Store, name: str, bindings: Mapping[str, Node] | None = None):
    text = _inline(query_text(name), bindings)
    start = time.perf_counter()
    result = store.query(text)
    ms = (time.perf_counter() - start) * 1000
    return result, Ran(name, text, round(ms, 2))


def _iri(value: str | Node, what: str = "IRI") -> URIRef:
    if isinstance(value, URIRef):
        return value
    text = str(value).strip()
    if not text or any(c in text for c in '<>"{}|^`\\ \n\r\t'):
        raise UsageError(f"not a valid {what}: {text!r}")
    return URIRef(text)


def _lang_rank(lit: Literal, lang: str) -> tuple:
    tag = (lit.language or "").lower()
    want = lang.lower()
    if tag == want:
        return (0, str(lit))
    if tag and tag.split("-")[0] == want.split("-")[0]:
        return (1, str(lit))
    if tag == "en":
        return (2, str(lit))
    if not tag:
        return (3, str(lit))
    return (4, tag, str(lit))


def pick(labels: Iterable[Node], lang: str = "en") -> Literal | None:
    """Choose the label to show in a language, with the fallback order above."""
    lits = [x for x in labels if isinstance(x, Literal)]
    if not lits:
        return None
    return min(lits, key=lambda lit: _lang_rank(lit, lang))


def local_name(iri: str) -> str:
    """Return the last path or fragment segment of an IRI, as a label of last resort."""
    for sep in ("#", "/", ":"):
        head, _, tail = iri.rstrip("/#").rpartition(sep)
        if head and tail:
            return tail
    return iri


def _name(term: Node) -> str:
    return f"_:{term}" if isinstance(term, BNode) else str(term)


class _Labels:
    """Collect candidate labels per resource while reading rows; pick one at the end."""

    def __init__(self, lang: str):
        self.lang = lang
        self._by: dict[str, set[Literal]] = defaultdict(set)

    def add(self, term: Node | None, label: Node | None) -> None:
        if term is not None and isinstance(label, Literal):
            self._by[_name(term)].add(label)

    def ref(self, term: Node | str) -> Ref:
        key = _name(term) if isinstance(term, Node) else term
        best = pick(self._by.get(key, ()), self.lang)
        if best is None:
            return Ref(key, local_name(key))
        return Ref(key, str(best), best.language)


def _unique(refs: Iterable[Ref]) -> list[Ref]:
    seen, out = set(), []
    for r in refs:
        if r.iri not in seen:
            seen.add(r.iri)
            out.append(r)
    return sorted(out, key=lambda r: (r.label.lower(), r.iri))


# --------------------------------------------------------------------------- home


def domains(store: Store, lang: str = "en") -> Listing:
    """List data domains with their product counts, largest first (kept: `_kept`)."""
    return _kept(store, ("domains", lang), lambda: _domains(store, lang))


def _domains(store: Store, lang: str) -> Listing:
    res, ran = _run(store, "catalog_domains")
    labels, counts = _Labels(lang), {}
    for row in res.rows:
        labels.add(row["domain"], row.get("label"))
        counts[_name(row["domain"])] = int(row["products"])
    items = [(labels.ref(d), n) for d, n in counts.items()]
    items.sort(key=lambda x: (-x[1], x[0].label.lower()))
    return Listing(items, ran)


def schemes(store: Store, lang: str = "en") -> Listing:
    """List concept schemes, each with its top concepts (kept: `_kept`)."""
    return _kept(store, ("schemes", lang), lambda: _schemes(store, lang))


def _schemes(store: Store, lang: str) -> Listing:
    res, ran = _run(store, "catalog_schemes")
    scheme_labels, top_labels = _Labels(lang), _Labels(lang)
    tops: dict[str, dict[str, bool]] = defaultdict(dict)
    for row in res.rows:
        s = _name(row["scheme"])
        scheme_labels.add(row["scheme"], row.get("schemeLabel"))
        tops.setdefault(s, {})
        if "top" in row:
            top_labels.add(row["top"], row.get("label"))
            tops[s][_name(row["top"])] = bool(row.get("children"))
    items = []
    for s, children in tops.items():
        ref = scheme_labels.ref(s)
        nodes = [_tree_node(top_labels.ref(t), has) for t, has in children.items()]
        nodes.sort(key=lambda n: n.label.lower())
        items.append(Scheme(s, ref.label, nodes))
    items.sort(key=lambda s: s.label.lower())
    return Listing(items, ran)


def _tree_node(ref: Ref, has_children: bool) -> TreeNode:
    return TreeNode(ref.iri, ref.label, has_children, ref.lang)


def scheme(store: Store, iri: str, lang: str = "en") -> Scheme:
    """Return one concept scheme with its top concepts, or raise NotFound."""
    listing = schemes(store, lang)
    for s in listing.items:
        if s.iri == str(iri):
            return s
    raise NotFound(f"no concept scheme <{iri}> in the store")


def scheme_size(store: Store, iri: str) -> int:
    """Count the concepts of one scheme."""
    res, _ = _run(store, "catalog_scheme_size", {"scheme": _iri(iri)})
    return sum(int(r["concepts"]) for r in res.rows)


def ancestors(store: Store, iri: str) -> list[str]:
    """List every broader concept of a concept, transitively."""
    res, _ = _run(store, "catalog_ancestors", {"concept": _iri(iri)})
    return sorted({str(r["ancestor"]) for r in res.rows})


def search_in_scheme(store: Store, scheme_iri: str, q: str, lang: str = "en") -> Listing:
    """List the concepts of one scheme whose labels contain the text, with the match."""
    q = _norm_query(q)
    res, ran = _run(store, "catalog_scheme_search",
                    {"scheme": _iri(scheme_iri), "q": Literal(q.lower())})
    labels, matched = _Labels(lang), defaultdict(set)
    for row in res.rows:
        labels.add(row["concept"], row.get("label"))
        matched[str(row["concept"])].add(str(row["matched"]))
    items = [(labels.ref(c), sorted(m)) for c, m in matched.items()]
    items.sort(key=lambda x: (x[0].label.lower() != q.lower(), x[0].label.lower()))
    return Listing(items, ran)


def children(store: Store, iri: str, lang: str = "en") -> Listing:
    """List the narrower concepts of one concept (one level, for a lazy tree)."""
    res, ran = _run(store, "catalog_children", {"parent": _iri(iri)})
    labels, has = _Labels(lang), {}
    for row in res.rows:
        labels.add(row["concept"], row.get("label"))
        has[_name(row["concept"])] = bool(row.get("children"))
    nodes = [_tree_node(labels.ref(c), h) for c, h in has.items()]
    nodes.sort(key=lambda n: n.label.lower())
    return Listing(nodes, ran)


def recent_products(store: Store, lang: str = "en") -> Listing:
    """List the most recently changed data products, newest first (kept: `_kept`)."""
    return _kept(store, ("recent", lang), lambda: _recent_products(store, lang))


def _recent_products(store: Store, lang: str) -> Listing:
    res, ran = _run(store, "catalog_recent")
    cards = product_cards(store, lang, [str(r["product"]) for r in res.rows]).items
    items = [cards[str(r["product"])] for r in res.rows if str(r["product"]) in cards]
    return Listing(items, ran)


def validation_summary(store: Store) -> dict:
    """Count the data products that pass validation, of those checked and of all (kept)."""
    return _kept(store, ("validation",), lambda: _validation_summary(store))


def _validation_summary(store: Store) -> dict:
    status = validation_status(store)
    res, _ = _run(store, "catalog_product_iris")
    products = {str(r["product"]) for r in res.rows}
    checked = [status[p] for p in products if p in status]
    passing = sum(1 for s in checked if s.get("conforms"))
    return {"passing": passing, "checked": len(checked), "products": len(products)}


def validation_status(store: Store) -> dict[str, dict]:
    """Return the last stored validation status of each checked resource."""
    from kg.validation import product_status
    return product_status(store)


def validation_findings(store: Store, iri: str) -> list:
    """Return the stored validation findings about one resource, violations first."""
    from kg.validation import stored_findings
    order = {"Violation": 0, "Warning": 1, "Info": 2}
    found = stored_findings(store, str(_iri(iri)))
    return sorted(found, key=lambda f: (order.get(f.severity, 3), f.path or "", f.message))


# --------------------------------------------------------------------------- concepts


def concept(store: Store, iri: str, lang: str = "en", page: int = 1,
            per_page: int = PER_PAGE) -> Concept:
    """Return a concept with labels, notes, links, typed relations and one page of its
    products (those about it first, then those about narrower concepts)."""
    node = _iri(iri)
    res, ran = _run(store, "catalog_concept", {"concept": node})
    out: dict[URIRef, list[Node]] = defaultdict(list)
    inc: dict[URIRef, list[Node]] = defaultdict(list)
    labels, rel_labels = _Labels(lang), _Labels(lang)
    for row in res.rows:
        p, o = row["p"], row["o"]
        (out if str(row["dir"]) == "out" else inc)[p].append(o)
        labels.add(o, row.get("olabel"))
        rel_labels.add(p, row.get("plabel"))
    if SKOS.Concept not in out.get(RDF.type, []) and SKOS.prefLabel not in out:
        raise NotFound(f"no concept <{iri}> in the store")
    pref = [x for x in out.get(SKOS.prefLabel, []) if isinstance(x, Literal)]
    best = pick(pref, lang)
    own = {(x.language or ""): str(x) for x in sorted(pref, key=str)}

    def refs(values: Iterable[Node]) -> list[Ref]:
        return _unique(labels.ref(v) for v in values if isinstance(v, URIRef | BNode))

    relations = []
    for p in set(out) | set(inc):
        if _name(p) not in rel_labels._by:
            continue
        rel = rel_labels.ref(p)
        here = Ref(str(node), str(best) if best else local_name(str(node)))
        relations += [Relation(here, rel, labels.ref(o)) for o in set(out.get(p, []))]
        relations += [Relation(labels.ref(s), rel, here) for s in set(inc.get(p, []))]
    relations.sort(key=lambda r: (r.subject.label, r.relation.label, r.object.label,
                                  r.subject.iri, r.object.iri))
    note = pick(out.get(SKOS.definition, []), lang)
    scope = pick(out.get(SKOS.scopeNote, []), lang)
    about = products_about(store, str(node), lang, page=page, per_page=per_page)
    pages = max(1, -(-(about.total or 0) // per_page))
    typed = {r.object.iri for r in relations} | {r.subject.iri for r in relations}
    return Concept(
        iri=str(node),
        label=str(best) if best else local_name(str(node)),
        lang=best.language if best else None,
        labels=own,
        alt_labels=sorted(out.get(SKOS.altLabel, []), key=lambda x: (x.language or "", x)),
        hidden_labels=sorted(out.get(SKOS.hiddenLabel, []), key=lambda x: (x.language or "", x)),
        definition=str(note) if note else None,
        scope_note=str(scope) if scope else None,
        schemes=refs(out.get(SKOS.inScheme, []) + out.get(SKOS.topConceptOf, [])),
        broader=refs(out.get(SKOS.broader, []) + inc.get(SKOS.narrower, [])),
        narrower=refs(out.get(SKOS.narrower, []) + inc.get(SKOS.broader, [])),
        related=[r for r in refs(out.get(SKOS.related, []) + inc.get(SKOS.related, []))
                 if r.iri not in typed],
        matches={local_name(str(m)): refs(out.get(m, [])) for m in MATCH_PROPS if out.get(m)},
        relations=relations,
        products=about.items,
        queries={"concept": ran, "products": about.query},
        product_count=about.total or 0,
        page=min(max(1, page), pages),
        pages=pages,
    )


def products_about(store: Store, iri: str, lang: str = "en", *, page: int = 1,
                   per_page: int | None = None) -> Listing:
    """List products about a concept or any narrower concept, each with its path up:
    those about it first, then by distance and name; one page of them when per_page is
    given (`total` counts the products on every page). The order is kept until the store
    is written to (`_kept`); cards are read for the page only."""
    node = _iri(iri)
    found, ran = _kept(store, ("about", str(node), lang),
                       lambda: _products_about(store, node, lang))
    total = len({f[3] for f in found})
    if per_page is not None:
        # a page holds whole products: a product about two narrower concepts shows both
        order = list(dict.fromkeys(f[3] for f in found))
        page = min(max(1, page), max(1, -(-total // per_page)))
        shown = set(order[(page - 1) * per_page:page * per_page])
        found = [f for f in found if f[3] in shown]
    cards = product_cards(store, lang, [f[3] for f in found]).items
    items = [AboutProduct(cards[f[3]], f[4][0], f[4]) for f in found if f[3] in cards]
    return Listing(items, ran, total)


def _products_about(store: Store, node: URIRef, lang: str) -> tuple[list[tuple], Ran]:
    """Return (distance, name, concept, product, path) for each product and concept it is
    about at or below `node`, sorted, and the query read."""
    searchindex.ensure(store)
    res, ran = _run_for(store, "catalog_products_about", "concept", [str(node)])
    named, _ = _run_for(store, "catalog_product_names", "concept", [str(node)])
    tree = hierarchy(store, lang)
    names, pairs = _Labels(lang), set()
    for row in named.rows:
        names.add(row["product"], row.get("label"))
    below: dict[str, bool] = {}  # per concept: is it `node` or under it
    for row in res.rows:
        about = str(row["about"])
        if about not in below:
            below[about] = about == str(node) or str(node) in tree.up_from(about)
        if below[about]:
            pairs.add((str(row["product"]), about))
    paths = {about: tree.path(about, str(node)) for about in {a for _, a in pairs}}
    found = [(len(paths[a]), names.ref(p).label.lower(), paths[a][0].label, p, paths[a])
             for p, a in pairs]
    found.sort()
    return found, ran


class Hierarchy:
    """The broader links above the concepts products are about, for explaining paths."""

    def __init__(self, rows: Iterable[Mapping[str, Node]], lang: str, ran: Ran | None = None):
        self.parents: dict[str, set[str]] = defaultdict(set)
        self.labels = _Labels(lang)
        self.query = ran
        for row in rows:
            child = str(row["child"])
            if "parent" in row:
                self.parents[child].add(str(row["parent"]))
            self.labels.add(row["child"], row.get("label"))

    def path(self, about: str, top: str) -> list[Ref]:
        """Return the shortest chain of concepts from `about` up to `top`, both included."""
        back: dict[str, str | None] = {about: None}
        queue = deque([about])
        while queue:
            here = queue.popleft()
            if here == top:
                chain = []
                node: str | None = here
                while node is not None:
                    chain.append(self.labels.ref(node))
                    node = back[node]
                return chain[::-1]
            for up in sorted(self.parents.get(here, ())):
                if up not in back:
                    back[up] = here
                    queue.append(up)
        return [self.labels.ref(about)]

    def up_from(self, about: str) -> set[str]:
        """Return `about` and every concept above it (the concepts it is narrower than)."""
        seen, queue = {about}, deque([about])
        while queue:
            for up in self.parents.get(queue.popleft(), ()):
                if up not in seen:
                    seen.add(up)
                    queue.append(up)
        return seen


def hierarchy(store: Store, lang: str = "en") -> Hierarchy:
    """Read the broader links above every concept a product is about.

    Every concept page and search needs it whole, so it is kept until the store is
    written to (`_kept`).
    """
    def read() -> Hierarchy:
        res, ran = _run(store, "catalog_hierarchy")
        return Hierarchy(res.rows, lang, ran)

    return _kept(store, ("hierarchy", lang), read)


def concept_label(store: Store, iri: str, lang: str = "en") -> Ref:
    """Return a concept (or any resource) with its best label."""
    res, _ = _run(store, "catalog_label", {"iri": _iri(iri)})
    best = pick(res.values("label"), lang)
    return Ref(str(iri), str(best) if best else local_name(str(iri)),
               best.language if best else None)


def kind_of(store: Store, iri: str) -> str | None:
    """Tell which page shows an IRI: product, concept, scheme, domain, policy, or None."""
    try:
        node = _iri(iri)
    except UsageError:
        return None
    res, _ = _run(store, "catalog_kind", {"iri": node})
    types = {r["type"] for r in res.rows}
    for t, kind in ((DPROD.DataProduct, "product"), (SKOS.ConceptScheme, "scheme"),
                    (MESH.DataDomain, "domain"), (DPV.PersonalData, "privacy"),
                    (SKOS.Concept, "concept")):
        if t in types:
            return kind
    if types & {ODRL.Policy, ODRL.Set, ODRL.Offer, ODRL.Agreement}:
        return "policy"
    return None


# --------------------------------------------------------------------------- products


_CARD_FIELDS = {
    DPROD.domain: "domain", DPROD.lifecycleStatus: "status", DCTERMS.subject: "concepts",
    MESH.tag: "tags", ODRL.hasPolicy: "policies", DPV.hasPersonalData: "personal_data",
}


def product_cards(store: Store, lang: str, iris: Iterable[str]) -> Listing:
    """Return a card for each data product of `iris` (others are left out), keyed by IRI.

    Cards are kept until the store is written to (`_kept`); only those not kept yet are
    read."""
    kept: dict[str, ProductCard | None] = _kept(store, ("cards", lang), dict)
    wanted = sorted(set(iris))
    missing = [i for i in wanted if i not in kept]
    ran = Ran("catalog_products", query_text("catalog_products"), 0.0)
    if missing:
        res, ran = _run_for(store, "catalog_products", "product", missing)
        found = _cards(store, res.rows, lang)
        kept.update({i: found.get(i) for i in missing})  # None: not a data product
    return Listing({i: kept[i] for i in wanted if kept.get(i) is not None}, ran)


def _cards(store: Store, rows: list[dict], lang: str) -> dict[str, ProductCard]:
    """Build cards from catalog_products rows; the names of what they link to are read
    once per linked resource (many cards share a domain, a status, a concept)."""
    facts: dict[str, dict[URIRef, set[Node]]] = defaultdict(lambda: defaultdict(set))
    for row in rows:
        facts[str(row["product"])][row["p"]].add(row["o"])
    linked = {str(o) for f in facts.values() for p, os in f.items() if p in _CARD_FIELDS
              for o in os if isinstance(o, URIRef)}
    labels, _ = _names(store, linked, lang)
    return {iri: _card(iri, f, labels, lang) for iri, f in facts.items()}


def _card(iri: str, f: Mapping[URIRef, set[Node]], labels: _Labels, lang: str) -> ProductCard:
    name = pick(f.get(RDFS.label, ()), lang)
    desc = pick(f.get(DCTERMS.description, ()), lang)
    purpose = pick(f.get(DPROD.purpose, ()), lang)
    modified = max((str(m) for m in f.get(DCTERMS.modified, ())), default=None)
    card = ProductCard(iri, str(name) if name else local_name(iri),
                       str(desc) if desc else None, str(purpose) if purpose else None,
                       modified=modified)
    for prop, attr in _CARD_FIELDS.items():
        refs = _unique(labels.ref(o) for o in f.get(prop, ()) if not isinstance(o, Literal))
        if attr in ("domain", "status"):
            setattr(card, attr, refs[0] if refs else None)
        else:
            setattr(card, attr, refs)
    return card


def products_by(store: Store, prop: URIRef, value: str, lang: str = "en") -> Listing:
    """List the data products with one value of a property (domain, tag, category, policy)."""
    res, ran = _run(store, "catalog_products_by", {"prop": prop, "value": _iri(value)})
    cards = product_cards(store, lang, [str(r["product"]) for r in res.rows]).items
    items = sorted({cards[str(r["product"])].iri: cards[str(r["product"])]
                    for r in res.rows if str(r["product"]) in cards}.values(),
                   key=lambda c: c.label.lower())
    return Listing(items, ran)


def product(store: Store, iri: str, lang: str = "en") -> Product:
    """Return one data product with everything its page shows, or raise NotFound."""
    node = _iri(iri)
    res, ran = _run(store, "catalog_product", {"product": node})
    if not res.rows:
        raise NotFound(f"no data product <{iri}> in the store")
    facts: dict[URIRef, set[Node]] = defaultdict(set)
    labels = _Labels(lang)
    periods: dict[str, list[str]] = defaultdict(lambda: ["", ""])
    for row in res.rows:
        facts[row["p"]].add(row["o"])
        labels.add(row["o"], row.get("olabel"))
        for i, var in enumerate(("start", "end")):
            if var in row:
                periods[_name(row["o"])][i] = str(row[var])
    card = _card(str(node), facts, labels, lang)

    def refs(prop: URIRef) -> list[Ref]:
        return _unique(labels.ref(o) for o in facts.get(prop, ()) if not isinstance(o, Literal))

    def texts(prop: URIRef) -> list[str]:
        return sorted({str(o) for o in facts.get(prop, ()) if isinstance(o, Literal)
                       and (o.language in (None, lang) or pick(facts[prop], lang) == o)})

    rel_res, rel_ran = _run(store, "catalog_product_relations", {"product": node})
    relations = _relations(rel_res.rows, lang)
    contact_res, contact_ran = _run(store, "catalog_product_contact", {"product": node})
    owners, contacts = _contacts(contact_res.rows, lang)
    policies, purposes, policy_ran = _policies(store, node, lang)
    fields_res, fields_ran = _run(store, "catalog_product_fields", {"product": node})
    status = validation_status(store)
    lin = lineage(store, str(node), lang)
    coverage = {
        "covers": refs(MESH.covers),
        "does_not_cover": refs(MESH.doesNotCover),
        "spatial": refs(DCTERMS.spatial) + [Ref("", t) for t in texts(DCTERMS.spatial)],
        "temporal": [Ref("", t) for t in texts(DCTERMS.temporal)]
        + [Ref("", _period(*periods[r.iri])) if r.iri in periods else r
           for r in refs(DCTERMS.temporal)],
        "biases": texts(RAI.dataBiases),
        "limitations": texts(RAI.dataLimitations),
    }
    links = _unique(Ref(str(o), f"{name}: {o}") for p, name in _MORE_LINKS.items()
                    for o in facts.get(p, ()) if isinstance(o, URIRef))
    return Product(
        card=card,
        about=card.concepts,
        relations=relations,
        privacy={"categories": refs(DPV.hasPersonalData), "purposes": refs(DPV.hasPurpose),
                 "legal_bases": refs(DPV.hasLegalBasis)},
        policies=policies,
        policy_purposes=purposes,
        coverage=coverage,
        owners=owners,
        contacts=contacts,
        sensitivity=refs(DPROD.informationSensitivityClassification),
        validation=status.get(str(node)),
        findings=validation_findings(store, str(node)) if str(node) in status else [],
        lineage=lin,
        ports=_ports(fields_res.rows, lang),
        links=links,
        queries={"product": ran, "relations": rel_ran, "contact": contact_ran,
                 "policy": policy_ran, "fields": fields_ran, "lineage": lin.query},
    )


_MORE_LINKS = {
    DCTERMS.isReplacedBy: "replaced by", DCTERMS.replaces: "replaces",
    DCAT.landingPage: "landing page", RDFS.seeAlso: "see also",
    DCTERMS.conformsTo: "conforms to", URIRef(FOAF + "page"): "documentation",
}


def _period(start: str, end: str) -> str:
    if start and end:
        return f"{start} to {end}"
    return f"since {start}" if start else f"until {end}"


def _relations(rows: list[dict], lang: str) -> list[Relation]:
    labels = _Labels(lang)
    triples = set()
    for row in rows:
        labels.add(row["s"], row.get("slabel"))
        labels.add(row["rel"], row.get("rlabel"))
        labels.add(row["o"], row.get("olabel"))
        triples.add((row["s"], row["rel"], row["o"]))
    out = [Relation(labels.ref(s), labels.ref(r), labels.ref(o)) for s, r, o in triples]
    return sorted(out, key=lambda r: (r.subject.label, r.relation.label, r.object.label))


def _contacts(rows: list[dict], lang: str) -> tuple[list[dict], list[dict]]:
    found: dict[tuple[str, str], dict] = {}
    names = _Labels(lang)
    for row in rows:
        key = (str(row["role"]), _name(row["agent"]))
        entry = found.setdefault(key, {"iri": key[1], "emails": set(), "urls": set()})
        names.add(row["agent"], row.get("name"))
        if "email" in row:
            entry["emails"].add(str(row["email"]))
        if "url" in row:
            entry["urls"].add(str(row["url"]))
    owners, contacts = [], []
    for (role, agent), entry in sorted(found.items()):
        ref = names.ref(agent)
        item = {"ref": ref, "emails": sorted(entry["emails"]), "urls": sorted(entry["urls"])}
        (owners if role == str(DPROD.dataProductOwner) else contacts).append(item)
    return owners, contacts


def policy(store: Store, iri: str, lang: str = "en") -> Listing:
    """Return one policy in plain words (as a one-item listing), or an empty listing."""
    node = _iri(iri)
    res, ran = _run(store, "catalog_product_policy", {"policy": node})
    return Listing(_describe(res.graph(), [node], lang), ran)


def _policies(store: Store, node: URIRef, lang: str) -> tuple[list[Policy], list[Ref], Ran]:
    """Return a product's policies in plain words and the purposes they constrain by."""
    res, ran = _run(store, "catalog_product_policy", {"product": node})
    graph = res.graph()
    policies = _describe(graph, sorted(set(graph.objects(node, ODRL.hasPolicy)), key=str), lang)
    purposes = set()
    for constraint in graph.subjects(ODRL.leftOperand, ODRL.purpose):
        for value in graph.objects(constraint, ODRL.rightOperand):
            members = list(graph.items(value)) if (value, RDF.first, None) in graph else [value]
            purposes |= {m for m in members if isinstance(m, URIRef)}
    labels = _Labels(lang)
    for p in purposes:
        for lp in (SKOS.prefLabel, RDFS.label):
            for label in graph.objects(p, lp):
                labels.add(p, label)
    return policies, _unique(labels.ref(p) for p in purposes), ran


def _describe(graph, policies: list[Node], lang: str) -> list[Policy]:
    from kg.policies import describe_policy

    out = []
    for policy in policies:
        if (None, ODRL.hasPolicy, policy) not in graph:
            continue
        try:
            sentences = describe_policy(graph, policy)
        except UsageError as exc:
            sentences = [exc.message]
        label = pick(graph.objects(policy, RDFS.label), lang)
        out.append(Policy(Ref(_name(policy), str(label) if label else local_name(str(policy))),
                          sentences))
    return out


def _ports(rows: list[dict], lang: str) -> list[Port]:
    labels = _Labels(lang)
    ports: dict[str, dict] = {}
    for row in rows:
        port = _name(row["port"])
        labels.add(row["port"], row.get("portLabel"))
        p = ports.setdefault(port, {"endpoint": None, "datasets": {}})
        if "endpoint" in row:
            p["endpoint"] = str(row["endpoint"])
        if "dataset" not in row:
            continue
        labels.add(row["dataset"], row.get("datasetLabel"))
        fields = p["datasets"].setdefault(_name(row["dataset"]), {})
        if "field" not in row:
            continue
        labels.add(row["field"], row.get("name"))
        labels.add(row.get("means"), row.get("meansLabel"))
        labels.add(row.get("personal"), row.get("personalLabel"))
        labels.add(row.get("suggested"), row.get("suggestedLabel"))
        f = fields.setdefault(_name(row["field"]), {"datatype": None, "means": None,
                                                     "personal": {}, "suggested": {}})
        if "suggested" in row:
            f["suggested"][_name(row["suggested"])] = (
                row["suggested"], str(row.get("confidence", "")), str(row.get("evidence", "")))
        if "datatype" in row:
            f["datatype"] = str(row["datatype"])
        if "means" in row:
            f["means"] = row["means"]
        if "personal" in row:
            f["personal"][_name(row["personal"])] = row["personal"]
    out = []
    for port, p in sorted(ports.items()):
        datasets = []
        for ds, fields in sorted(p["datasets"].items()):
            flist = [Field_(fi, labels.ref(fi).label, _short_datatype(f["datatype"]),
                            labels.ref(f["means"]) if f["means"] is not None else None,
                            [labels.ref(x) for x in f["personal"].values()],
                            [(labels.ref(x), c, e) for x, c, e in f["suggested"].values()])
                     for fi, f in fields.items()]
            flist.sort(key=lambda f: f.name)
            datasets.append((labels.ref(ds), flist))
        out.append(Port(port, labels.ref(port).label, p["endpoint"], datasets))
    return out


def _short_datatype(iri: str | None) -> str | None:
    if iri and iri.startswith("http://www.w3.org/2001/XMLSchema#"):
        return "xsd:" + iri.split("#", 1)[1]
    return iri


def lineage(store: Store, iri: str, lang: str = "en") -> Lineage:
    """Return everything upstream and downstream of a product, with levels for a picture."""
    node = _iri(iri)
    res, ran = _run(store, "catalog_lineage", {"product": node})
    labels = _Labels(lang)
    edges = set()
    for row in res.rows:
        labels.add(row["from"], row.get("fromLabel"))
        labels.add(row["to"], row.get("toLabel"))
        edges.add((str(row["from"]), str(row["to"])))
    up: dict[str, set[str]] = defaultdict(set)
    down: dict[str, set[str]] = defaultdict(set)
    for derived, source in edges:
        up[derived].add(source)
        down[source].add(derived)
    depth = {str(node): 0}
    for graph, sign in ((up, -1), (down, 1)):
        queue = deque([str(node)])
        seen = {str(node)}
        while queue:
            here = queue.popleft()
            for nxt in sorted(graph.get(here, ())):
                if nxt not in seen:
                    seen.add(nxt)
                    depth.setdefault(nxt, depth[here] + sign)
                    queue.append(nxt)
    upstream = _unique(labels.ref(n) for n, d in depth.items() if d < 0)
    downstream = _unique(labels.ref(n) for n, d in depth.items() if d > 0)
    all_labels = {n: labels.ref(n).label for n in depth}
    return Lineage(upstream, downstream, sorted(edges), all_labels, depth, ran)


# --------------------------------------------------------------------------- search

FACETS = ("domain", "concept", "tag", "personal", "status", "policy")


def _norm_query(q: str) -> str:
    q = " ".join(str(q).split())
    if len(q) > MAX_QUERY_TEXT:
        raise UsageError(f"search text is longer than {MAX_QUERY_TEXT} characters")
    return q


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


def _names(store: Store, iris: Iterable[str], lang: str) -> tuple[_Labels, Ran | None]:
    """Read the names of some resources (preferred label, else rdfs:label)."""
    names = _Labels(lang)
    iris = sorted(set(iris))
    if not iris:
        return names, None
    res, ran = _run_for(store, "catalog_labels", "iri", iris)
    for row in res.rows:
        names.add(row["iri"], row.get("label"))
    return names, ran


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
