"""Loading RDF safely: each bad input is refused with file and line, the store unchanged."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from kg.errors import FormatMismatch, HostileInput, MeshError, ParseError
from kg.namespaces import DPROD
from kg.sources import load_files
from kg.store.oxigraph import OxigraphStore

DATA = Path(__file__).parent.parent / "data"
HOSTILE = DATA / "hostile"
GOOD = DATA / "core" / "product-ok.ttl"


@pytest.fixture
def store(vocab_store):
    load_files(vocab_store, [GOOD])
    return vocab_store


def _snapshot(store) -> bytes:
    return b"".join(sorted(store.dump(None, "nquads").splitlines()))


@pytest.mark.parametrize("name, error, words", [
    ("bad-last-line.ttl", ParseError, "bad-last-line.ttl:3"),
    ("relative.nt", ParseError, "relative.nt:1"),
    ("space-iri.nt", ParseError, "space-iri.nt:1"),
    ("not-well-formed.rdf", ParseError, "not-well-formed.rdf"),
    ("billion-laughs.rdf", HostileInput, "DOCTYPE"),
    ("external-entity.rdf", HostileInput, "ENTITY"),
    ("remote-context.jsonld", HostileInput, "not fetched"),
    ("file-context.jsonld", HostileInput, "not fetched"),
    ("context-42.jsonld", ParseError, "@context"),
    ("not-json.jsonld", FormatMismatch, "not JSON-LD"),
    ("turtle-named.jsonld", FormatMismatch, "looks like Turtle"),
    ("empty.ttl", FormatMismatch, "empty"),
    ("archive.ttl", FormatMismatch, "binary"),
    ("latin1.ttl", ParseError, "UTF-8"),
    ("deep.jsonld", HostileInput, "nested"),
])
@pytest.mark.parametrize("validate", [True, False], ids=["gated", "streamed"])
def test_bad_input_is_refused_and_store_unchanged(store, name, error, words, validate):
    before = _snapshot(store)
    with pytest.raises(error) as info:
        load_files(store, [HOSTILE / name], validate=validate)
    assert words in info.value.message
    assert name in info.value.message
    assert info.value.exit_code == 2
    assert _snapshot(store) == before


@pytest.mark.contract
@pytest.mark.parametrize("validate", [True, False], ids=["gated", "streamed"])
def test_bad_file_in_a_batch_writes_nothing_of_the_batch(store, tmp_path, validate,
                                                         monkeypatch):
    """Unvalidated loads of new files are streamed file by file (a large mesh is never
    held in memory whole); a bad file still leaves nothing of the batch."""
    monkeypatch.setattr(OxigraphStore, "BULK_MIN", 1_000)  # 50,000: the same path, slower
    ok = tmp_path / "fine.ttl"
    ok.write_text("<http://example.org/x> <http://example.org/p> 1 .\n")
    big = tmp_path / "big.nt"
    big.write_text("".join(f'<http://example.org/s{i}> <http://example.org/p> "{i}" .\n'
                           for i in range(1_500)))  # over the bulk loader's threshold
    before = _snapshot(store)
    with pytest.raises(ParseError):
        load_files(store, [ok, big, HOSTILE / "bad-last-line.ttl"], validate=validate)
    assert _snapshot(store) == before
    report = load_files(store, [ok, big], validate=validate)
    assert report.graphs == {ok.resolve().as_uri(): 1, big.resolve().as_uri(): 1_500}
    assert store.ask('ASK { <http://example.org/s1499> <http://example.org/p> "1499" }')


def test_entity_file_content_never_appears(store):
    with pytest.raises(HostileInput):
        load_files(store, [HOSTILE / "external-entity.rdf"])
    assert b"root:" not in store.dump(None, "nquads")


def test_remote_context_opens_no_socket(store, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a socket was opened")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    with pytest.raises(HostileInput):
        load_files(store, [HOSTILE / "remote-context.jsonld"])


@pytest.mark.contract
def test_deeply_nested_turtle_loads_without_recursion_error(store):
    report = load_files(store, [HOSTILE / "deep.ttl"], validate=False)
    assert sum(report.graphs.values()) == 5001


@pytest.mark.contract
def test_reloading_a_file_replaces_exactly_what_it_brought(store, tmp_path):
    f = tmp_path / "extra.ttl"
    f.write_text("<http://example.org/x> <http://example.org/p> 1, 2 .\n")
    load_files(store, [f])
    other = _snapshot(store)
    f.write_text("<http://example.org/x> <http://example.org/p> 3 .\n")
    load_files(store, [f])
    graph = f.resolve().as_uri()
    assert store.graphs()[graph] == 1
    assert store.ask("ASK { <http://example.org/x> <http://example.org/p> 3 }")
    assert not store.ask("ASK { <http://example.org/x> <http://example.org/p> 1 }")
    # the product file's graph is untouched
    assert store.ask("ASK { <https://example.org/id/web-orders> ?p ?o }")
    assert other != _snapshot(store)


BLANKS = """
<http://example.org/x> <http://example.org/p> [ <http://example.org/q> 1 ;
    <http://example.org/r> ( 1 2 ) ] .
_:n <http://example.org/name> "n" .
"""


@pytest.mark.contract
def test_a_reloaded_file_keeps_its_blank_nodes_and_writes_only_what_changed(store, tmp_path):
    """A file's blank nodes (`[ … ]`, lists, `_:n`) get the same labels on every load, so
    re-loading it with one product's name edited changes one line of its graph, and the
    gate re-validates that product, not the resources around the blank nodes. (A SPARQL
    server labels blank nodes itself: there the graph is the same up to their labels.)"""
    f = tmp_path / "blanks.ttl"
    f.write_text(GOOD.read_text() + BLANKS)
    load_files(store, [f])
    graph = f.resolve().as_uri()
    before = set(store.dump(graph, "ntriples").splitlines())
    assert sum(b"_:" in line for line in before) == 8
    f.write_text(GOOD.read_text().replace('"Web orders"@en', '"Web orders, renamed"@en')
                 + BLANKS)
    report = load_files(store, [f])
    after = set(store.dump(graph, "ntriples").splitlines())
    if store.keeps_blank_nodes:
        assert [line for line in after - before] == [
            b'<https://example.org/id/web-orders> <http://www.w3.org/2000/01/rdf-schema#label> '
            b'"Web orders, renamed"@en .']
        assert len(before - after) == 1
        assert "http://example.org/x" not in report.validation.checked
    else:
        assert len(after) == len(before)
    assert "https://example.org/id/web-orders" in report.validation.checked


@pytest.mark.contract
def test_two_files_with_the_same_blank_node_label_keep_two_nodes(store, tmp_path):
    for name in ("a", "b"):
        (tmp_path / f"{name}.ttl").write_text(
            f'_:x <http://example.org/name> "{name}" ; <http://example.org/in> "{name}" .\n')
    load_files(store, [tmp_path / "a.ttl", tmp_path / "b.ttl"], validate=False)
    rows = store.query('SELECT ?x WHERE { ?x <http://example.org/name> ?n ; '
                       '<http://example.org/in> ?m FILTER(?n != ?m) }').rows
    assert rows == []
    assert len(store.query("SELECT ?x WHERE { ?x <http://example.org/name> ?n }").rows) == 2


def test_old_dprod_namespace_is_rewritten_on_load(store, tmp_path):
    f = tmp_path / "old.ttl"
    f.write_text(GOOD.read_text().replace(str(DPROD), "https://ekgf.github.io/dprod/")
                 .replace("web-orders", "old-orders"))
    load_files(store, [f])
    assert store.ask("ASK { <https://example.org/id/old-orders> a "
                     "<https://www.omg.org/spec/DPROD/DataProduct> }")
    assert not store.ask("ASK { ?s ?p ?o FILTER(CONTAINS(STR(?p), 'ekgf.github.io')) }")


@pytest.mark.parametrize("ext, fmt", [("nt", "ntriples"), ("nq", "nquads"), ("trig", "trig"),
                                      ("jsonld", "jsonld"), ("rdf", "rdfxml")])
def test_every_rdf_format_loads_into_its_own_graph(store, tmp_path, ext, fmt):
    from rdflib import Graph
    g = Graph().parse(GOOD)
    name = {"ntriples": "nt", "nquads": "nt", "rdfxml": "xml", "jsonld": "json-ld"}.get(fmt, fmt)
    f = tmp_path / f"copy.{ext}"
    f.write_text(g.serialize(format=name))
    report = load_files(store, [f], validate=False)
    assert f.resolve().as_uri() in report.graphs
    assert report.triples == len(g)


def test_unknown_extension_is_a_usage_error(store, tmp_path):
    f = tmp_path / "data.txt"
    f.write_text("x")
    with pytest.raises(MeshError) as info:
        load_files(store, [f])
    assert "extension" in info.value.message
