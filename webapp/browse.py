"""The meaning-first browser: home, concepts, schemes, products, listings, search.

Pages read through `kg.catalog` only and show the SPARQL behind their main
list. Every response carries a strict Content-Security-Policy; pictures are
server-side SVG, so everything but type-ahead and lazy tree loading works
without JavaScript.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode, urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from kg import catalog
from kg.catalog.products import products_holding
from kg.errors import NotFound, UsageError
from kg.namespaces import DPROD, DPV, MESH, ODRL
from kg.policies import ODRL_ACTIONS
from webapp import get_store

bp = Blueprint("browse", __name__)

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
SAFE_SCHEMES = ("http", "https", "mailto")
_LANG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")
LAZY_TREE_ABOVE = 300  # schemes with more concepts load branches on demand
_LISTINGS = {
    "domain": (DPROD.domain, "Data domain", "Data products in this domain"),
    "tag": (MESH.tag, "Tag", "Data products with this tag"),
    "privacy": (DPV.hasPersonalData, "Personal-data category",
                "Data products that hold this kind of personal data or a narrower kind"),
    "policy": (ODRL.hasPolicy, "Policy", "Data products under this policy"),
}


# --------------------------------------------------------------------------- helpers


@bp.after_app_request
def _security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def safe_href(iri: object) -> str | None:
    """Return the IRI when it may become a link (http, https, mailto), else None."""
    text = str(iri or "").strip()
    try:
        scheme = urlsplit(text).scheme.lower()
    except ValueError:
        return None
    if scheme not in SAFE_SCHEMES or any(c in text for c in "\n\r\t <>\"'`"):
        return None
    return text


@bp.app_template_filter("safe_href")
def _safe_href_filter(iri: object) -> str | None:
    return safe_href(iri)


def _lang() -> str:
    lang = request.args.get("lang", "")
    if lang and _LANG.match(lang):
        return lang
    best = request.accept_languages.best_match(["en", "de", "fr", "es", "it", "nl"])
    return best or "en"


def _iri_arg() -> str:
    iri = request.args.get("iri", "").strip()
    if not iri:
        raise UsageError("missing the iri parameter")
    return iri


_ROUTES = {"product": "browse.product", "concept": "browse.concept", "scheme": "browse.scheme",
           "domain": "browse.domain", "tag": "browse.tag", "privacy": "browse.privacy",
           "policy": "browse.policy"}


def page_url(kind: str, iri: str, **extra) -> str:
    """Return the browser URL of a resource of a known kind."""
    lang = request.args.get("lang") if request else None
    if lang and _LANG.match(lang):
        extra.setdefault("lang", lang)
    return url_for(_ROUTES[kind], iri=iri, **extra)


def page_for(iri: str) -> str | None:
    """Return the browser page of an IRI (product, concept, scheme, ...), or None."""
    kind = catalog.kind_of(get_store(), iri)
    if kind is None:
        return None
    return url_for(_ROUTES[kind], iri=iri)


def sparql_link(ran) -> str:
    """Return a link that opens a query on the SPARQL page."""
    return "/sparql?" + urlencode({"query": ran.sparql})


def data_links(iri: str) -> list[tuple[str, str]]:
    """Return the Linked Data links of a resource: Turtle and JSON-LD."""
    return [(label, "/resource?" + urlencode({"iri": iri, "format": fmt}))
            for label, fmt in (("Turtle", "turtle"), ("JSON-LD", "jsonld"))]


@bp.app_context_processor
def _helpers() -> dict:
    return {"page_url": page_url, "sparql_link": sparql_link, "data_links": data_links,
            "current_lang": _lang}


# --------------------------------------------------------------------------- pictures


def _box_width(label: str) -> int:
    return min(max(len(_clip(label)) * 7 + 24, 70), 220)


def _clip(label: str, n: int = 28) -> str:
    return label if len(label) <= n else label[: n - 1] + "…"


def concept_picture(c: catalog.Concept, limit: int = 8) -> dict:
    """Lay out a concept's neighbourhood: broader above, narrower below, related beside."""
    width, row_h, gap = 760, 100, 36
    side = [(r.relation.label, r.object if r.subject.iri == c.iri else r.subject,
             "→" if r.subject.iri == c.iri else "←") for r in c.relations]
    side = (side + [("related", r, "") for r in c.related])[:limit]
    spread = ((len(side) + 1) // 2) * gap / 2
    cy = (row_h if c.broader else 0) + max(40, spread + 20)
    nodes = [{"x": width / 2, "y": cy, "label": _clip(c.label), "full": c.label,
              "w": _box_width(c.label), "href": None, "kind": "centre"}]
    edges = []

    def link(ref, x, y, kind, label, lift=0):
        nodes.append(_node(ref, x, y, kind))
        edges.append({"x1": width / 2, "y1": cy, "x2": x, "y2": y, "label": label,
                      "lx": (width / 2 + x) / 2, "ly": (cy + y) / 2 - lift})

    for refs, y, name in ((c.broader[:limit], cy - row_h, "broader"),
                          (c.narrower[:limit], cy + row_h, "narrower")):
        for i, ref in enumerate(refs):
            link(ref, width * (i + 1) / (len(refs) + 1), y, name, name)
    for i, (name, ref, arrow) in enumerate(side):
        x = 110 if i % 2 == 0 else width - 110
        y = cy + (i // 2 - (len(side) - 1) // 4) * gap
        link(ref, x, y, "related", f"{name} {arrow}".strip(), lift=6)
    bottom = max(n["y"] for n in nodes) + 30
    return {"width": width, "height": bottom, "nodes": nodes, "edges": edges}


def _node(ref, x: float, y: float, kind: str) -> dict:
    return {"x": x, "y": y, "label": _clip(ref.label), "full": ref.label,
            "w": _box_width(ref.label), "href": page_url("concept", ref.iri), "kind": kind}


def lineage_picture(lin: catalog.Lineage, here: str) -> dict:
    """Lay out lineage left to right: sources on the left, derived products on the right."""
    cols: dict[int, list[str]] = {}
    for iri, d in sorted(lin.depth.items(), key=lambda x: (x[1], lin.labels.get(x[0], ""))):
        cols.setdefault(d, []).append(iri)
    if not cols:
        return {}
    lo, hi = min(cols), max(cols)
    col_w, row_h = 230, 56
    height = max(len(v) for v in cols.values()) * row_h + 30
    pos, nodes = {}, []
    for d, iris in cols.items():
        for i, iri in enumerate(iris):
            x = (d - lo) * col_w + 115
            y = (height - len(iris) * row_h) / 2 + i * row_h + row_h / 2
            pos[iri] = (x, y)
            label = lin.labels.get(iri, iri)
            nodes.append({"x": x, "y": y, "label": _clip(label, 26), "full": label, "w": 200,
                          "href": None if iri == here else page_url("product", iri),
                          "kind": "centre" if iri == here else "product"})
    edges = [{"x1": pos[s][0] + 100, "y1": pos[s][1], "x2": pos[d][0] - 100, "y2": pos[d][1]}
             for d, s in lin.edges if d in pos and s in pos]
    return {"width": (hi - lo + 1) * col_w, "height": height, "nodes": nodes, "edges": edges}


# --------------------------------------------------------------------------- pages


@bp.get("/")
def index():
    """Home: search, domains, every concept scheme of the data (its title, concept count
    and top concepts), recent changes, validation."""
    store, lang = get_store(), _lang()
    doms = catalog.domains(store, lang)
    schemes = catalog.schemes(store, lang)
    recent = catalog.recent_products(store, lang)
    return render_template("index.html", domains=doms, schemes=schemes, recent=recent,
                           validation=catalog.validation_summary(store), lang=lang)


def _page_arg() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        raise UsageError("page must be a whole number, 1 or more") from None


@bp.get("/concept")
def concept():
    """A concept page: its schemes, labels, notes, links, typed relations, how many
    products it is the dprod:domain of (a link to the domain page), the products that
    cover it and those that state they do not, products about it (50 to a page,
    `?page=`), a picture."""
    store, lang = get_store(), _lang()
    c = catalog.concept(store, _iri_arg(), lang, page=_page_arg(), per_page=catalog.PER_PAGE)
    domain_of = len(catalog.products_by(store, DPROD.domain, c.iri, lang).items)
    return render_template("concept.html", c=c, pic=concept_picture(c), lang=lang,
                           domain_of=domain_of)


def _scheme_tree(store, s: catalog.Scheme, lang: str, open_iri: str | None):
    """Return nested (node, children) lists; small schemes fully, big ones on demand."""
    size = s.size
    lazy = size > LAZY_TREE_ABOVE
    expand = set(catalog.ancestors(store, open_iri)) | {open_iri} if open_iri else set()
    budget = [LAZY_TREE_ABOVE * 2]

    def grow(nodes, trail):
        out = []
        for n in nodes:
            kids = None
            if n.has_children and n.iri not in trail and budget[0] > 0 and (
                    not lazy or n.iri in expand):
                budget[0] -= 1
                kids = grow(catalog.children(store, n.iri, lang).items, trail | {n.iri})
            out.append((n, kids, n.iri in expand))
        return out

    return grow(s.top, frozenset()), lazy, size


@bp.get("/scheme")
def scheme():
    """A collapsible concept tree of one scheme (loaded, imported or shipped), titled by
    its dct:title, rdfs:label or skos:prefLabel, searchable within."""
    store, lang = get_store(), _lang()
    s = catalog.scheme(store, _iri_arg(), lang)
    q = request.args.get("q", "").strip()
    matches = catalog.search_in_scheme(store, s.iri, q, lang) if q else None
    tree, lazy, size = _scheme_tree(store, s, lang, request.args.get("open") or None)
    return render_template("scheme.html", s=s, tree=tree, lazy=lazy, size=size, q=q,
                           matches=matches, lang=lang, query=s.query)


@bp.get("/scheme/children")
def scheme_children():
    """One level of narrower concepts as an HTML fragment, for the lazy tree."""
    store, lang = get_store(), _lang()
    iri = _iri_arg()
    nodes = [(n, None, False) for n in catalog.children(store, iri, lang).items]
    return render_template("_tree_children.html", nodes=nodes,
                           scheme=request.args.get("scheme", ""), lang=lang)


@bp.get("/product")
def product():
    """A data product, meaning first: about, relations, tags, privacy, policies,
    coverage, trust, lineage, and only then its schema and output ports."""
    store, lang = get_store(), _lang()
    p = catalog.product(store, _iri_arg(), lang)
    return render_template("product.html", p=p, pic=lineage_picture(p.lineage, p.card.iri),
                           lang=lang, may_options=_may_options(p))


def _may_options(p: catalog.Product) -> dict:
    """The "may I?" form's choices on a product page: the purposes its own policies name
    (the store-wide list costs a scan of every policy: 0.4 s at 10,000 products)."""
    from webapp.governance import COMMON_ACTIONS
    others = sorted(a for a in ODRL_ACTIONS if a not in COMMON_ACTIONS)
    return {"actions": list(COMMON_ACTIONS) + others,
            "purposes": [(r.iri, r.label) for r in p.policy_purposes]}


def _listing(kind: str):
    store, lang = get_store(), _lang()
    iri = _iri_arg()
    prop, what, heading = _LISTINGS[kind]
    page, pages = 1, 1
    if kind == "privacy":  # (card, why) pairs, the DPV hierarchy rolled up, 50 to a page
        page = _page_arg()
        listing = products_holding(store, iri, lang, page=page, per_page=catalog.PER_PAGE)
        pages = max(1, -(-listing.total // catalog.PER_PAGE))
    else:
        listing = catalog.products_by(store, prop, iri, lang)
    ref = catalog.concept_label(store, iri, lang)
    if not listing.items and catalog.kind_of(store, iri) is None:
        raise NotFound(f"no {what.lower()} <{iri}> in the store")
    words = catalog.policy(store, iri, lang) if kind == "policy" else None
    return render_template("listing.html", kind=kind, what=what, heading=heading, ref=ref,
                           listing=listing, lang=lang, words=words, page=page, pages=pages)


@bp.get("/domain")
def domain():
    """The data products of one domain."""
    return _listing("domain")


@bp.get("/tag")
def tag():
    """The data products carrying one tag."""
    return _listing("tag")


@bp.get("/privacy")
def privacy():
    """The data products holding one personal-data category or a narrower one (DPV), 50 to
    a page (`?page=`)."""
    return _listing("privacy")


@bp.get("/policy")
def policy():
    """The data products under one policy, and the policy in plain words."""
    return _listing("policy")


def _wants_json() -> bool:
    if request.args.get("format") == "json":
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


@bp.get("/search")
def search():
    """Search by meaning, with facets and an explanation per result (HTML or JSON),
    50 results to a page (`?page=`)."""
    store, lang = get_store(), _lang()
    q = request.args.get("q", "")
    filters = {f: request.args.get(f, "") for f in catalog.FACETS}
    result = catalog.search(store, q, lang, filters, page=_page_arg(),
                            per_page=catalog.PER_PAGE)
    if _wants_json():
        return jsonify(_search_json(result))
    return render_template("search.html", r=result, lang=lang)


def _search_json(r: catalog.SearchResult) -> dict:
    return {
        "q": r.q,
        "filters": r.filters,
        "total": r.total, "page": r.page, "pages": r.pages,
        "results": [{"iri": h.iri, "label": h.label, "kind": h.kind, "score": h.score,
                     "why": h.reasons, "url": page_url("product", h.iri),
                     "domain": h.card.domain.iri if h.card and h.card.domain else None,
                     "status": h.card.status.iri if h.card and h.card.status else None}
                    for h in r.hits],
        "concepts": [{"iri": h.iri, "label": h.label, "why": h.reasons, "score": h.score,
                      "url": page_url("concept", h.iri)} for h in r.concepts],
        "facets": {f: [{"iri": ref.iri, "label": ref.label, "count": n} for ref, n in v]
                   for f, v in r.facets.items()},
        "queries": [q.sparql for q in r.queries],
    }


@bp.get("/suggest")
def suggest():
    """Type-ahead: concepts and products whose names or synonyms contain the text."""
    store, lang = get_store(), _lang()
    items = catalog.suggest(store, request.args.get("q", ""), lang)
    for s in items:
        s["url"] = page_url(s["kind"], s["iri"])
    return jsonify(items)


@bp.get("/go")
def go():
    """Open the browser page of any IRI, or 404."""
    url = page_for(_iri_arg())
    if url is None:
        abort(404, "no page for this IRI")
    return redirect(url, code=303)
