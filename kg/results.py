"""Serialize query results: SPARQL 1.1 result formats and RDF formats."""

from __future__ import annotations

import csv
import io
import json
from xml.sax.saxutils import escape, quoteattr

from rdflib import BNode, Graph, Literal, URIRef

from kg.errors import Unrepresentable, UsageError
from kg.formats import (
    RESULT_MEDIA_TYPES,
    char_name,
    rdf_format,
    shorten,
    xml_illegal,
)
from kg.store.base import Result

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def _json_term(t) -> dict:
    if isinstance(t, URIRef):
        return {"type": "uri", "value": str(t)}
    if isinstance(t, BNode):
        return {"type": "bnode", "value": str(t)}
    d = {"type": "literal", "value": str(t)}
    if t.language:
        d["xml:lang"] = t.language
    elif t.datatype and str(t.datatype) != _XSD_STRING:
        d["datatype"] = str(t.datatype)
    return d


def _unrepresentable(value: str, bad: str, fmt: str, others: str) -> Unrepresentable:
    return Unrepresentable(
        f"the answer holds {shorten(value)}, with {char_name(bad)}: a character XML 1.0 "
        f"cannot hold, so it cannot be written as {fmt}; ask for {others}")


_XML_OTHERS = ", ".join(RESULT_MEDIA_TYPES[k] for k in ("json", "csv", "tsv"))


def _xml_term(t) -> str:
    bad = xml_illegal(t)
    if bad is not None:
        raise _unrepresentable(str(t), bad, "SPARQL XML results", _XML_OTHERS)
    if isinstance(t, URIRef):
        return f"<uri>{escape(str(t))}</uri>"
    if isinstance(t, BNode):
        return f"<bnode>{escape(str(t))}</bnode>"
    attrs = ""
    if t.language:
        attrs = f" xml:lang={quoteattr(t.language)}"
    elif t.datatype and str(t.datatype) != _XSD_STRING:
        attrs = f" datatype={quoteattr(str(t.datatype))}"
    return f"<literal{attrs}>{escape(str(t))}</literal>"


def _tsv_term(t) -> str:
    if isinstance(t, URIRef):
        return f"<{t}>"
    if isinstance(t, BNode):
        return f"_:{t}"
    if xml_illegal(t) is not None:  # rdflib writes controls raw; N-Triples escapes them
        from kg.store.oxigraph import to_oxigraph
        return str(to_oxigraph(t))
    return t.n3()


def _csv_term(t) -> str:
    return str(t) if not isinstance(t, BNode) else f"_:{t}"


def serialize_result(result: Result, media_type: str) -> bytes:
    """Write a query result in the given media type."""
    if result.kind == "graph":
        return serialize_graph(result.graph(), media_type)
    if media_type == RESULT_MEDIA_TYPES["json"]:
        if result.kind == "ask":
            body = {"head": {}, "boolean": bool(result.boolean)}
        else:
            body = {"head": {"vars": result.vars},
                    "results": {"bindings": [{k: _json_term(v) for k, v in row.items()}
                                             for row in result.rows]}}
        return json.dumps(body, ensure_ascii=False).encode("utf-8")
    if media_type == RESULT_MEDIA_TYPES["xml"]:
        out = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">',
               "<head>"]
        if result.kind == "ask":
            out.append(f"</head><boolean>{'true' if result.boolean else 'false'}</boolean>")
        else:
            out += [f"<variable name={quoteattr(v)}/>" for v in result.vars]
            out.append("</head><results>")
            for row in result.rows:
                out.append("<result>")
                out += [f"<binding name={quoteattr(k)}>{_xml_term(v)}</binding>"
                        for k, v in row.items()]
                out.append("</result>")
            out.append("</results>")
        out.append("</sparql>\n")
        return "\n".join(out).encode("utf-8")
    if media_type in (RESULT_MEDIA_TYPES["csv"], RESULT_MEDIA_TYPES["tsv"]):
        if result.kind == "ask":
            return (b"_askResult\r\n" + (b"true" if result.boolean else b"false") + b"\r\n")
        buf = io.StringIO()
        if media_type == RESULT_MEDIA_TYPES["csv"]:
            w = csv.writer(buf, lineterminator="\r\n")
            w.writerow(result.vars)
            for row in result.rows:
                w.writerow([_csv_term(row[v]) if v in row else "" for v in result.vars])
        else:
            buf.write("\t".join(f"?{v}" for v in result.vars) + "\n")
            for row in result.rows:
                buf.write("\t".join(_tsv_term(row[v]) if v in row else "" for v in result.vars)
                          + "\n")
        return buf.getvalue().encode("utf-8")
    raise UsageError(f"cannot write {result.kind} results as {media_type}")


#: up to this many triples, JSON-LD is written compacted with an inline @context
JSONLD_COMPACT_LIMIT = 20_000


def serialize_graph(graph: Graph, media_type: str) -> bytes:
    """Write an rdflib graph in an RDF media type, with meshkg's prefixes.

    Turtle and RDF/XML go through rdflib (prefixed, readable), and so does JSON-LD up to
    JSONLD_COMPACT_LIMIT triples: compacted with meshkg's prefixes as an inline @context
    (nothing for a reader to fetch). Larger JSON-LD, TriG, N-Triples and N-Quads go
    through pyoxigraph (expanded JSON-LD; rdflib's writers are slow there, and for the
    quad formats use its deprecated ConjunctiveGraph).

    Whatever rdflib cannot write goes through pyoxigraph too, which never recurses: blank
    nodes nested past Python's recursion limit (rdflib's Turtle and JSON-LD writers
    recurse once per level), and literals with control characters (rdflib writes them raw
    into Turtle, where pyoxigraph writes \\u escapes). RDF/XML refuses such a literal
    with Unrepresentable (406): XML 1.0 cannot hold the character in any form.
    """
    from kg.namespaces import PREFIXES
    info = rdf_format(media_type)
    bad = _illegal_literal(graph) if info.name in ("turtle", "rdfxml") else None
    if bad is not None and info.name == "rdfxml":
        raise _unrepresentable(bad[0], bad[1], "RDF/XML",
                               "Turtle, N-Triples or JSON-LD, which escape it")
    try:
        if info.name == "jsonld" and len(graph) <= JSONLD_COMPACT_LIMIT:
            context = {p: str(iri) for p, iri in PREFIXES.items()}
            data = graph.serialize(format="json-ld", context=context, auto_compact=True)
            return data.encode("utf-8") if isinstance(data, str) else data
        if info.name in ("turtle", "rdfxml") and bad is None:
            for p, iri in PREFIXES.items():
                graph.bind(p, iri, override=False)
            data = graph.serialize(format="turtle" if info.name == "turtle" else "xml")
            return data.encode("utf-8") if isinstance(data, str) else data
    except RecursionError:
        pass  # deep blank-node nesting: written flat below
    import pyoxigraph as ox

    from kg.store.oxigraph import to_oxigraph
    triples = [ox.Triple(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o)) for s, p, o in graph]
    if info.quads:
        triples = [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph())
                   for t in triples]
    if info.name in ("turtle", "trig", "rdfxml"):
        return ox.serialize(triples, format=info.ox,
                            prefixes={p: str(iri) for p, iri in PREFIXES.items()})
    return ox.serialize(triples, format=info.ox)


def _illegal_literal(graph: Graph) -> tuple[str, str] | None:
    """Return a literal of the graph holding a character XML cannot hold, and that character."""
    literals = [o for o in graph.objects() if isinstance(o, Literal)]
    if xml_illegal("".join(literals)) is None:  # one scan for the common case: none
        return None
    for o in literals:
        bad = xml_illegal(o)
        if bad is not None:
            return str(o), bad
    return None


def refuse_xml_illegal(data: bytes, fmt: str = "RDF/XML") -> bytes:
    """Return serialized XML as it is, or raise Unrepresentable if it holds a character
    XML 1.0 cannot hold (pyoxigraph's RDF/XML writer writes them raw)."""
    text = data.decode("utf-8", "surrogatepass")
    bad = xml_illegal(text)
    if bad is not None:
        at = text.index(bad)
        raise _unrepresentable(text[max(0, at - 30):at + 30], bad, fmt,
                               "Turtle, N-Triples or JSON-LD, which escape it")
    return data

