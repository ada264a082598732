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
import re
from dataclasses import dataclass, field

from flask import Blueprint, Response, current_app, g, render_template, request, url_for
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF
from werkzeug.exceptions import MethodNotAllowed, NotAcceptable, UnsupportedMediaType

from kg import gate
from kg.errors import (
    MeshError,
    NotFound,
    QueryRefused,
    QuerySyntaxError,
    ResultTooLarge,
    UsageError,
)
from kg.inference import infer
from kg.loading import parse_bytes
from kg.namespaces import PREFIXES, STAGING_PREFIX, sparql_prefixes
from kg.results import serialize_result
from kg.sources import drop_source
from kg.sparqlsafety import (
    check_query,
    check_update,
    check_user_text,
    keyword_in,
    tokens,
)
from webapp import get_settings, get_store
from webapp.auth import refuse_managed, require_steward
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


def _readable_position(message: str, shift: int = 0) -> str:
    def repl(m: re.Match) -> str:
        return f"line {int(m[1]) - shift}, column {m[2]}"
    return re.sub(r"\b(\d+):(\d+)(?=:)", repl, message, count=1)


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


# -- updates -------------------------------------------------------------------
def _with_using(text: str, using: list[str], using_named: list[str]) -> str:
    """Apply using-graph-uri / using-named-graph-uri as USING clauses (Protocol §2.2.3),
    once the update's dataset has passed the check a query's FROM passes."""
    check_dataset(text, "USING", [("using-graph-uri", iri) for iri in using]
                  + [("using-named-graph-uri", iri) for iri in using_named])
    if not using and not using_named:
        return text
    toks = list(tokens(text))
    if any(k == "word" and t.upper() in ("USING", "WITH") for k, t, _ in toks):
        raise UsageError("the update names its dataset with USING or WITH and the request "
                         "with using-graph-uri / using-named-graph-uri; give only one "
                         "(SPARQL 1.1 Protocol §2.2.3)")
    clause = "".join([f"USING <{i}> " for i in using]
                     + [f"USING NAMED <{i}> " for i in using_named])
    out, last, depth, prev = [], 0, 0, None
    for kind, tok, pos in toks:
        if tok == "{":
            depth += 1
        elif tok == "}":
            depth -= 1
        elif kind == "word" and tok.upper() == "WHERE" and depth == 0 and prev == "}":
            out += [text[last:pos], clause]
            last = pos
        prev = tok
    out.append(text[last:])
    return "".join(out)


def check_dataset(text: str, keyword: str, params: list[tuple[str, str]] = ()) -> None:
    """Let a query (keyword FROM) or an update (USING) read only graphs there are: the
    graphs its text names after FROM [NAMED] / USING [NAMED] (by IRI or prefixed name)
    and those of the request's parameters must be in the store or written by an earlier
    operation of the same request (Protocol §2.2.3's own tests fill a graph with INSERT
    DATA, then read it with using-graph-uri); an engine or server could fetch any other.

    kg.sparqlsafety.check_query reads only `FROM <iri>`; the engine reads keywords
    without a word boundary (`FROMNAMED<…>`, `USINGg:x`) and prefixed names too, so a
    keyword (or NAMED) glued to what follows is refused, a prefixed name is checked as
    its IRI, and a text with the keyword whose IRI holds a quote is refused (the lexer
    may then read the keyword as part of a string)."""
    mentioned = re.search(keyword, text, re.IGNORECASE) is not None
    if not mentioned and not params:
        return  # nearly every query: not lexed a second time
    toks = list(tokens(text))
    if mentioned and any(kind == "iri" and "'" in tok for kind, tok, _ in toks):
        raise QueryRefused(f"a text with {keyword} and an IRI holding a quote is not "
                           "accepted (the quote may be read as part of a comparison); "
                           "write it as %27")
    params = list(params)
    prefixes: dict[str, str] = {}
    store_graphs: set[str] | None = None
    written: set[str] = set()  # by the operations before this one
    took_params = False

    def check(dataset: list[tuple[str, str]]) -> None:
        nonlocal store_graphs
        for what, iri in dataset:
            if iri in written:
                continue
            if store_graphs is None:
                store_graphs = set(get_store().graphs())
            if iri not in store_graphs:
                raise QueryRefused(f"{what} <{iri}>: no such graph in the store; meshkg "
                                   "never fetches graphs from the web or from files")

    for first, last in _operations(toks):
        dataset, writes, modify, inserts, with_graph = [], set(), False, False, None
        depth, template = 0, None  # template: the depth of an INSERT template's braces
        for i in range(first, last):
            kind, tok, _pos = toks[i]
            up = tok.upper() if kind == "word" else tok
            if tok == "{":
                depth += 1
                if template == -1:
                    template = depth
            elif tok == "}":
                if depth == template:
                    template = None
                depth -= 1
            elif kind != "word":
                continue
            elif (up == "PREFIX" and i + 2 < len(toks) and toks[i + 1][0] == "word"
                    and toks[i + 1][1].endswith(":") and toks[i + 2][0] == "iri"):
                prefixes[toks[i + 1][1][:-1]] = toks[i + 2][1][1:-1]
            elif keyword_in(tok, keyword):
                dataset.append(_dataset_graph(text, toks, i, prefixes, keyword))
            elif up == "INSERT" and depth == 0:
                template = -1  # the next brace opens it
                inserts = True
            elif (up == "GRAPH" and template is not None) or up == "TO" or (
                    up == "GRAPH" and depth == 0 and _after(toks, i, first) == "CREATE"):
                graph = _graph_name(toks, i + 1, prefixes)
                if graph is not None:
                    writes.add(graph)
            elif up == "WITH" and depth == 0:
                with_graph = _graph_name(toks, i + 1, prefixes)
            elif up == "WHERE" and depth == 0 and i > first and toks[i - 1][1] == "}":
                modify = True
        if inserts and with_graph is not None:  # the template's default graph
            writes.add(with_graph)
        if modify:
            dataset += params
            took_params = True
        check(dataset)
        written |= writes
    if not took_params:
        check(params)


def _operations(toks: list) -> list[tuple[int, int]]:
    """Split an update's tokens into its operations (at `;` outside braces)."""
    out, first, depth = [], 0, 0
    for i, (_kind, tok, _pos) in enumerate(toks):
        depth += (tok == "{") - (tok == "}")
        if tok == ";" and depth == 0:
            out.append((first, i))
            first = i + 1
    out.append((first, len(toks)))
    return out


def _after(toks: list, i: int, first: int) -> str:
    """Return the keyword before toks[i], SILENT skipped."""
    j = i - 1
    while j >= first and toks[j][1].upper() == "SILENT":
        j -= 1
    return toks[j][1].upper() if j >= first else ""


def _graph_name(toks: list, j: int, prefixes: dict[str, str]) -> str | None:
    """Return the graph IRI at toks[j] (skipping GRAPH after TO), or None."""
    if j < len(toks) and toks[j][0] == "word" and toks[j][1].upper() == "GRAPH":
        j += 1
    if j >= len(toks):
        return None
    kind, tok, _ = toks[j]
    if kind == "iri":
        return tok[1:-1]
    if kind == "word" and ":" in tok:
        prefix, local = tok.split(":", 1)
        if prefix in prefixes:
            return prefixes[prefix] + re.sub(r"\\(.)", r"\1", local)
    return None


def _dataset_graph(text: str, toks: list, i: int, prefixes: dict[str, str],
                   keyword: str) -> tuple[str, str]:
    """Return ("USING" or "USING NAMED", … with its position; graph IRI) of toks[i]."""
    _kind, tok, pos = toks[i]
    where = (f"line {text.count(chr(10), 0, pos) + 1}, "
             f"column {pos - text.rfind(chr(10), 0, pos)}")
    if tok.upper() != keyword:
        raise QueryRefused(f"{tok!r} ({where}): write {keyword} apart from what follows it")
    what, j = keyword, i + 1
    if j < len(toks) and toks[j][0] == "word" and keyword_in(toks[j][1], "NAMED"):
        if toks[j][1].upper() != "NAMED":
            raise QueryRefused(f"{toks[j][1]!r} ({where}): write NAMED apart from what "
                               "follows it")
        what, j = f"{keyword} NAMED", j + 1
    if j < len(toks) and toks[j][0] == "word" and toks[j][1].upper() == "GRAPH":
        raise QueryRefused(f"{what} ({where}) must name a graph by its IRI")
    graph = _graph_name(toks, j, prefixes)
    if graph is None:
        raise QueryRefused(f"{what} ({where}) must name a graph by its IRI or a declared "
                           "prefix")
    return f"{what} ({where})", graph


def apply_update(text: str) -> None:
    """Run a SPARQL Update through the SHACL gate, relative IRIs against base_iri."""
    settings = get_settings()
    check_update(text)
    check_user_text(text, update=True)
    try:
        gate.apply_update(get_store(), f"BASE <{settings.base_iri}>\n{text}",
                          timeout=settings.update_timeout,
                          memory_mb=settings.update_memory_mb)
    except QuerySyntaxError as exc:
        raise QuerySyntaxError(_readable_position(exc.message, shift=1)) from None


def _update(op: Operation):
    g.meshkg_write = True
    require_steward(get_settings())
    apply_update(_with_using(op.text, op.using, op.using_named))
    return Response(status=204)


# -- Graph Store HTTP Protocol -------------------------------------------------
def _target() -> str | None:
    """Return the graph named by ?graph=, or None for ?default."""
    graphs, default = request.args.getlist("graph"), "default" in request.args
    if len(graphs) + default != 1:
        raise UsageError("name one graph: ?graph=<IRI> or ?default")
    if default:
        return None
    _check_iri(graphs[0], "graph")
    return graphs[0]


@bp.route("/graph-store", methods=["GET", "PUT", "POST", "DELETE", "OPTIONS"],
          provide_automatic_options=False)
def graph_store():
    """Read, replace, add to or delete one graph (SPARQL 1.1 Graph Store Protocol)."""
    if request.method == "OPTIONS":
        return _preflight("GET, HEAD, OPTIONS")
    target = _target()
    if request.method in ("GET", "HEAD"):
        return _read_graph(target)
    g.meshkg_write = True
    require_steward(get_settings())
    if target is None:
        raise MethodNotAllowed(["GET", "HEAD"], "the default graph is the union of all "
                               "named graphs and cannot be written; name a graph with ?graph=")
    refuse_managed([target])  # staging graphs too
    store = get_store()
    existed = store.has_graph(target)
    if request.method == "DELETE":
        if not existed:
            raise NotFound(f"no graph <{target}> in the store")
        drop_source(store, target)
        return Response(status=204)
    parsed = _parse_body(target)
    if request.method == "PUT":
        gate.write(store, replace={target: parsed.quads})
    else:
        gate.write(store, add=parsed.quads)
    # entailments and the search index follow the write, as they follow a load
    infer(store, changed=[target])
    return Response(status=204 if existed else 201)


def _parse_body(target: str):
    from kg.formats import rdf_format
    try:
        info = rdf_format(request.mimetype or "")
    except UsageError:
        raise UnsupportedMediaType(
            f"cannot read {request.mimetype or 'a body without Content-Type'}; send "
            + ", ".join(f.media_type for f in RDF_FORMATS)) from None
    parsed = parse_bytes(request.get_data(cache=False), info, source=f"<{target}>",
                         graph=target, max_bytes=get_settings().max_body)
    others = parsed.graphs - {target}
    if others:
        raise UsageError(f"the body names other graphs ({', '.join(sorted(others))}); "
                         f"a Graph Store request writes only <{target}>")
    return parsed


def _read_graph(target: str | None):
    fmt = negotiate(RDF_FORMATS, request.headers.get("Accept"), request.args.get("format"))
    store = get_store()
    if target is None:
        res = run_query(Operation("query", "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"))
        if res.truncated:
            raise ResultTooLarge(f"the default graph has more than {get_settings().max_rows} "
                                 "triples; read it one named graph at a time")
        body = render_graph(res.graph(), fmt)
    else:
        if not store.has_graph(target):
            raise NotFound(f"no graph <{target}> in the store")
        body = store.dump(target, fmt.name)
        if fmt.name == "rdfxml":  # never 200 with XML that cannot hold a value
            from kg.results import refuse_xml_illegal
            body = refuse_xml_illegal(body)
    return Response(body, mimetype=fmt.media_type)


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
