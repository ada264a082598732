"""The SPARQL 1.1 Protocol endpoint (/sparql) and the Graph Store Protocol (/graph-store).

Queries: GET `?query=`, POST form `query=`, POST `application/sparql-query`;
the dataset from `default-graph-uri` / `named-graph-uri`; the answer format
from `?format=` or Accept. Updates: POST form `update=` or
`application/sparql-update`, and Graph Store PUT/POST/DELETE; off unless
updates_enabled, then only for stewards, and every write goes through the
SHACL gate. Specs: https://www.w3.org/TR/sparql11-protocol/,
https://www.w3.org/TR/sparql11-http-rdf-update/,
https://www.w3.org/TR/sparql11-service-description/.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from flask import Blueprint, Response, current_app, g, render_template, request, url_for
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF
from werkzeug.exceptions import MethodNotAllowed, NotAcceptable, UnsupportedMediaType

from kg.errors import (
    MeshError,
    QuerySyntaxError,
    ResultTooLarge,
    UsageError,
)
from kg.namespaces import PREFIXES, STAGING_PREFIX, sparql_prefixes
from kg.results import serialize_result
from kg.sparqlsafety import (
    check_query,
    check_user_text,
    tokens,
)
from webapp import get_settings, get_store
from webapp.auth import require_steward
from webapp.fairness import client_id
from webapp.linkeddata import check_iri, render_graph
from webapp.negotiation import (
    BOOLEAN,
    HTML,
    JSON,
    RDF_FORMATS,
    TABULAR,
    TURTLE,
    Format,
    negotiate,
)
from webapp.updates import _readable_position, _with_using, apply_update, check_dataset

bp = Blueprint("sparql", __name__)

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS_NS = Namespace("http://www.w3.org/ns/formats/")
FORM = "application/x-www-form-urlencoded"
QUERY_TYPE = "application/sparql-query"
UPDATE_TYPE = "application/sparql-update"
TRUNCATED_HEADER = "X-meshkg-truncated"
_RESULT_FORMAT_IRIS = {
    "json": "SPARQL_Results_JSON", "xml": "SPARQL_Results_XML", "csv": "SPARQL_Results_CSV",
    "tsv": "SPARQL_Results_TSV", "turtle": "Turtle", "ntriples": "N-Triples",
    "jsonld": "JSON-LD", "rdfxml": "RDF_XML", "trig": "TriG", "nquads": "N-Quads",
}

EXAMPLES = (
    ("Products about a concept, narrower concepts included", """\
SELECT ?concept (SAMPLE(?label) AS ?conceptLabel) (COUNT(DISTINCT ?product) AS ?products)
WHERE {
  ?about skos:broader* ?concept .
  ?product a dprod:DataProduct ; dct:subject ?about .
  OPTIONAL { ?concept skos:prefLabel ?label FILTER(LANGMATCHES(LANG(?label), "en")) }
}
GROUP BY ?concept
ORDER BY DESC(?products) ?concept
LIMIT 50"""),
    ("Products holding personal data", """\
# the DPV categories each product states it holds (dpv:hasPersonalData)
SELECT ?product (SAMPLE(?name) AS ?label) ?personalData WHERE {
  ?product a dprod:DataProduct ; dpv:hasPersonalData ?personalData .
  OPTIONAL { ?product rdfs:label ?name }
}
GROUP BY ?product ?personalData
ORDER BY ?product ?personalData
LIMIT 200"""),
    ("Which products cover a concept, and which say they do not", """\
SELECT ?concept (SAMPLE(?cl) AS ?conceptLabel) ?coverage ?product (SAMPLE(?pl) AS ?label)
WHERE {
  VALUES (?says ?coverage) { (mesh:covers "covers") (mesh:doesNotCover "does not cover") }
  ?product a dprod:DataProduct ; ?says ?concept .
  OPTIONAL { ?concept skos:prefLabel ?cl FILTER(LANGMATCHES(LANG(?cl), "en")) }
  OPTIONAL { ?product rdfs:label ?pl }
}
GROUP BY ?concept ?coverage ?product
ORDER BY ?concept ?coverage ?product
LIMIT 200"""),
    ("Lineage: every product upstream and downstream of each product", """\
SELECT ?product ?direction ?other WHERE {
  ?product a dprod:DataProduct .
  { ?product prov:wasDerivedFrom+ ?other BIND("upstream" AS ?direction) }
  UNION { ?other prov:wasDerivedFrom+ ?product BIND("downstream" AS ?direction) }
}
ORDER BY ?product ?direction ?other
LIMIT 1000"""),
    ("Products without an owner", """\
# a placeholder an import set where its source named no owner is no owner
SELECT ?product (SAMPLE(?name) AS ?label) WHERE {
  ?product a dprod:DataProduct .
  FILTER NOT EXISTS {
    ?product dprod:dataProductOwner ?owner
    FILTER(!STRSTARTS(STR(?owner), "urn:meshkg:placeholder:"))
  }
  OPTIONAL { ?product rdfs:label ?name }
}
GROUP BY ?product
ORDER BY ?product
LIMIT 200"""),
)


@dataclass
class Operation:
    """One protocol request: a query or an update, with its dataset."""

    kind: str  # "query", "update" or "none"
    text: str = ""
    default_graphs: list[str] | None = None
    named_graphs: list[str] | None = None
    using: list[str] = field(default_factory=list)
    using_named: list[str] = field(default_factory=list)


# -- reading a request ---------------------------------------------------------
def _params(name: str) -> list[str]:
    values = request.args.getlist(name)
    if request.mimetype == FORM:
        values += request.form.getlist(name)
    return values


def _flag(name: str) -> bool:
    return any(v.strip().lower() in ("1", "true", "yes", "on") for v in _params(name))


def _graph_iris(name: str) -> list[str]:
    iris = _params(name)
    for iri in iris:
        _check_iri(iri, name)
    return iris


def _check_iri(iri: str, what: str) -> None:
    check_iri(iri, what)


def _body_text() -> str:
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise UnsupportedMediaType(f"the body must be UTF-8, not {charset} (SPARQL 1.1 "
                                   "Protocol §2.1.3)")
    try:
        return request.get_data(cache=False).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"the body is not valid UTF-8 (byte {exc.start})") from exc


def read_operation() -> Operation:
    """Parse a protocol request into one operation; refuse ambiguous ones."""
    request.max_form_memory_size = get_settings().max_body
    queries, updates = request.args.getlist("query"), request.args.getlist("update")
    if request.method == "GET" or request.method == "HEAD":
        if updates:
            raise MethodNotAllowed(["POST"], "an update must be sent by POST "
                                   "(SPARQL 1.1 Protocol §2.2)")
    elif request.mimetype == FORM:
        queries += request.form.getlist("query")
        updates += request.form.getlist("update")
    elif request.mimetype == QUERY_TYPE:
        queries.append(_body_text())
    elif request.mimetype == UPDATE_TYPE:
        updates.append(_body_text())
    elif not request.mimetype:
        raise UnsupportedMediaType(f"a POST needs a Content-Type: {FORM}, {QUERY_TYPE} or "
                                   f"{UPDATE_TYPE}")
    else:
        raise UnsupportedMediaType(f"cannot take {request.mimetype}; send {FORM}, "
                                   f"{QUERY_TYPE} or {UPDATE_TYPE}")
    if len(queries) + len(updates) > 1:
        raise UsageError("one request carries one query or one update; this one has "
                         f"{len(queries)} query and {len(updates)} update parameters")
    if queries:
        defaults = _graph_iris("default-graph-uri")
        named = _graph_iris("named-graph-uri")
        return Operation("query", queries[0],
                         default_graphs=defaults or (None if not named else []),
                         named_graphs=named or (None if not defaults else []))
    if updates:
        return Operation("update", updates[0], using=_graph_iris("using-graph-uri"),
                         using_named=_graph_iris("using-named-graph-uri"))
    return Operation("none")


def query_form(text: str) -> str:
    """Tell the form of a query from its first keyword: select, ask or graph."""
    for kind, tok, _ in tokens(text):
        if kind == "word":
            up = tok.upper()
            if up == "SELECT":
                return "select"
            if up == "ASK":
                return "ask"
            if up in ("CONSTRUCT", "DESCRIBE"):
                return "graph"
    return "select"


def _offers(form: str) -> tuple[Format, ...]:
    if form == "graph":
        return (*RDF_FORMATS, HTML)
    return (*(BOOLEAN if form == "ask" else TABULAR), HTML)


# -- the endpoint --------------------------------------------------------------
@bp.route("/sparql", methods=["GET", "POST", "OPTIONS"], provide_automatic_options=False)
def endpoint():
    """Answer a SPARQL query or update, the query page, or the service description."""
    if request.method == "OPTIONS":
        return _preflight("GET, POST, OPTIONS")
    op = read_operation()
    if op.kind == "update":
        return _update(op)
    if op.kind == "none":
        return _no_query()
    return _query(op)


def _query(op: Operation):
    settings = get_settings()
    form = query_form(op.text)
    accept = request.headers.get("Accept")
    try:
        fmt = negotiate(_offers(form), accept, _first("format"))
    except NotAcceptable:
        # rdflib's SPARQLStore(returnFormat="json") asks for SPARQL results even for
        # CONSTRUCT; it reads Turtle by its Content-Type, so answer that
        if form != "graph" or _first("format") or "sparql-results" not in (accept or ""):
            raise
        fmt = TURTLE
    if fmt is HTML:
        return _query_page(op)
    result = run_query(op)
    partial = _flag("partial")
    if result.truncated and not partial:
        raise ResultTooLarge(
            f"the answer has more than {settings.max_rows} rows, this server's limit; add "
            f"LIMIT {settings.max_rows} (or less) to the query, or ask for the first "
            f"{settings.max_rows} rows with partial=true (marked by the header "
            f"{TRUNCATED_HEADER}: true)")
    if result.kind == "graph":
        body = render_graph(result.graph(), fmt)
    else:
        body = serialize_result(result, fmt.media_type)
    if result.truncated and fmt is JSON:
        doc = json.loads(body)
        doc["meshkg"] = {"truncated": True, "max_rows": settings.max_rows}
        body = json.dumps(doc, ensure_ascii=False).encode("utf-8")
    resp = Response(body, mimetype=fmt.media_type)
    if result.truncated:
        resp.headers[TRUNCATED_HEADER] = "true"
    return resp


def run_query(op: Operation):
    """Run a query within the time budget and row cap of the settings."""
    settings = get_settings()
    store = get_store()
    # refuse SERVICE/LOAD/remote FROM on the client's own text, so positions are theirs
    check_query(op.text, known_graphs=lambda: set(store.graphs()))
    check_dataset(op.text, "FROM")  # FROM by prefixed name, FROMNAMED<…>
    check_user_text(op.text)
    limiter = current_app.extensions["meshkg.limiter"]
    try:
        # relative IRIs resolve against base_iri (the Protocol lets the service pick the
        # base); error positions are shifted back past this one line; each client runs
        # its share of the query workers at a time (webapp.fairness)
        with limiter.slot(client_id(settings.steward_tokens)):
            return store.query(f"BASE <{settings.base_iri}>\n{op.text}",
                               default_graphs=op.default_graphs,
                               named_graphs=op.named_graphs,
                               timeout=settings.query_timeout, max_rows=settings.max_rows)
    except QuerySyntaxError as exc:
        raise QuerySyntaxError(_readable_position(exc.message, shift=1)) from None


def _first(name: str) -> str | None:
    values = _params(name)
    return values[0] if values else None


def _no_query():
    fmt = negotiate((*RDF_FORMATS, HTML), request.headers.get("Accept"), _first("format"))
    if fmt is HTML:
        return _query_page(None)
    return Response(render_graph(service_description(), fmt), mimetype=fmt.media_type)


def service_description() -> Graph:
    """Describe this endpoint (SPARQL 1.1 Service Description)."""
    settings = get_settings()
    sd = Graph()
    sd.bind("sd", SD)
    sd.bind("formats", FORMATS_NS)
    service, dataset, default = BNode(), BNode(), BNode()
    here = URIRef(request.base_url)
    sd.add((service, RDF.type, SD.Service))
    sd.add((service, SD.endpoint, here))
    sd.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    if settings.updates_enabled:
        sd.add((service, SD.supportedLanguage, SD.SPARQL11Update))
    for iri in _RESULT_FORMAT_IRIS.values():
        sd.add((service, SD.resultFormat, FORMATS_NS[iri]))
    sd.add((service, SD.feature, SD.UnionDefaultGraph))
    sd.add((service, DCTERMS.description, Literal(
        f"meshkg SPARQL endpoint: the default graph is the union of all named graphs; "
        f"queries stop after {settings.query_timeout:g} s; answers over "
        f"{settings.max_rows} rows are refused unless partial=true; SERVICE and LOAD "
        "are refused.")))
    sd.add((service, SD.defaultDataset, dataset))
    sd.add((dataset, RDF.type, SD.Dataset))
    sd.add((dataset, SD.defaultGraph, default))
    sd.add((default, RDF.type, SD.Graph))
    for name in get_store().graphs():
        if name.startswith(STAGING_PREFIX):
            continue
        node = BNode()
        sd.add((dataset, SD.namedGraph, node))
        sd.add((node, RDF.type, SD.NamedGraph))
        sd.add((node, SD.name, URIRef(name)))
    return sd


def _query_page(op: Operation | None):
    """Render the query page, with the answer as a table when a query is given."""
    settings = get_settings()
    text = op.text if op else sparql_prefixes() + "\n" + EXAMPLES[0][1]
    result, error, status = None, None, 200
    if op is not None:
        try:
            result = run_query(op)
        except MeshError as exc:  # shown next to the query, with the error's own status
            error, status = exc.message, exc.http_status
    form = query_form(text)
    downloads = []
    if op is not None:
        for f in _offers(form):
            if f is not HTML:
                downloads.append((f, url_for("sparql.endpoint", query=text, format=f.name)))
    examples = [(title, url_for("sparql.endpoint", query=sparql_prefixes() + "\n" + q))
                for title, q in EXAMPLES]
    html = render_template("sparql.html", query=text, result=result, error=error,
                           examples=examples, downloads=downloads,
                           max_rows=settings.max_rows, timeout=settings.query_timeout,
                           prefixes=PREFIXES)
    return Response(html, status=status, mimetype="text/html")


def _update(op: Operation):
    g.meshkg_write = True
    require_steward(get_settings())
    apply_update(_with_using(op.text, op.using, op.using_named))
    return Response(status=204)


# -- headers ---------------------------------------------------------------------
def _preflight(methods: str):
    resp = Response(status=204)
    resp.headers["Access-Control-Allow-Methods"] = methods
    resp.headers["Access-Control-Allow-Headers"] = "Accept, Content-Type"
    resp.headers["Access-Control-Max-Age"] = "86400"
    return resp


@bp.after_request
def _protocol_headers(resp: Response) -> Response:
    resp.vary.add("Accept")
    if not g.get("meshkg_write"):  # reads may be made from any origin; writes may not
        resp.headers["Access-Control-Allow-Origin"] = "*"
        resp.headers["Access-Control-Expose-Headers"] = TRUNCATED_HEADER
    if resp.status_code == 401:
        resp.headers["WWW-Authenticate"] = 'Bearer realm="meshkg"'
    return resp
