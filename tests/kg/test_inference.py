"""Inference materialises what owlrl entails for the rules discovery needs."""

from __future__ import annotations

from pathlib import Path

import owlrl
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SKOS

from kg.inference import infer, instance_graph
from kg.namespaces import SCHEMA_INFERRED_GRAPH
from kg.sources import load_files

pytestmark = pytest.mark.contract  # on every backend: inference, written back through the Store

DATA = Path(__file__).parent.parent / "data"
SMALL = DATA / "inference" / "small.ttl"
VOCAB = Path(__file__).parent.parent.parent / "kg" / "vocab"
EX = "https://example.org/inf/"
#: predicates whose entailments meshkg materialises
KINDS = {str(RDF.type), str(SKOS.broader), str(SKOS.narrower), str(SKOS.related),
         str(SKOS.broaderTransitive), str(SKOS.narrowerTransitive),
         EX + "derivedFrom", EX + "relatedTo", EX + "feeds", EX + "peerOf"}


def _ours(store) -> set[tuple[str, str, str]]:
    res = store.query("SELECT DISTINCT ?s ?p ?o { ?s ?p ?o }")
    return {(str(r["s"]), str(r["p"]), str(r["o"])) for r in res.rows}


def _restrict(triples) -> set[tuple[str, str, str]]:
    return {t for t in triples if t[0].startswith(EX) and t[1] in KINDS
            and (t[1] != str(RDF.type) or t[2].startswith((EX, str(SKOS))))}


def _owlrl_closure() -> set[tuple[str, str, str]]:
    g = Graph()
    g.parse(SMALL)
    g.parse(VOCAB / "skos-core.ttl")
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(g)
    return {(str(s), str(p), str(o)) for s, p, o in g if isinstance(s, URIRef)}


@pytest.fixture
def store(vocab_store):
    load_files(vocab_store, [SMALL], validate=False)
    return vocab_store


def test_entailments_match_owlrl_for_the_rules_discovery_needs(store):
    expected = _restrict(_owlrl_closure())
    assert _restrict(_ours(store)) == expected
    # and the closure is not trivial: a 3-level concept chain and class chain
    assert (EX + "app-sale", str(SKOS.broaderTransitive), EX + "sale") in expected
    assert (EX + "web", str(RDF.type), EX + "Product") in expected


def test_inferred_triples_live_in_their_own_graphs(store):
    graphs = store.graphs()
    source = SMALL.resolve().as_uri()
    assert SCHEMA_INFERRED_GRAPH in graphs
    assert instance_graph(source) in graphs
    assert not store.ask("ASK { GRAPH ?g { <https://example.org/inf/web> a "
                         "<https://example.org/inf/Product> } }",
                         named_graphs=[source])


def test_one_source_change_rederives_only_that_source(store, tmp_path):
    other = tmp_path / "other.ttl"
    other.write_text(f"<{EX}x> a <{EX}SalesProduct> .\n")
    load_files(store, [other], validate=False)
    report = infer(store, changed=[other.resolve().as_uri()])
    assert list(report.graphs) == [other.resolve().as_uri()]
    assert not report.schema_recomputed
    assert store.ask(f"ASK {{ <{EX}x> a <{EX}Product> }}")


def test_dropping_a_source_drops_its_entailments(store):
    from kg import gate
    source = SMALL.resolve().as_uri()
    gate.write(store, drop=[source], validate=False)
    infer(store, changed=[source])
    assert instance_graph(source) not in store.graphs()
    assert not store.ask(f"ASK {{ <{EX}web> a <{EX}Product> }}")


def _instance(store, source: str) -> Graph:
    g = Graph()
    data = store.dump(instance_graph(source), "ntriples")
    if data.strip():
        g.parse(data=data, format="nt")
    return g


@pytest.mark.parametrize("seed", [1, 2])
def test_a_changed_file_rederives_what_re_deriving_it_all_gives(demo_store, tmp_path, seed,
                                                                monkeypatch):
    import random

    from rdflib.compare import isomorphic

    from kg.inference import infer_source
    from kg.sources import DEMO_DIR, DEMO_GRAPH_PREFIX
    path = DEMO_DIR / "domain-customer.ttl"
    source = DEMO_GRAPH_PREFIX + path.stem
    g = Graph().parse(path, format="turtle")
    rng = random.Random(seed)
    triples = sorted(g, key=str)
    for t in rng.sample(triples, len(triples) // 10):  # drop a tenth, blank nodes included
        g.remove(t)
    product = next(iter(g.subjects(RDF.type, URIRef("https://www.omg.org/spec/DPROD/DataProduct"))))
    g.add((URIRef(EX + "new"), URIRef("http://www.w3.org/ns/prov#wasDerivedFrom"), product))
    g.add((URIRef(EX + "new"), RDF.type, URIRef("https://www.omg.org/spec/DPROD/DataProduct")))
    changed = tmp_path / "customer.ttl"
    g.serialize(changed, format="turtle")
    with monkeypatch.context() as m:  # only the changed resources are re-derived
        m.setattr("kg.inference.infer_source", None)
        report = load_files(demo_store, [changed], graph=source, validate=False).inference
    assert not report.schema_recomputed and list(report.graphs) == [source]
    # the graph that marks blank-node anchors during the update is gone with it
    assert not [g for g in demo_store.graph_names() if ":anchors:" in g]
    incremental = _instance(demo_store, source)
    infer_source(demo_store, source)
    assert len(incremental) > 0
    assert isomorphic(incremental, _instance(demo_store, source))


def test_a_full_run_derives_what_the_sparql_update_derives(demo_store):
    from kg import inference
    from kg.namespaces import INFERRED_PREFIX
    for g in demo_store.graph_names():  # a full run after a load: no instance graphs yet
        if g.startswith(INFERRED_PREFIX) and g != SCHEMA_INFERRED_GRAPH:
            demo_store.drop(g)
    report = infer(demo_store)
    full = {g: set(demo_store.dump(instance_graph(g), "ntriples").splitlines())
            for g in report.graphs}
    assert sum(map(len, full.values())) == report.triples > 0
    assert any(line.startswith(b"_:") for lines in full.values() for line in lines)
    for g in report.graphs:
        assert inference.infer_source(demo_store, g) == len(full[g])
        assert set(demo_store.dump(instance_graph(g), "ntriples").splitlines()) == full[g], g
    assert infer(demo_store).graphs == report.graphs  # a re-run finds the same
    for g in report.graphs:
        assert set(demo_store.dump(instance_graph(g), "ntriples").splitlines()) == full[g], g
