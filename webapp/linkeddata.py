"""Linked Data: every IRI in the graph dereferences to its description.

IRIs in our own namespace (settings.base_iri) are served at their own path
(`https://demo.meshkg.org/id/product/x` at `/id/product/x`); any other IRI at
`/resource?iri=…`. The description is the resource's triples as subject plus
the blank nodes they lead to, as Turtle, JSON-LD, N-Triples, RDF/XML or HTML.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from flask import Blueprint, Response, redirect, render_template, request, url_for
from markupsafe import Markup
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS
from werkzeug.exceptions import NotAcceptable

from kg import catalog, searchindex
from kg.errors import NotFound, ResultTooLarge, UsageError
from kg.namespaces import PREFIXES
from kg.results import serialize_graph
from webapp import get_settings, get_store
from webapp.browse import page_url
from webapp.negotiation import (
    HTML,
    JSONLD,
    NQUADS,
    NTRIPLES,
    RDFXML,
    TRIG,
    TURTLE,
    Format,
    negotiate,
)

bp = Blueprint("linkeddata", __name__)

OFFERS = (TURTLE, JSONLD, NTRIPLES, RDFXML, TRIG, NQUADS, HTML)
LINKABLE_SCHEMES = ("http", "https", "mailto")

# The subject's triples and the blank nodes they lead to, four levels deep
# (an ODRL policy → permission → constraint → operand list fits). ?s is bound.
DESCRIBE = """
CONSTRUCT { ?s ?p ?o . ?o ?p1 ?o1 . ?o1 ?p2 ?o2 . ?o2 ?p3 ?o3 . ?o3 ?p4 ?o4 }
WHERE {
  ?s ?p ?o .
  OPTIONAL { FILTER(isBlank(?o)) ?o ?p1 ?o1 .
    OPTIONAL { FILTER(isBlank(?o1)) ?o1 ?p2 ?o2 .
      OPTIONAL { FILTER(isBlank(?o2)) ?o2 ?p3 ?o3 .
        OPTIONAL { FILTER(isBlank(?o3)) ?o3 ?p4 ?o4 } } } }
}
"""
MENTIONED = "ASK { { ?x ?y ?s } UNION { ?x ?s ?y } }"
# the search index's bookkeeping (kg.searchindex) is not part of any resource's description
INCOMING = ("SELECT ?x ?p ?s WHERE { ?x ?p ?s FILTER(!STRSTARTS(STR(?p), \"urn:meshkg:index:\")) }"
            " ORDER BY ?p ?x LIMIT 200")
LABELS = (SKOS.prefLabel, RDFS.label, DCTERMS.title)


# -- IRIs, links and terms, shared with the SPARQL results page ----------------
#: query parameters that name an IRI, on every page that takes them
IRI_PARAMS = ("iri", "open", "scheme")
_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^<>\"{}|^`\\\x00-\x20\x7f-\x9f]*")


def check_iri(iri: str, what: str) -> str:
    """Return an absolute IRI (RFC 3987), or raise UsageError naming what it was given as.

    pyoxigraph's IRI parser decides, the store's own: whatever it refuses would fail in
    the store instead, as a 502."""
    import pyoxigraph as ox
    valid = _IRI.fullmatch(iri or "") is not None
    if valid:
        try:
            ox.NamedNode(iri)
        except ValueError:
            valid = False
    if not valid:
        raise UsageError(f"{what}: not an absolute IRI: {iri!r} (an IRI has a scheme and "
                         "no spaces, control characters, <>\"{}|^`\\ or bad %-escapes)")
    return iri


@bp.before_app_request
def _check_iri_params() -> None:
    """Refuse a page whose IRI parameter is not an IRI, before any view runs (400)."""
    for name in IRI_PARAMS:
        for value in request.args.getlist(name):
            if value:  # an empty one: the page says what is missing
                check_iri(value, name)


def is_linkable(iri: str) -> bool:
    """Tell whether an IRI may become a link (http, https, mailto; never javascript: or data:)."""
    return urlsplit(iri).scheme.lower() in LINKABLE_SCHEMES


@bp.app_template_filter("ascii_host")
def ascii_host(url: object) -> str:
    """Return a URL with its host in ASCII (IDNA punycode), so that a look-alike host
    (`https://аррle.com`, Cyrillic а and р) shows as what it is (`xn--le-6kc8da.com`)
    wherever a link is rendered; mailto: addresses too. Everything else is kept."""
    text = str(url or "")
    if text.isascii():
        return text
    try:
        parts = urlsplit(text)
    except ValueError:
        return text
    if parts.scheme.lower() == "mailto":
        local, at, domain = parts.path.rpartition("@")
        if not at or domain.isascii():
            return text
        return urlunsplit(parts._replace(path=f"{local}@{_idna(domain)}"))
    if parts.netloc.isascii():
        return text
    userinfo, at, hostport = parts.netloc.rpartition("@")
    host, colon, port = hostport.rpartition(":")
    if not colon or not port.isdigit():
        host, colon, port = hostport, "", ""
    return urlunsplit(parts._replace(netloc=f"{userinfo}{at}{_idna(host)}{colon}{port}"))


def _idna(host: str) -> str:
    """Return a host name in ASCII: IDNA (nameprep maps look-alike forms such as
    fullwidth letters as browsers do), else each non-ASCII label as raw punycode."""
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:  # a label IDNA 2003 refuses (too long, unassigned, ...)
        return ".".join(label if label.isascii() else
                        "xn--" + label.lower().encode("punycode").decode("ascii")
                        for label in re.split("[.\u3002\uff0e\uff61]", host))


def resource_url(iri: str) -> str:
    """Return the path of an IRI's page: its own path in our namespace, else /resource."""
    base = get_settings().base_iri
    if iri.startswith(base) and len(iri) > len(base) and "#" not in iri and "?" not in iri:
        return url_for("linkeddata.own", rest=iri[len(base):])
    return url_for("linkeddata.resource", iri=iri)


def compact(iri: str) -> str:
    """Shorten an IRI with a known prefix (`dprod:DataProduct`), else return it whole."""
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns):
            local = iri[len(ns):]
            if local and all(c.isalnum() or c in "_-." for c in local):
                return f"{prefix}:{local}"
    return iri


def term_html(term) -> Markup:
    """Render one RDF term as escaped HTML; IRIs link to their pages when safe."""
    if isinstance(term, URIRef):
        iri = str(term)
        shown = ascii_host(iri)  # a look-alike host never shows as the real one
        if is_linkable(iri):
            return Markup('<a class="iri" href="{}" title="{}">{}</a>').format(
                resource_url(iri), shown, compact(shown))
        return Markup('<span class="iri">{}</span>').format(shown)
    if isinstance(term, BNode):
        return Markup('<span class="bnode">_:{}</span>').format(str(term))
    if isinstance(term, Literal):
        out = Markup('<span class="literal">{}</span>').format(str(term))
        if term.language:
            out += Markup('<span class="lang">@{}</span>').format(term.language)
        elif term.datatype is not None:
            out += Markup('<span class="datatype">^^{}</span>').format(compact(str(term.datatype)))
        return out
    return Markup("{}").format(str(term))


def render_graph(graph: Graph, fmt: Format) -> bytes:
    """Serialize triples in an RDF format."""
    return serialize_graph(graph, fmt.media_type)


@bp.app_template_global()
def rdf_term(term) -> Markup:
    """Template helper: render an RDF term (see term_html)."""
    return term_html(term)


# -- describing a resource -----------------------------------------------------
def describe(iri: str) -> Graph:
    """Return an IRI's description; raise NotFound when the graph never mentions it."""
    check_iri(iri, "iri")
    store, settings = get_store(), get_settings()
    budget = {"timeout": settings.query_timeout}
    res = store.query(DESCRIBE, bindings={"s": URIRef(iri)}, max_rows=settings.max_rows,
                      **budget)
    if res.truncated:
        raise ResultTooLarge(f"the description of <{iri}> has more than "
                             f"{settings.max_rows} triples; query it over /sparql instead")
    graph = res.graph()
    for t in [t for t in graph if str(t[1]).startswith(searchindex.INDEX)]:
        graph.remove(t)
    if not len(graph) and not store.query(MENTIONED, bindings={"s": URIRef(iri)},
                                          **budget).boolean:
        raise NotFound(f"<{iri}> is not in the graph")
    return graph


def _label(graph: Graph, iri: URIRef) -> str:
    for p in LABELS:
        values = list(graph.objects(iri, p))
        if values:
            english = [v for v in values if getattr(v, "language", None) in ("en", None)]
            return str((english or values)[0])
    return compact(ascii_host(str(iri)))


def _rows(graph: Graph, node, depth: int = 0, seen: frozenset = frozenset()) -> list[dict]:
    """Group a node's triples by predicate; blank-node values carry their own rows."""
    rows: dict = {}
    for p, o in sorted(graph.predicate_objects(node), key=lambda po: (po[0] != RDF.type, po)):
        value = {"term": o, "rows": None}
        if isinstance(o, BNode) and o not in seen and depth < 6:
            value["rows"] = _rows(graph, o, depth + 1, seen | {node})
        rows.setdefault(p, []).append(value)
    return [{"predicate": p, "values": v} for p, v in rows.items()]


def render_resource_html(iri: str, graph: Graph, incoming=()) -> str:
    """Render a resource page: a property/value table (hook for richer pages)."""
    subject = URIRef(iri)
    return render_template("resource.html", iri=iri, label=_label(graph, subject),
                           rows=_rows(graph, subject), incoming=incoming,
                           external=is_linkable(iri) and not iri.startswith("mailto:"),
                           formats=[f for f in OFFERS if f is not HTML])


def _answer(iri: str):
    graph = describe(iri)
    fmt = negotiate(OFFERS, request.headers.get("Accept"), request.args.get("format"))
    if fmt is HTML:
        settings = get_settings()
        incoming = get_store().query(INCOMING, bindings={"s": URIRef(iri)},
                                     timeout=settings.query_timeout).rows
        resp = Response(render_resource_html(iri, graph, incoming), mimetype="text/html")
    else:
        resp = Response(render_graph(graph, fmt), mimetype=fmt.media_type)
    resp.headers["Vary"] = "Accept"
    resp.headers["Access-Control-Allow-Origin"] = "*"
    return resp


@bp.get("/resource")
def resource():
    """Describe any IRI named by `?iri=`; a browser asking about a product, concept,
    scheme, domain, personal-data category or policy is sent to its page instead."""
    iri = request.args.get("iri", "")
    if not iri:
        raise UsageError("give the IRI to describe: /resource?iri=…")
    return _see_page_or_answer(iri)


def _see_page_or_answer(iri: str):
    """Send a browser to the catalog page of an IRI (303 See Other), else describe it."""
    page = _rich_page(iri)
    if page is not None:
        resp = redirect(page, code=303)
        resp.headers["Vary"] = "Accept"
        return resp
    return _answer(iri)


def _rich_page(iri: str) -> str | None:
    """Return the browser page (keeping `lang`) of an IRI the catalog shows, when HTML was
    negotiated by Accept; None for other formats, `?format=` (`?format=html` keeps the
    table of triples) and IRIs the catalog has no page for."""
    if request.args.get("format"):
        return None
    try:
        if negotiate(OFFERS, request.headers.get("Accept"), None) is not HTML:
            return None
    except NotAcceptable:
        return None  # answered as before: 404 when unknown, else 406
    kind = catalog.kind_of(get_store(), check_iri(iri, "iri"))
    return page_url(kind, iri) if kind else None


def own(rest: str):
    """Describe an IRI of our own namespace, served at its own path; a browser asking
    about a product, concept, scheme, domain or policy is sent to its page instead."""
    return _see_page_or_answer(get_settings().base_iri + rest)


@bp.record_once
def _route_own_namespace(state) -> None:
    path = urlsplit(state.app.config["MESHKG"].base_iri).path or "/"
    if not path.endswith("/"):
        path += "/"
    state.app.add_url_rule(path + "<path:rest>", endpoint="linkeddata.own", view_func=own,
                           methods=["GET"])
