"""The SHACL gate: a write that leaves a Violation is refused and nothing is stored."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from kg import gate
from kg.errors import ShapeViolation
from kg.loading import parse_bytes
from kg.sources import load_files
from kg.store.oxigraph import STAGING_PREFIX, OxigraphStore
from kg.validation import GatePolicy

pytestmark = pytest.mark.contract  # on every backend: the SHACL gate: atomic, gated writes

DATA = Path(__file__).parent.parent / "data" / "core"
GOOD = DATA / "product-ok.ttl"
PRODUCT = "https://example.org/id/web-orders"


@pytest.fixture(params=["views", "whole"])
def mode(request, monkeypatch):
    """Small changes are validated in described views, large ones in one pass over the
    whole would-be data: each gate test runs both ways."""
    if request.param == "whole":
        monkeypatch.setattr(gate, "WHOLE_MIN", 1)
    return request.param


@pytest.fixture
def store(vocab_store, tmp_path, mode):
    concepts = tmp_path / "concepts.ttl"
    product = tmp_path / "product.ttl"
    lines = GOOD.read_text().split("\n\n")
    prefixes, body = lines[0], "\n\n".join(lines[1:])
    concept_lines = [b for b in body.split(" .\n") if "a skos:Concept" in b
                     or "skos:ConceptScheme" in b]
    other = [b for b in body.split(" .\n") if b not in concept_lines]
    concepts.write_text(prefixes + "\n\n" + " .\n".join(concept_lines) + " .\n")
    product.write_text(prefixes + "\n\n" + " .\n".join(other))
    load_files(vocab_store, [concepts, product])
    vocab_store.concepts_file = concepts
    return vocab_store


def _dump(store):
    return sorted(store.dump(None, "nquads").splitlines())


def test_removing_a_concept_a_product_is_about_is_refused(store):
    """A change in one graph is checked against the products in other graphs (the gate
    is strict here: under the default gate this finding is kept, not refused)."""
    store.gate_policy = GatePolicy(mode="strict")
    before = _dump(store)
    f = store.concepts_file
    f.write_text(f.read_text().replace("ex:online-sale a skos:Concept", "ex:online-sale a ex:Gone"))
    with pytest.raises(ShapeViolation) as info:
        load_files(store, [f])
    focus = {r.focus for r in info.value.report.results if r.severity == "Violation"}
    assert PRODUCT in focus
    assert _dump(store) == before


def test_by_default_removing_a_concept_is_written_and_the_product_keeps_the_finding(store):
    f = store.concepts_file
    f.write_text(f.read_text().replace("ex:online-sale a skos:Concept", "ex:online-sale a ex:Gone"))
    report = load_files(store, [f]).validation
    found = {(r.focus, r.shape.rsplit("#", 1)[1]) for r in report.results
             if r.severity == "Violation"}
    assert (PRODUCT, "DataProductShape-subject") in found
    assert not report.refusing()
    from kg.validation import stored_findings
    assert "DataProductShape-subject" in {
        x.shape.rsplit("#", 1)[1] for x in stored_findings(store, PRODUCT)}


def test_a_conforming_change_is_written(store):
    f = store.concepts_file
    f.write_text(f.read_text().replace('"Online sale"@en', '"Online sale"@en, "Onlineverkauf"@de'))
    load_files(store, [f])
    assert store.ask('ASK { ?c <http://www.w3.org/2004/02/skos/core#prefLabel> '
                     '"Onlineverkauf"@de }')


def test_dropping_the_concepts_graph_is_refused(store):
    store.gate_policy = GatePolicy(mode="strict")
    before = _dump(store)
    with pytest.raises(ShapeViolation):
        gate.write(store, drop=[store.concepts_file.resolve().as_uri()])
    assert _dump(store) == before


def test_staging_graphs_left_by_a_crash_are_dropped_on_open(tmp_path):
    path = tmp_path / "s"
    raw = ox.Store(str(path))
    raw.add(ox.Quad(ox.NamedNode("http://x/a"), ox.NamedNode("http://x/p"), ox.Literal("1"),
                    ox.NamedNode(STAGING_PREFIX + "leftover")))
    del raw
    store = OxigraphStore(path)
    assert store.graphs() == {}
    assert not store.ask("ASK { ?s ?p ?o }")
    store.close()


def test_write_replaces_graphs_and_adds_atomically(tmp_path):
    store = OxigraphStore(tmp_path / "s")
    one = parse_bytes(b'<http://x/a> <http://x/p> "1" .', "ntriples", source="a", graph="urn:g:1")
    two = parse_bytes(b'<http://x/b> <http://x/p> "2" .', "ntriples", source="b", graph="urn:g:2")
    store.write_quads({"urn:g:1": one.quads})
    store.write_quads({"urn:g:2": two.quads}, add=[ox.Quad(
        ox.NamedNode("http://x/c"), ox.NamedNode("http://x/p"), ox.Literal("3"),
        ox.NamedNode("urn:g:1"))], drop=[])
    assert store.graphs() == {"urn:g:1": 2, "urn:g:2": 1}
    store.write_quads({}, drop=["urn:g:1"])
    assert store.graphs() == {"urn:g:2": 1}
    store.close()


def test_a_sparql_update_is_followed_by_inference_and_the_search_index(store):
    """Writes through SPARQL Update (the endpoint's path) refresh entailments and search."""
    from rdflib import Graph

    from kg import catalog
    g = Graph().parse(GOOD, format="turtle")
    body = (g.serialize(format="nt").replace('"Web orders"@en', '"Zeppelin orders"@en')
            .replace(PRODUCT, "https://example.org/id/zeppelin-orders"))
    assert catalog.search(store, "zeppelin").hits == []
    gate.apply_update(store, "INSERT DATA { GRAPH <urn:test:zeppelin> {\n" + body + "} }")
    assert [h.label for h in catalog.search(store, "zeppelin").hits] == ["Zeppelin orders"]
    gate.apply_update(store, "DROP GRAPH <urn:test:zeppelin>")
    assert catalog.search(store, "zeppelin").hits == []
