"""The Store interface behaves the same on every backend (embedded, Oxigraph server, Virtuoso)."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from rdflib import Literal, URIRef

from kg.errors import QueryRefused, QuerySyntaxError, UsageError

pytestmark = pytest.mark.contract  # on every backend: the Store contract

G1 = "urn:test:graph:one"
G2 = "urn:test:graph:two"
G3 = "urn:test:graph:three"
G4 = "urn:test:graph:four"
P = ox.NamedNode("urn:test:p")


def quad(s: str, o, g: str) -> ox.Quad:
    obj = o if isinstance(o, ox.Literal | ox.NamedNode | ox.BlankNode) else ox.Literal(o)
    return ox.Quad(ox.NamedNode(s), P, obj, ox.NamedNode(g))


def seed(store, n1: int = 3, n2: int = 2) -> None:
    store.write_quads({G1: [quad(f"urn:test:s{i}", f"one {i}", G1) for i in range(n1)],
                       G2: [quad(f"urn:test:s{i}", f"two {i}", G2) for i in range(n2)]})


def count(store, where: str = "?s ?p ?o", **kw) -> int:
    res = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}", **kw)
    return int(res.rows[0]["n"])


def test_write_quads_replaces_adds_and_drops_graphs(store):
    seed(store)
    assert store.graphs() == {G1: 3, G2: 2}
    store.write_quads({G1: [quad("urn:test:new", "only", G1)]},
                      add=[quad("urn:test:extra", "more", G2)])
    assert store.graphs() == {G1: 1, G2: 3}
    store.write_quads({}, drop=[G2])
    assert store.graphs() == {G1: 1}
    store.drop(G1)
    assert store.graphs() == {}


def test_default_graph_is_union_of_named_graphs(store):
    seed(store)
    assert count(store) == 5
    assert count(store, "?s <urn:test:p> ?o", default_graphs=[G2]) == 2
    assert count(store, "GRAPH ?g { ?s ?p ?o }") == 5
    assert store.ask("ASK { GRAPH <urn:test:graph:two> { ?s ?p 'two 1' } }")


def test_large_write_goes_through_staging_and_keeps_blank_nodes(store):
    """Over the inline limit, remote writes upload chunks to a staging graph, then MOVE."""
    if hasattr(store, "inline_limit"):
        store.inline_limit, store.gsp_chunk = 40, 25
    quads = [quad(f"urn:test:s{i}", f"v{i}", G1) for i in range(150)]
    chain = [ox.BlankNode(f"n{i}") for i in range(60)]  # one component of 59 triples
    quads += [ox.Quad(a, P, b, ox.NamedNode(G1)) for a, b in zip(chain, chain[1:], strict=False)]
    store.write_quads({G1: quads})
    assert store.graphs() == {G1: 209}
    # the chain is still one chain: exactly one start and one end
    assert count(store, "?a <urn:test:p> ?b FILTER(isBlank(?a)) "
                        "FILTER NOT EXISTS { ?x <urn:test:p> ?a }") == 1
    assert not any(g.startswith("urn:meshkg:graph:staging:") for g in store.graphs())


@pytest.mark.parametrize("hostile", [
    'x" ) } ; DROP ALL ; #',
    "x' } } ; DROP ALL ; #",
    'line\nbreak \\" \\u0022 } #',
])
def test_bound_literal_is_data_not_sparql(store, hostile):
    seed(store)
    store.write_quads({}, add=[quad("urn:test:hostile", hostile, G1)])
    res = store.query("SELECT ?s ?o WHERE { ?s <urn:test:p> ?o }",
                      bindings={"o": Literal(hostile)})
    assert [str(r["s"]) for r in res] == ["urn:test:hostile"]
    assert store.graphs() == {G1: 4, G2: 2}


def test_binding_applies_before_limit(store):
    seed(store)
    res = store.query("SELECT ?s ?o WHERE { ?s <urn:test:p> ?o } ORDER BY ?o LIMIT 1",
                      bindings={"s": URIRef("urn:test:s1")})
    assert [str(r["o"]) for r in res] == ["one 1"]


def test_bound_iri_that_breaks_out_is_refused(store):
    seed(store)
    with pytest.raises((UsageError, ValueError)):  # refused before any engine sees it
        store.query("SELECT ?s ?o WHERE { ?s ?p ?o }",
                    bindings={"s": URIRef("urn:test:x> } ; DROP ALL ; <urn:y")})
    assert store.graphs() == {G1: 3, G2: 2}


def test_dump_and_graphs_agree(store):
    seed(store, 12, 4)
    if hasattr(store, "page_rows"):
        store.page_rows = 5  # force the ordered paging used past a server's row limit
    assert store.count_triples() == 16
    one = ox.parse(store.dump(G1, "ntriples"), format=ox.RdfFormat.N_TRIPLES)
    assert len(list(one)) == 12
    every = list(ox.parse(store.dump(None, "nquads"), format=ox.RdfFormat.N_QUADS))
    assert sorted({q.graph_name.value for q in every}) == [G1, G2]
    assert len(every) == 16
    with pytest.raises(UsageError):
        store.dump(None, "turtle")


@pytest.mark.parametrize("fmt", ["nquads", "trig", "jsonld"])
def test_dump_to_a_file_writes_every_graph_as_dump_does(store, tmp_path, fmt):
    """`meshkg export` streams the store graph by graph into a file: the same dataset."""
    seed(store, 7, 3)
    store.write_quads({}, add=[quad("urn:test:s0", ox.Literal("é \"quoted\"", language="fr"), G3)])
    path = tmp_path / f"all.{fmt}"
    with path.open("wb") as out:
        store.dump_to(out, None, fmt)
    info = {"nquads": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG,
            "jsonld": ox.RdfFormat.JSON_LD}[fmt]
    written = {str(q) for q in ox.parse(path.read_bytes(), format=info)}
    expected = {str(q) for q in ox.parse(store.dump(None, "nquads"), format=ox.RdfFormat.N_QUADS)}
    assert written == expected and len(written) == 11
    with path.open("wb") as out:
        store.dump_to(out, G1, "ntriples")
    assert len(list(ox.parse(path.read_bytes(), format=ox.RdfFormat.N_TRIPLES))) == 7
    with pytest.raises(UsageError), path.open("wb") as out:
        store.dump_to(out, None, "turtle")


@pytest.mark.parametrize("sparql", [
    "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE SILENT <http://169.254.169.254/> { ?s ?p ?o } }",
    "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }",
])
def test_query_that_would_open_a_socket_or_file_is_refused(store, sparql):
    with pytest.raises(QueryRefused):
        store.query(sparql)


def test_load_is_refused(store):
    with pytest.raises(QueryRefused):
        store.update("LOAD <http://127.0.0.1:9/data.ttl> INTO GRAPH <urn:test:g>")
    assert store.graphs() == {}


@pytest.mark.parametrize("sparql", ["ASK {", "SELECT ?s WHERE { ?s ?p }"])
def test_syntax_error_is_query_syntax_error(store, sparql):
    with pytest.raises(QuerySyntaxError):
        store.query(sparql)


def test_update_syntax_error_is_query_syntax_error(store):
    with pytest.raises(QuerySyntaxError):
        store.update("INSERT DATA { GRAPH <urn:test:g> { <urn:a> <urn:b> } }")


@pytest.mark.parametrize("literal", [
    ox.Literal("Grüße, 東京, emoji 😀"),
    ox.Literal("Données personnelles", language="fr"),
    ox.Literal("colour", language="en-GB"),
    ox.Literal("42", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
])
def test_non_ascii_literals_and_language_tags_round_trip(store, literal):
    store.write_quads({G1: [quad("urn:test:s", literal, G1)]})
    res = store.query("SELECT ?o WHERE { <urn:test:s> ?p ?o }")
    got = res.rows[0]["o"]
    want = Literal(literal.value, lang=literal.language,
                   datatype=None if literal.language else URIRef(literal.datatype.value))
    if literal.datatype.value == "http://www.w3.org/2001/XMLSchema#string":
        want = Literal(literal.value)
    # language tags compare case-insensitively (RDF 1.1); Virtuoso lowercases them
    assert got == want
    dumped = list(ox.parse(store.dump(G1, "ntriples"), format=ox.RdfFormat.N_TRIPLES))
    assert dumped[0].object.value == literal.value


def test_bound_non_ascii_literal_matches(store):
    store.write_quads({G1: [quad("urn:test:s", ox.Literal("Grüße 😀", language="de"), G1)]})
    res = store.query("SELECT ?s ?o WHERE { ?s ?p ?o }",
                      bindings={"o": Literal("Grüße 😀", lang="de")})
    assert len(res) == 1


def test_construct_and_max_rows(store):
    seed(store, 6, 0)
    g = store.construct("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
    assert len(g) == 6
    res = store.query("SELECT ?s WHERE { ?s ?p ?o }", max_rows=4)
    assert len(res) == 4 and res.truncated
    assert store.ask("ASK { ?s ?p 'one 5' }") is True
    assert store.ask("ASK { ?s ?p 'nothing' }") is False


# -- the embedded store's large-write paths ------------------------------------------------

VERSION_1 = """@prefix ex: <https://example.org/> .
ex:a ex:p "one", "has _: inside" ; ex:q [ ex:r [ ex:s "deep" ] ] .
ex:b ex:p "kept" ; ex:q [ ex:r "flat" ] .
"""
VERSION_2 = """@prefix ex: <https://example.org/> .
ex:a ex:p "one", "new" ; ex:q [ ex:r [ ex:s "deeper" ] ] .
ex:b ex:p "kept" ; ex:q [ ex:r "flat" ] .
ex:c ex:p "added" .
"""


def _graph_of(store, graph: str):
    from rdflib import Graph
    return Graph().parse(data=store.dump(graph, "ntriples"), format="nt")


def _quads(text: str, graph: str) -> list:
    return [ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(graph))
            for t in ox.parse(text.encode(), format=ox.RdfFormat.TURTLE)]


def test_a_large_graph_is_rewritten_by_its_difference(tmp_path, monkeypatch):
    from rdflib import Graph
    from rdflib.compare import isomorphic

    from kg.store.oxigraph import OxigraphStore
    monkeypatch.setattr(OxigraphStore, "DELTA_MIN", 0)
    with OxigraphStore(tmp_path / "store") as store:
        store.write_quads({G1: _quads(VERSION_1, G1)})
        seed(store, n1=0)
        store.write_quads({G1: _quads(VERSION_2, G1)})
        assert isomorphic(_graph_of(store, G1), Graph().parse(data=VERSION_2, format="turtle"))
        assert store.graphs()[G2] == 2  # other graphs untouched


def test_an_interrupted_bulk_load_is_undone_when_the_store_reopens(tmp_path, monkeypatch):
    from kg.store.oxigraph import PENDING_FILE, OxigraphStore
    monkeypatch.setattr(OxigraphStore, "BULK_MIN", 0)
    path = tmp_path / "store"
    with OxigraphStore(path) as store:
        seed(store)
        store.write_quads({G3: _quads(VERSION_1, G3)})  # the bulk path, completed
        assert store.graphs()[G3] == 8 and not (path / PENDING_FILE).exists()
        # the process dies after the bulk loader wrote a new graph, before the marker went
        (path / PENDING_FILE).write_text(f'["{G4}"]')
        store.raw.bulk_extend(_quads(VERSION_2, G4))
    with OxigraphStore(path) as store:
        assert store.graphs() == {G1: 3, G2: 2, G3: 8}
        assert not (path / PENDING_FILE).exists()


def test_a_failing_bulk_load_leaves_nothing(tmp_path, monkeypatch):
    from kg.errors import StoreError
    from kg.store.oxigraph import PENDING_FILE, OxigraphStore
    monkeypatch.setattr(OxigraphStore, "BULK_MIN", 0)
    path = tmp_path / "store"
    with OxigraphStore(path) as store:
        seed(store)
        raw = store.raw

        class Failing:
            def __getattr__(self, name):
                return getattr(raw, name)

            def bulk_extend(self, quads):
                raw.bulk_extend(list(quads)[:2])
                raise OSError("disk full")

        monkeypatch.setattr(store, "_store", Failing())
        with pytest.raises(StoreError, match="nothing was changed"):
            store.write_quads({G3: _quads(VERSION_1, G3)})
        monkeypatch.setattr(store, "_store", raw)
        assert store.graphs() == {G1: 3, G2: 2} and not (path / PENDING_FILE).exists()


# -- the kept N-Triples of large graphs (embedded, on disk) --------------------------
BIG = "urn:test:graph:big"


def _big_quads(n: int = 6_000, label: str = "item") -> list:
    quads = [quad(f"urn:test:item{i}", f"{label} {i}", BIG) for i in range(n)]
    node = ox.BlankNode("k1")  # a blank node survives the round trip with its label
    quads += [ox.Quad(ox.NamedNode("urn:test:item0"), P, node, ox.NamedNode(BIG)),
              ox.Quad(node, P, ox.Literal("inside"), ox.NamedNode(BIG))]
    return quads


def _lines(data: bytes) -> set[bytes]:
    return set(data.splitlines()) - {b""}


@pytest.mark.parametrize("update", [
    'DELETE DATA { GRAPH <urn:test:graph:big> { <urn:test:item5> <urn:test:p> "item 5" } } ;'
    ' INSERT DATA { GRAPH <urn:test:graph:big> { <urn:test:item5> <urn:test:p> "changed" } }',
    'PREFIX t: <urn:test:graph:> DELETE { GRAPH t:big { ?s ?p "item 5" } }'
    ' INSERT { GRAPH t:big { ?s ?p "changed" } } WHERE { GRAPH t:big { ?s ?p "item 5" } }',
    'DELETE { GRAPH ?g { ?s ?p "item 5" } } INSERT { GRAPH ?g { ?s ?p "changed" } }'
    ' WHERE { GRAPH ?g { ?s ?p "item 5" } }',
    'WITH <urn:test:graph:big> DELETE { ?s ?p "item 5" } INSERT { ?s ?p "changed" }'
    ' WHERE { ?s ?p "item 5" }',
    r'DELETE { GRAPH <urn:test:graph:bi\u0067> { ?s ?p "item 5" } }'
    r' INSERT { GRAPH <urn:test:graph:bi\u0067> { ?s ?p "changed" } }'
    ' WHERE { GRAPH <urn:test:graph:big> { ?s ?p "item 5" } }',
    'DELETE { GRAPH ?é { ?s ?p "item 5" } } INSERT { GRAPH ?é { ?s ?p "changed" } }'
    ' WHERE { GRAPH ?é { ?s ?p "item 5" } }',
    'PREFIX t: <urn:test:graph:> DELETE { <urn:test:x> <urn:test:p> t:o#"""\n'
    ' GRAPH t:big { ?s ?p "item 5" } } INSERT { GRAPH t:big { ?s ?p "changed" } }'
    ' WHERE { GRAPH t:big { ?s ?p "item 5" } } #"""',
])
def test_a_large_graph_reads_back_as_written_after_any_update_and_a_reopen(tmp_path, update):
    """A large graph's text is kept beside the store so a re-loaded file is diffed
    without reading the old version back; whatever changes the graph (here an update
    that keeps its size, naming the graph by IRI, prefixed name, variable, WITH, an
    escaped IRI, or behind a comment a lexer could take for a string), a dump, the next
    process's included, returns what the store holds."""
    from kg.store.oxigraph import OxigraphStore
    path = tmp_path / "store"
    store = OxigraphStore(path)
    quads = _big_quads()
    store.write_quads({BIG: quads})
    from kg.store.ntdiff import ntriples
    assert _lines(store.dump(BIG, "ntriples")) == _lines(ntriples(quads))
    store.update(update)
    text = store.dump(BIG, "ntriples")
    assert b'<urn:test:item5> <urn:test:p> "changed" .' in _lines(text)
    assert b'<urn:test:item5> <urn:test:p> "item 5" .' not in _lines(text)
    assert len(_lines(text)) == len(quads)
    store.close()
    again = OxigraphStore(path)
    try:
        assert _lines(again.dump(BIG, "ntriples")) == _lines(text)
        # a re-write by the file's next version diffs against what the store holds
        again.write_quads({BIG: _big_quads(label="next")})
        nexts = 'GRAPH <urn:test:graph:big> { ?s ?p ?o FILTER(STRSTARTS(?o, "next")) }'
        assert count(again, nexts) == 6_000
        assert count(again, "GRAPH <urn:test:graph:big> { ?s ?p ?o }") == len(quads)
    finally:
        again.close()


def test_a_graph_changed_behind_meshkgs_back_is_read_from_the_store(tmp_path):
    """Another program writing to the store folder (pyoxigraph itself) changes the
    triple count: the kept text no longer agrees and is not served."""
    from kg.store.oxigraph import OxigraphStore
    path = tmp_path / "store"
    store = OxigraphStore(path)
    store.write_quads({BIG: _big_quads()})
    store.dump(BIG, "ntriples")
    store.raw.add(quad("urn:test:sneaked", "in", BIG))  # not through the Store interface
    assert b'<urn:test:sneaked> <urn:test:p> "in" .' in _lines(store.dump(BIG, "ntriples"))
    store.drop(BIG)
    assert store.dump(BIG, "ntriples") == b""
    store.close()


def test_a_store_written_by_another_program_between_two_runs_is_read_from_the_store(tmp_path):
    """A graph changed between two meshkg runs by another program on the same folder
    (here pyoxigraph itself, one triple swapped for another: the count stays), or a
    meshkg run that never closed the store, leaves no kept text that is trusted."""
    from kg.store.oxigraph import OxigraphStore
    path = tmp_path / "store"
    store = OxigraphStore(path)
    store.write_quads({BIG: _big_quads()})
    store.close()
    other = ox.Store(str(path))
    other.remove(quad("urn:test:item5", "item 5", BIG))
    other.add(quad("urn:test:item5", "swapped", BIG))
    other.flush()
    del other
    store = OxigraphStore(path)
    assert b'<urn:test:item5> <urn:test:p> "swapped" .' in _lines(store.dump(BIG, "ntriples"))
    store.write_quads({BIG: _big_quads()})
    assert b'<urn:test:item5> <urn:test:p> "item 5" .' in _lines(store.dump(BIG, "ntriples"))
    assert count(store, 'GRAPH <urn:test:graph:big> { ?s ?p "swapped" }') == 0
    store.raw.flush()
    crashed, store = store, None  # never closed: as after a crash
    crashed._store = None
    store = OxigraphStore(path)
    try:
        assert count(store, "GRAPH <urn:test:graph:big> { ?s ?p ?o }") == len(_big_quads())
        assert _lines(store.dump(BIG, "ntriples")) == _lines(ntriples_of(_big_quads()))
    finally:
        store.close()


def ntriples_of(quads) -> bytes:
    from kg.store.ntdiff import ntriples
    return ntriples(quads)


def test_a_large_graph_with_typed_values_reads_back_and_reloads_as_the_store_keeps_it(tmp_path):
    """The store keeps `"12.50"^^xsd:decimal` as 12.5: the N-Triples a dump gives say what
    a query gives, and writing the same data again is no change for the gate."""
    from kg import gate
    from kg.store.oxigraph import OxigraphStore
    xsd = "http://www.w3.org/2001/XMLSchema#"
    odd = [("12.50", "decimal"), ("01", "integer"), ("2020-01-01T00:00:00+00:00", "dateTime"),
           ("1", "boolean"), ("not a number", "integer")]
    quads = _big_quads() + [quad(f"urn:test:odd{i}", ox.Literal(v, datatype=ox.NamedNode(xsd + d)),
                                 BIG) for i, (v, d) in enumerate(odd)]
    store = OxigraphStore(tmp_path / "store")
    try:
        store.write_quads({BIG: quads})
        text = _lines(store.dump(BIG, "ntriples"))
        every = _lines(store.dump(None, "nquads"))
        assert text == {x.replace(b" <urn:test:graph:big> .", b" .") for x in every}
        decimal = b'"12.5"^^<http://www.w3.org/2001/XMLSchema#decimal> .'
        assert b"<urn:test:odd0> <urn:test:p> " + decimal in text
        assert not gate.check(store, replace={BIG: quads}, add=[], drop=[]).checked
    finally:
        store.close()


def test_a_store_opened_read_only_beside_its_writer_reads_and_closes(tmp_path):
    """A read-only view of the store sees what was written and closes cleanly (closing
    one raised: it tried to flush); it keeps no graph texts of its own."""
    from kg.store.oxigraph import OxigraphStore
    writer = OxigraphStore(tmp_path / "store")
    writer.write_quads({BIG: _big_quads()})
    writer.close()
    reader = OxigraphStore(tmp_path / "store", read_only=True)
    assert len(_lines(reader.dump(BIG, "ntriples"))) == len(_big_quads())
    reader.close()
    again = OxigraphStore(tmp_path / "store")  # the writer's next run finds it as it was
    try:
        assert _lines(again.dump(BIG, "ntriples")) == _lines(ntriples_of(_big_quads()))
    finally:
        again.close()
