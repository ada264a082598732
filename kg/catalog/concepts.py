"""What concept and concept scheme pages read: a concept with its products and the paths
that explain them, schemes, their trees and a search within one scheme."""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Mapping

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import DC, DCTERMS, RDF, RDFS, SKOS
from rdflib.term import Node

from kg import searchindex
from kg.catalog._cache import _kept
from kg.catalog._labels import _Labels, _name, _names, _unique, local_name, pick, pick_ranked
from kg.catalog._query import _iri, _norm_query, _run, _run_for
from kg.catalog.model import (
    AboutProduct,
    Concept,
    Coverage,
    Listing,
    Ran,
    Ref,
    Relation,
    Scheme,
    TreeNode,
)
from kg.catalog.products import product_cards
from kg.errors import NotFound
from kg.namespaces import MESH, is_managed_graph
from kg.store.base import Store

PER_PAGE = 50  # products per page of a concept
MATCH_PROPS = (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch,
               SKOS.relatedMatch)


def schemes(store: Store, lang: str = "en") -> Listing:
    """List the concept schemes of the data (loaded, imported or curated), each with its
    title, concept count and top concepts (kept: `_kept`)."""
    return _kept(store, ("schemes", lang), lambda: _schemes(store, lang))


def _schemes(store: Store, lang: str) -> Listing:
    res, ran = _run(store, "catalog_schemes")
    # a scheme only the shipped vocabularies or meshkg's own graphs declare is not listed
    iris = {str(r["scheme"]) for r in res.rows
            if isinstance(r["scheme"], URIRef) and not is_managed_graph(str(r["g"]))}
    items = list(_read_schemes(store, sorted(iris), lang).values())
    items.sort(key=lambda s: (s.label.lower(), s.iri))
    return Listing(items, ran)


def _read_schemes(store: Store, iris: list[str], lang: str) -> dict[str, Scheme]:
    """Read some schemes whole: title, size and where their trees start (their top
    concepts, else their concepts without a broader one); IRIs that are no scheme are
    left out."""
    titles = scheme_titles(store, iris, lang)
    found = sorted(titles)
    if not found:
        return {}
    sizes, _ = _run_for(store, "catalog_scheme_size", "scheme", found)
    size = {str(r["scheme"]): int(r["concepts"]) for r in sizes.rows}
    tops, ran = _run_for(store, "catalog_scheme_tops", "scheme", found)
    nodes = _tree_nodes(tops.rows, lang)
    rootless = [s for s in found if not nodes.get(s)]
    ran_roots = None
    if rootless:  # a scheme naming no top concept: its tree starts where nothing is above
        rows, ran_roots = _run_for(store, "catalog_scheme_roots", "scheme", rootless)
        nodes.update(_tree_nodes(rows.rows, lang))
    out = {}
    for s in found:
        title, roots = titles[s], s in rootless
        out[s] = Scheme(s, title.label, nodes.get(s, []), size=size.get(s, 0),
                        lang=title.lang, roots=roots, query=ran_roots if roots else ran)
    return out


def _tree_nodes(rows: Iterable[Mapping[str, Node]], lang: str) -> dict[str, list[TreeNode]]:
    """Group rows of (scheme, top, label, children) into sorted tree nodes per scheme."""
    labels, has = _Labels(lang), defaultdict(dict)
    for row in rows:
        labels.add(row["top"], row.get("label"))
        has[str(row["scheme"])][_name(row["top"])] = bool(row.get("children"))
    out = {}
    for s, children in has.items():
        found = [_tree_node(labels.ref(t), h) for t, h in children.items()]
        out[s] = sorted(found, key=lambda n: (n.label.lower(), n.iri))
    return out


def _tree_node(ref: Ref, has_children: bool) -> TreeNode:
    return TreeNode(ref.iri, ref.label, has_children, ref.lang)


#: the properties a scheme's title is read from, the first preferred (in one language)
TITLE_PROPS = (DCTERMS.title, DC.title, RDFS.label, SKOS.prefLabel)


def scheme_titles(store: Store, iris: Iterable[str], lang: str = "en") -> dict[str, Ref]:
    """Return the concept schemes among some IRIs, each with its title: dct:title, else
    dc:title, rdfs:label or skos:prefLabel, in the reader's language where one is."""
    iris = sorted({str(_iri(i)) for i in iris})
    if not iris:
        return {}
    res, _ = _run_for(store, "catalog_scheme_titles", "scheme", iris)
    rank = {str(p): i for i, p in enumerate(TITLE_PROPS)}
    found: dict[str, list[tuple[int, Literal]]] = {}
    for row in res.rows:
        titles = found.setdefault(str(row["scheme"]), [])
        if isinstance(row.get("title"), Literal):
            titles.append((rank[str(row["prop"])], row["title"]))
    out = {}
    for s, titles in found.items():
        best = pick_ranked(titles, lang)
        out[s] = Ref(s, str(best) if best else local_name(s), best.language if best else None)
    return out


def scheme(store: Store, iri: str, lang: str = "en") -> Scheme:
    """Return one concept scheme with its title, size and top concepts (else its concepts
    without a broader one), loaded, imported or shipped, or raise NotFound (kept)."""
    node = str(_iri(iri))
    found = _kept(store, ("scheme", node, lang),
                  lambda: _read_schemes(store, [node], lang).get(node))
    if found is None:
        raise NotFound(f"no concept scheme <{iri}> in the store")
    return found


def scheme_size(store: Store, iri: str) -> int:
    """Count the concepts of one scheme: in it, its top concepts and all below them."""
    res, _ = _run_for(store, "catalog_scheme_size", "scheme", [str(_iri(iri))])
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
    label = str(best) if best else local_name(str(node))
    covered, covered_ran = coverage(store, str(node), lang, label, COVERAGE_SHOWN)
    return Concept(
        iri=str(node),
        label=label,
        lang=best.language if best else None,
        labels=own,
        alt_labels=sorted(out.get(SKOS.altLabel, []), key=lambda x: (x.language or "", x)),
        hidden_labels=sorted(out.get(SKOS.hiddenLabel, []), key=lambda x: (x.language or "", x)),
        definition=str(note) if note else None,
        scope_note=str(scope) if scope else None,
        schemes=_schemes_of(store, node, lang),
        broader=refs(out.get(SKOS.broader, []) + inc.get(SKOS.narrower, [])),
        narrower=refs(out.get(SKOS.narrower, []) + inc.get(SKOS.broader, [])),
        related=[r for r in refs(out.get(SKOS.related, []) + inc.get(SKOS.related, []))
                 if r.iri not in typed],
        matches={local_name(str(m)): refs(out.get(m, [])) for m in MATCH_PROPS if out.get(m)},
        relations=relations,
        products=about.items,
        queries={"concept": ran, "products": about.query, "coverage": covered_ran},
        product_count=about.total or 0,
        page=min(max(1, page), pages),
        pages=pages,
        covered_by=covered[MESH.covers].items if MESH.covers in covered else [],
        not_covered_by=(covered[MESH.doesNotCover].items if MESH.doesNotCover in covered
                        else []),
        covered_count=covered[MESH.covers].total if MESH.covers in covered else 0,
        not_covered_count=(covered[MESH.doesNotCover].total if MESH.doesNotCover in covered
                           else 0),
    )


def _schemes_of(store: Store, node: URIRef, lang: str) -> list[Ref]:
    """Return the schemes a concept is in, with their titles as their pages show them: the
    schemes it names, those naming it a top concept and those of a top concept above it."""
    res, _ = _run(store, "catalog_concept_schemes", {"concept": node})
    titles = scheme_titles(store, [str(r["scheme"]) for r in res.rows
                                   if isinstance(r["scheme"], URIRef)], lang)
    return sorted(titles.values(), key=lambda r: (r.label.lower(), r.iri))


_COVER_WORDS = {MESH.covers: "covers", MESH.doesNotCover: "does not cover"}
_HOW = {"self": 0, "broader": 1, "narrower": 2}
COVERAGE_SHOWN = 50  # products per coverage list of a concept page, the closest first


def coverage(store: Store, iri: str, lang: str = "en", label: str | None = None,
             shown: int = COVERAGE_SHOWN) -> tuple[dict[URIRef, Listing], Ran]:
    """List the data products that state they cover a concept (mesh:covers) and those that
    state they do not (mesh:doesNotCover), by property: stated of the concept itself
    first, then of a broader concept (which includes it), then of a narrower one (a part
    of it), then by name; each with the reasons in words naming the concept by `label`
    (else its own label). Each listing holds the first `shown` (cards are read for those
    only: a top concept of a large mesh has hundreds of products covering its parts) and
    counts all in `total`; and the query read. Kept: `_kept`."""
    node = _iri(iri)
    return _kept(store, ("coverage", str(node), lang, label, shown),
                 lambda: _coverage(store, node, lang, label, shown))


def _coverage(store: Store, node: URIRef, lang: str, label: str | None,
              shown: int) -> tuple[dict[URIRef, Listing], Ran]:
    res, ran = _run(store, "catalog_concept_coverage", {"concept": node})
    if not res.rows:
        return {}, ran
    here = label or concept_label(store, str(node), lang).label
    stated: dict[tuple[URIRef, str], dict[str, int]] = defaultdict(dict)  # via: how
    for row in res.rows:
        vias = stated[(row["prop"], str(row["product"]))]
        vias[str(row["via"])] = _HOW[str(row["how"])]
    labels, _ = _names(store, {v for vias in stated.values() for v in vias}, lang)
    names, _ = _names(store, {p for _, p in stated}, lang)
    ranked: dict[URIRef, list] = defaultdict(list)
    for (prop, product), vias in stated.items():
        ranked[prop].append((min(vias.values()), names.ref(product).label.lower(), product))
    first = {prop: sorted(found)[:shown] for prop, found in ranked.items()}
    cards = product_cards(store, lang, sorted({p for f in first.values() for *_, p in f})).items
    out = {}
    for prop, found in first.items():
        items = []
        for how, _, product in found:
            if product not in cards:
                continue
            vias = sorted(stated[(prop, product)].items(),
                          key=lambda v: (v[1], labels.ref(v[0]).label.lower()))
            reasons = [_coverage_reason(_COVER_WORDS[prop], labels.ref(via), h, here)
                       for via, h in vias]
            items.append(Coverage(cards[product], reasons, how == 0))
        out[prop] = Listing(items, ran, len(ranked[prop]))
    return out, ran


def _coverage_reason(verb: str, via: Ref, how: int, here: str) -> str:
    if how == 0:
        return f"states it {verb} {via.label}"
    if how == 1:
        return f"{verb} {via.label}, which includes {here}"
    return f"{verb} {via.label}, a narrower concept of {here}"


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
