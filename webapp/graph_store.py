"""The SPARQL 1.1 Graph Store HTTP Protocol at /graph-store: read (GET, HEAD), replace
(PUT), add to (POST) or delete (DELETE) one named graph; every write through the SHACL
gate, by a steward, never to meshkg's own graphs, then followed by inference. The default
graph (`?default`) is the union of all named graphs and can only be read."""

from __future__ import annotations

from flask import Blueprint, Response, g, request
from werkzeug.exceptions import MethodNotAllowed, UnsupportedMediaType

from kg import gate
from kg.errors import NotFound, ResultTooLarge, UsageError
from kg.inference import infer
from kg.loading import parse_bytes
from kg.sources import drop_source
from webapp import get_settings, get_store
from webapp.auth import refuse_managed, require_steward
from webapp.linkeddata import render_graph
from webapp.negotiation import RDF_FORMATS, negotiate
from webapp.sparql import Operation, _check_iri, _preflight, _protocol_headers, run_query

bp = Blueprint("graph_store", __name__)
bp.after_request(_protocol_headers)  # the endpoint's CORS, Vary and WWW-Authenticate rules


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
