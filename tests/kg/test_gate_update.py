"""The gate's SPARQL Update path (kg.gate.apply_update) on the embedded demo store.

An update is evaluated on a checkpoint of the store, so its blank nodes are the store's
own: a write touches only the graphs it changes, a no-op changes nothing, and
meshkg's own graphs cannot be written by a user's update.
"""

from __future__ import annotations

import shutil

import pytest

from kg import curation, gate
from kg.errors import ManagedGraph, OverBudget, ShapeViolation
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


# -- which graphs an update changed: found without reading every graph twice -------------
CUSTOMER = "https://demo.meshkg.org/graph/domain-customer"
MASTER = "https://demo.meshkg.org/id/product/customer-master"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
OWNER = "https://www.omg.org/spec/DPROD/dataProductOwner"
VCARD_FN = "http://www.w3.org/2006/vcard/ns#fn"
CONTACT = "http://www.w3.org/ns/dcat#contactPoint"


@pytest.mark.parametrize("update", [
    f"DELETE {{ GRAPH <{CUSTOMER}> {{ <{MASTER}> <{LABEL}> ?old }} }} "
    f'INSERT {{ GRAPH <{CUSTOMER}> {{ <{MASTER}> <{LABEL}> "Customer golden record" }} }} '
    f"WHERE {{ GRAPH <{CUSTOMER}> {{ <{MASTER}> <{LABEL}> ?old }} }}",
    f"WITH <{CUSTOMER}> DELETE {{ <{MASTER}> <{LABEL}> ?old }} "
    f'INSERT {{ <{MASTER}> <{LABEL}> "Customer golden record" }} '
    f"WHERE {{ <{MASTER}> <{LABEL}> ?old }}",
    # a graph variable: the text does not tell which graphs it writes
    f"DELETE {{ GRAPH ?g {{ <{MASTER}> <{LABEL}> ?old }} }} "
    f'INSERT {{ GRAPH ?g {{ <{MASTER}> <{LABEL}> "Customer golden record" }} }} '
    f"WHERE {{ GRAPH ?g {{ <{MASTER}> <{LABEL}> ?old }} }}",
    # as the web app sends it: after a BASE
    "BASE <https://demo.meshkg.org/>\n"
    f"DELETE {{ GRAPH <{CUSTOMER}> {{ <{MASTER}> <{LABEL}> ?old }} }} "
    f'INSERT {{ GRAPH <{CUSTOMER}> {{ <{MASTER}> <{LABEL}> "Customer golden record" }} }} '
    f"WHERE {{ GRAPH <{CUSTOMER}> {{ <{MASTER}> <{LABEL}> ?old }} }}",
    # a graph named relative to the BASE
    "BASE <https://demo.meshkg.org/graph/>\nDELETE { GRAPH <domain-customer> "
    f"{{ <{MASTER}> <{LABEL}> ?old }} }} INSERT {{ GRAPH <domain-customer> {{ <{MASTER}> "
    f'<{LABEL}> "Customer golden record" }} }} '
    f"WHERE {{ GRAPH <domain-customer> {{ <{MASTER}> <{LABEL}> ?old }} }}",
], ids=["graph", "with", "graph-variable", "base", "relative-to-base"])
def test_delete_insert_changing_a_value_in_place_is_written_and_validated(demo, update):
    """A change that keeps the graph's triple count is still a change: written,
    validated and re-derived, and no other graph is touched."""
    before = _asserted_text(demo)
    count = demo.graphs()[CUSTOMER]
    report = gate.apply_update(demo, update, timeout=30)
    assert MASTER in report.checked
    assert demo.graphs()[CUSTOMER] == count
    assert demo.ask(f'ASK {{ GRAPH <{CUSTOMER}> {{ <{MASTER}> <{LABEL}> '
                    '"Customer golden record" } }')
    assert not demo.ask(f'ASK {{ <{MASTER}> <{LABEL}> "Customer master" }}')
    after = _asserted_text(demo)
    assert [g for g in before if after.get(g) != before[g]] == [CUSTOMER]


def test_delete_insert_breaking_a_shape_in_place_is_refused(demo):
    """The same-size change is gated: an owner written as text refuses the update."""
    before = demo.dump(None, "nquads")
    with pytest.raises(ShapeViolation) as err:
        gate.apply_update(
            demo, f"DELETE {{ GRAPH <{CUSTOMER}> {{ <{MASTER}> <{OWNER}> ?o }} }} "
                  f'INSERT {{ GRAPH <{CUSTOMER}> {{ <{MASTER}> <{OWNER}> "Miriam" }} }} '
                  f"WHERE {{ GRAPH <{CUSTOMER}> {{ <{MASTER}> <{OWNER}> ?o }} }}", timeout=30)
    assert MASTER in {r.focus for r in err.value.report.results if r.severity == "Violation"}
    assert demo.dump(None, "nquads") == before


def test_change_inside_a_blank_node_in_place_keeps_the_node(demo):
    """A value of a blank node changed in place: one line out, one in, same node."""
    old = set(demo.dump(CUSTOMER, "ntriples").splitlines())
    gate.apply_update(
        demo, f"DELETE {{ GRAPH <{CUSTOMER}> {{ ?c <{VCARD_FN}> ?n }} }} "
              f'INSERT {{ GRAPH <{CUSTOMER}> {{ ?c <{VCARD_FN}> "Customer data team" }} }} '
              f"WHERE {{ GRAPH <{CUSTOMER}> {{ <{MASTER}> <{CONTACT}> ?c . "
              f"?c <{VCARD_FN}> ?n }} }}", timeout=30)
    new = set(demo.dump(CUSTOMER, "ntriples").splitlines())
    (removed,), (added,) = old - new, new - old
    assert removed.startswith(b"_:") and b'"Customer domain team"' in removed
    assert added == removed.replace(b'"Customer domain team"', b'"Customer data team"')


def test_default_graph_changed_in_place_is_written(demo):
    gate.apply_update(demo, 'INSERT DATA { <urn:x:a> <urn:x:p> "1" }', validate=False,
                      timeout=30)
    gate.apply_update(demo, 'DELETE { ?s <urn:x:p> "1" } INSERT { ?s <urn:x:p> "2" } '
                            'WHERE { ?s <urn:x:p> "1" }', validate=False, timeout=30)
    assert demo.dump(gate.UPDATE_DEFAULT_GRAPH, "ntriples") == b'<urn:x:a> <urn:x:p> "2" .\n'


@pytest.mark.parametrize("where", ["disk", "memory"])
def test_update_naming_the_default_graph_writes_it(where, tmp_path):
    """Updates without GRAPH land in urn:meshkg:graph:default, and reads show that graph
    by its name; an update naming it was answered as done and its change was lost."""
    store = OxigraphStore(tmp_path / "store" if where == "disk" else None)
    try:
        home = gate.UPDATE_DEFAULT_GRAPH
        gate.apply_update(store, 'INSERT DATA { <urn:x:a> <urn:x:p> "1" }', validate=False,
                          timeout=30)
        gate.apply_update(store, f'INSERT DATA {{ GRAPH <{home}> {{ <urn:x:b> <urn:x:p> "2" }} }}',
                          validate=False, timeout=30)
        assert sorted(store.dump(home, "ntriples").splitlines()) == [
            b'<urn:x:a> <urn:x:p> "1" .', b'<urn:x:b> <urn:x:p> "2" .']
        # one request changing it both ways: by its name and as the default graph
        gate.apply_update(store, f'DELETE DATA {{ GRAPH <{home}> {{ <urn:x:a> <urn:x:p> "1" }} }} ;'
                                 ' INSERT DATA { <urn:x:c> <urn:x:p> "3" }',
                          validate=False, timeout=30)
        assert sorted(store.dump(home, "ntriples").splitlines()) == [
            b'<urn:x:b> <urn:x:p> "2" .', b'<urn:x:c> <urn:x:p> "3" .']
        gate.apply_update(store, f"DROP GRAPH <{home}>", validate=False, timeout=30)
        assert not store.has_graph(home)
    finally:
        close_sandbox(store)
        store.close()


def test_a_graph_the_text_was_not_read_as_writing_is_still_found(demo, monkeypatch, caplog):
    """The second net: were the update's text misread (here: as writing no graph), a
    graph it changed in size is still found, written, and named in a warning."""
    monkeypatch.setattr(demo, "may_write", lambda sparql: set())
    note = "urn:meshkg:graph:curated:note"
    gate.apply_update(demo, f"INSERT DATA {{ GRAPH <{CUSTOMER}> {{ <{MASTER}> <{LABEL}> "
                            f'"Kundenstamm"@de }} }} ; INSERT DATA {{ GRAPH <{note}> '
                            '{ <urn:x:n> <urn:x:p> "new" } }', timeout=30)
    assert demo.ask(f'ASK {{ GRAPH <{CUSTOMER}> {{ <{MASTER}> <{LABEL}> "Kundenstamm"@de }} }}')
    assert demo.has_graph(note)
    assert CUSTOMER in caplog.text and note in caplog.text
