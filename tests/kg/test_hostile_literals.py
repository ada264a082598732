"""Literals no XML answer can hold, integers past the engine's range and deep blank-node
nesting (issue "Nothing acknowledged is lost…", findings 7, 8, 10): refused on the way in
with the file, line or literal named, and every answer either well-formed or a clear 4xx."""

from __future__ import annotations

import logging
from xml.parsers import expat

import pyoxigraph as ox
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD

from kg.errors import FormatMismatch, MeshError, ParseError, Unrepresentable
from kg.loading import parse_bytes, parse_file
from kg.results import serialize_graph, serialize_result
from kg.store.base import Result
from kg.store.oxigraph import OxigraphStore, to_oxigraph, to_rdflib

G = "urn:meshkg:test:g"
P = URIRef("http://example.org/p")
S = URIRef("http://example.org/s")
BIG = "1" + "0" * 5000


def _parse(text: str | bytes, fmt: str = "turtle"):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return parse_bytes(data, fmt, source="upload.ttl", graph=G)


# -- finding 7: characters XML 1.0 cannot hold --------------------------------------------
@pytest.mark.parametrize("escape", ["\\u0000", "\\u0001", "\\u001F", "\\uFFFE", "\\uFFFF",
                                    "\\U00000008"])
@pytest.mark.parametrize("fmt", ["turtle", "ntriples"])
def test_escaped_xml_illegal_character_in_a_literal_is_refused_naming_it(escape, fmt):
    text = f'<http://example.org/s> <http://example.org/p> "ok" .\n' \
           f'<http://example.org/s> <http://example.org/p> "a{escape}b" .\n'
    with pytest.raises(ParseError) as info:
        _parse(text, fmt)
    message = str(info.value)
    assert "upload.ttl" in message and "XML 1.0" in message
    assert "http://example.org/s" in message and "U+" in message


def test_escaped_nul_in_json_ld_is_refused():
    doc = '{"@id": "http://example.org/s", "http://example.org/p": "a\\u0000b"}'
    with pytest.raises(ParseError, match="U\\+0000"):
        _parse(doc, "jsonld")


def test_raw_control_character_is_refused_with_its_line():
    text = '<http://example.org/s> <http://example.org/p> "ok" .\n' \
           '<http://example.org/s> <http://example.org/p> "a\x01b" .\n'
    with pytest.raises(ParseError) as info:
        _parse(text, "ntriples")
    assert info.value.line == 2 and "U+0001" in str(info.value)


@pytest.mark.parametrize("where", [10, 5000, 200_000])
def test_raw_nul_anywhere_in_a_file_is_refused_with_its_line(tmp_path, where):
    lines = [f'<http://example.org/s{i}> <http://example.org/p> "v{i}" .\n'
             for i in range(where // 40 + 2)]
    data = "".join(lines).encode()
    cut = data.index(b"\n", where) + 1  # the NUL starts the line after `where`
    line = data[:cut].count(b"\n") + 1
    path = tmp_path / "nul.nt"
    path.write_bytes(data[:cut] + b"\x00" + data[cut:])
    with pytest.raises(FormatMismatch) as info:
        parse_file(path)
    assert info.value.line == line and str(path) in str(info.value)
    assert "NUL" in str(info.value)


def test_utf16_file_is_still_read():
    text = '<http://example.org/s> <http://example.org/p> "é" .\n'
    assert _parse(text.encode("utf-16"), "ntriples").count == 1


@pytest.mark.parametrize("ok", ["\\u0009", "\\u000A", "\\u000D", "\\u0020", "\\uFFFD"])
def test_tab_newline_and_ordinary_escapes_are_kept(ok):
    assert _parse(f'<http://example.org/s> <http://example.org/p> "a{ok}b" .',
                  "ntriples").count == 1


def _xml_ok(data: bytes) -> None:
    expat.ParserCreate().Parse(data, True)


def _nul_rows():
    return Result("select", vars=["o"], rows=[{"o": Literal("a\x00b")}])


def test_sparql_xml_results_refuse_a_literal_xml_cannot_hold():
    with pytest.raises(Unrepresentable) as info:
        serialize_result(_nul_rows(), "application/sparql-results+xml")
    assert info.value.http_status == 406 and "U+0000" in info.value.message
    assert "application/sparql-results+json" in info.value.message


@pytest.mark.parametrize("media", ["application/sparql-results+json", "text/csv"])
def test_other_result_formats_hold_the_literal(media):
    assert serialize_result(_nul_rows(), media)


def test_tsv_results_escape_control_characters():
    data = serialize_result(_nul_rows(), "text/tab-separated-values")
    assert data == b'?o\n"a\\u0000b"\n'


def test_rdf_xml_refuses_a_literal_xml_cannot_hold():
    g = Graph()
    g.add((S, P, Literal("a\x00b")))
    with pytest.raises(Unrepresentable, match="U\\+0000"):
        serialize_graph(g, "application/rdf+xml")


@pytest.mark.parametrize("media", ["text/turtle", "application/n-triples",
                                   "application/ld+json"])
def test_text_formats_escape_the_literal_and_read_back(media):
    g = Graph()
    g.add((S, P, Literal("a\x00b\x01")))
    data = serialize_graph(g, media)
    assert b"\x00" not in data and b"\x01" not in data
    quads = list(ox.parse(data, format={"text/turtle": ox.RdfFormat.TURTLE,
                                        "application/n-triples": ox.RdfFormat.N_TRIPLES,
                                        "application/ld+json": ox.RdfFormat.JSON_LD}[media]))
    assert [q.object.value for q in quads] == ["a\x00b\x01"]


# -- finding 8: deep blank-node nesting ---------------------------------------------------
def _chain(n: int = 5000) -> Graph:
    g = Graph()
    g.add((S, P, BNode("b0")))
    for i in range(n):
        g.add((BNode(f"b{i}"), P, BNode(f"b{i + 1}")))
    return g


@pytest.mark.parametrize("media, fmt", [
    ("text/turtle", ox.RdfFormat.TURTLE), ("application/rdf+xml", ox.RdfFormat.RDF_XML),
    ("application/ld+json", ox.RdfFormat.JSON_LD),
    ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    ("application/trig", ox.RdfFormat.TRIG)])
def test_5000_nested_blank_nodes_serialize_in_every_format(media, fmt):
    data = serialize_graph(_chain(), media)
    assert len(list(ox.parse(data, format=fmt))) == 5001


def test_nested_blank_nodes_from_a_query_serialize():
    store = OxigraphStore(None)
    text = "<http://example.org/s> <http://example.org/p> _:b0 .\n" + "".join(
        f"_:b{i} <http://example.org/p> _:b{i + 1} .\n" for i in range(5000))
    store.put_graph(G, text.encode(), "ntriples")
    res = store.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
    for media in ("text/turtle", "application/rdf+xml", "application/ld+json"):
        assert serialize_result(res, media)


# -- finding 10: integers past the engine's 64-bit range ----------------------------------
@pytest.mark.parametrize("value, dt", [
    (BIG, "integer"), ("9223372036854775808", "integer"), ("-9223372036854775809", "long"),
    ("18446744073709551615", "unsignedLong"), ("+" + "9" * 30, "nonNegativeInteger")])
def test_integer_outside_64_bits_is_refused_naming_line_and_value(value, dt):
    text = ('@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n'
            '<http://example.org/s> <http://example.org/p> 1 .\n'
            f'<http://example.org/s> <http://example.org/q> "{value}"^^xsd:{dt} .\n')
    with pytest.raises(ParseError) as info:
        _parse(text)
    message = str(info.value)
    assert "upload.ttl:3" in message and "64-bit" in message
    assert value[:12] in message and len(message) < 600


def test_bare_integer_outside_64_bits_is_refused():
    with pytest.raises(ParseError, match="64-bit"):
        _parse(f"<http://example.org/s> <http://example.org/p> {BIG} .")


@pytest.mark.parametrize("value", ["9223372036854775807", "-9223372036854775808", "0",
                                   "00000000000000000000000042"])
def test_integers_inside_64_bits_load_and_compare(value):
    store = OxigraphStore(None)
    store.write_quads({G: _parse(f'<http://example.org/s> <http://example.org/p> {value} .'
                                 ).quads})
    res = store.query("SELECT ?o WHERE { ?s ?p ?o FILTER(?o > -5 || ?o < 5) }")
    assert [int(v) for v in res.values("o")] == [int(value)]


def test_huge_integer_from_the_store_becomes_rdflib_without_a_traceback(caplog):
    term = ox.Literal(BIG, datatype=ox.NamedNode(str(XSD.integer)))
    with caplog.at_level(logging.WARNING):
        lit = to_rdflib(term)
    assert not caplog.records
    assert str(lit) == BIG and lit.datatype == XSD.integer
    assert lit == to_rdflib(term) and hash(lit) == hash(to_rdflib(term))
    assert to_oxigraph(lit) == term
    g = Graph()
    g.add((S, P, lit))
    with caplog.at_level(logging.WARNING):
        for media in ("text/turtle", "application/ld+json", "application/rdf+xml",
                      "application/n-triples"):
            assert BIG.encode() in serialize_graph(g, media)
    assert not caplog.records


def test_errors_are_mesh_errors():
    assert issubclass(Unrepresentable, MeshError)


def test_json_ld_number_past_python_int_limit_is_refused():
    doc = f'{{"@id": "http://example.org/s", "http://example.org/p": {BIG}}}'
    with pytest.raises(ParseError, match="64 bits"):
        _parse(doc, "jsonld")


@pytest.mark.parametrize("value", ["a\x00b", "\ufffe", BIG])
def test_check_literals_takes_triples_as_tuples_for_other_ways_in(value):
    from kg.loading import check_literals, may_hold_refused_literal
    dt = ox.NamedNode(str(XSD.integer)) if value == BIG else None
    triple = (ox.NamedNode(str(S)), ox.NamedNode(str(P)), ox.Literal(value, datatype=dt))
    assert may_hold_refused_literal(value)
    with pytest.raises(ParseError, match="the edit"):
        check_literals([triple], source="the edit")


def test_a_steward_edit_with_a_nul_is_refused_and_writes_nothing(tmp_path):
    from kg.curation import save
    store = OxigraphStore(tmp_path / "store")
    try:
        iri = "https://example.org/id/thing"
        label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
        with pytest.raises(ParseError, match="U\\+0000"):
            save(store, iri, [(ox.NamedNode(iri), label, ox.Literal("a\x00b"))],
                 steward="ann", comment="a label", version=None, create=True, infer=False)
        assert not store.query(f"ASK {{ <{iri}> ?p ?o }}").boolean
    finally:
        store.close()


@pytest.mark.parametrize("value, refused", [
    ("170141183460469231731.687303715884105727", False),
    ("170141183460469231731.687303715884105728", True), ("1" + "0" * 21, True),
    ("0.123456789012345678", False), ("0.1234567890123456789", True),
    ("1.500000000000000000000000", False), ("-0000000000000000000000000.5", False)])
def test_decimals_the_engine_cannot_read_are_refused(value, refused):
    text = ('@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n'
            f'<http://example.org/s> <http://example.org/p> "{value}"^^xsd:decimal .\n')
    if refused:
        with pytest.raises(ParseError, match="upload.ttl:2: the decimal"):
            _parse(text)
        return
    store = OxigraphStore(None)
    store.write_quads({G: _parse(text).quads})
    res = store.query("SELECT ?o WHERE { ?s ?p ?o FILTER(?o > -1e30) }")  # compared
    assert len(res.values("o")) == 1
