"""The gate's SPARQL Update path (kg.gate.apply_update) on the embedded demo store.

An update is evaluated on a checkpoint of the store, so its blank nodes are the store's
own: a write touches only the graphs it changes, a no-op changes nothing, and
meshkg's own graphs cannot be written by a user's update.
"""

from __future__ import annotations

import shutil

import pytest

from kg import curation, gate
from kg.errors import ManagedGraph, OverBudget
from kg.namespaces import DERIVED_PREFIXES, DPROD, META_GRAPH
from kg.store.oxigraph import OxigraphStore
from kg.store.sandbox import close_sandbox


@pytest.fixture
def demo(_demo_template, tmp_path):
    """A fresh on-disk copy of the demo mesh."""
    path, _ = _demo_template
    shutil.copytree(path, tmp_path / "store")
    store = OxigraphStore(tmp_path / "store")
    yield store
    close_sandbox(store)
    store.close()


def _asserted_text(store) -> dict[str, bytes]:
    return {g: store.dump(g, "ntriples") for g in store.graph_names()
            if not g.startswith(DERIVED_PREFIXES)}


def _versions(store) -> dict[str, str]:
    rows = store.query(f"SELECT DISTINCT ?p {{ ?p a <{DPROD.DataProduct}> }}").rows
    return {str(r["p"]): curation.describe(store, str(r["p"])).version for r in rows}


def test_one_triple_insert_data_rewrites_only_its_graph(demo):
    """Issue 21 finding 2: an update used to rewrite every graph with blank nodes."""
    before = _asserted_text(demo)
    versions = _versions(demo)
    assert any(b"_:" in text for text in before.values())  # the demo has blank nodes
    gate.apply_update(demo, 'INSERT DATA { GRAPH <urn:meshkg:graph:curated:note> '
                            '{ <urn:x:note> <http://www.w3.org/2000/01/rdf-schema#comment> '
                            '"one triple" } }', timeout=30, memory_mb=2048)
    after = _asserted_text(demo)
    assert set(after) - set(before) == {"urn:meshkg:graph:curated:note"}
    changed = [g for g in before if after.get(g) != before[g]]
    assert changed == [], f"graphs rewritten by a one-triple insert elsewhere: {changed}"
    assert _versions(demo) == versions  # no steward's open form gets a 409


def test_noop_update_changes_nothing_not_even_entailments(demo):
    before = demo.dump(None, "nquads")
    versions = _versions(demo)
    report = gate.apply_update(demo, 'DELETE DATA { <urn:x:absent> <urn:x:p> "v" }',
                               timeout=30)
    assert report is not None and not report.checked
    assert demo.dump(None, "nquads") == before
    assert _versions(demo) == versions


def test_update_keeps_the_blank_nodes_of_the_graph_it_changes(demo):
    """Blank nodes keep their identity: the changed graph's other lines stay as they were."""
    graph = next(g for g, text in _asserted_text(demo).items()
                 if b"_:" in text and not g.startswith("urn:meshkg:graph:"))
    old = set(demo.dump(graph, "ntriples").splitlines())
    gate.apply_update(demo, f'INSERT DATA {{ GRAPH <{graph}> {{ <urn:x:extra> '
                            '<http://www.w3.org/2000/01/rdf-schema#label> "extra" } }',
                      validate=False, timeout=30)
    new = set(demo.dump(graph, "ntriples").splitlines())
    assert new - old == {b'<urn:x:extra> <http://www.w3.org/2000/01/rdf-schema#label> '
                         b'"extra" .'}
    assert old <= new


@pytest.mark.parametrize("update", [
    f"DROP GRAPH <{META_GRAPH}>",
    'INSERT DATA { GRAPH <urn:meshkg:graph:history> { <urn:x:forged> <urn:x:by> "admin" } }',
    "CLEAR ALL",
    "DELETE WHERE { GRAPH ?g { ?s <http://www.w3.org/2004/02/skos/core#prefLabel> ?o } }",
])
def test_user_update_cannot_write_meshkg_own_graphs(demo, update):
    """Issue 21 finding 4 on the SPARQL Update path: history, provenance and vocabularies
    are written by meshkg only; the update is refused whole (403) and nothing changes."""
    before = demo.dump(None, "nquads")
    with pytest.raises(ManagedGraph) as err:
        gate.apply_update(demo, update, timeout=30)
    assert err.value.http_status == 403 and "urn:meshkg:graph:" in err.value.message
    assert demo.dump(None, "nquads") == before


def test_update_of_entailments_is_not_kept(demo):
    """Derived graphs follow the asserted data: a user's change to them is not kept."""
    schema = "urn:meshkg:graph:inferred:schema"
    before = demo.dump(schema, "ntriples")
    gate.apply_update(demo, f"DROP GRAPH <{schema}>", timeout=30)
    assert demo.dump(schema, "ntriples") == before


def test_memory_budget_holds_with_rust_backtrace_set(demo, monkeypatch):
    """Issue 21 finding 9: with RUST_BACKTRACE=1 the refusal was a 502 (StoreError)."""
    monkeypatch.setenv("RUST_BACKTRACE", "1")
    before = demo.dump(None, "nquads")
    endless = ("INSERT { GRAPH <urn:x:g> { ?a <urn:x:p> ?f } } "
               "WHERE { GRAPH ?w { ?a ?b ?c } GRAPH ?x { ?d ?e ?f } GRAPH ?y { ?g ?h ?i } }")
    with pytest.raises(OverBudget) as err:
        gate.apply_update(demo, endless, timeout=120, memory_mb=300)
    assert err.value.http_status == 503 and "memory budget of 300 MB" in err.value.message
    assert demo.dump(None, "nquads") == before
