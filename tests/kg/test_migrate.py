"""migrate(): embedded → server → embedded round trips, and resuming after an interruption."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from rdflib.compare import isomorphic

from kg.errors import UsageError
from kg.migrate import MIGRATION_GRAPH, migrate, migrate_command

P = ox.NamedNode("urn:test:p")


def seed(store) -> dict[str, int]:
    graphs = {}
    for k, n in enumerate((7, 30, 1)):
        g = f"urn:test:graph:{k}"
        graphs[g] = [ox.Quad(ox.NamedNode(f"urn:test:s{i}"), P,
                             ox.Literal(f"v{i} é", language="fr"), ox.NamedNode(g))
                     for i in range(n)]
    chain = [ox.BlankNode(f"b{i}") for i in range(12)]
    g = "urn:test:graph:blank"
    graphs[g] = [ox.Quad(a, P, b, ox.NamedNode(g)) for a, b in zip(chain, chain[1:], strict=False)]
    store.write_quads(graphs)
    return {g: len(q) for g, q in graphs.items()}


@pytest.mark.parametrize("server", [
    pytest.param("oxigraph-server", marks=pytest.mark.oxigraph_server),
    pytest.param("virtuoso", marks=pytest.mark.virtuoso),
])
def test_round_trip_through_a_server_keeps_graphs_and_counts(store_factory, server):
    source = store_factory("embedded")
    counts = seed(source)
    remote = store_factory(server)
    assert migrate(source, remote, batch_triples=5, progress=False) == counts
    assert remote.graphs() == counts
    back = store_factory("embedded")
    assert migrate(remote, back, batch_triples=8, progress=False) == counts
    assert back.graphs() == counts
    for g in counts:
        assert isomorphic(source.graph(g), back.graph(g)), g


class _Interrupted(Exception):
    pass


def test_interrupted_migration_resumes_where_it_stopped(store_factory, monkeypatch):
    source = store_factory("embedded")
    counts = seed(source)
    target = store_factory("embedded")
    real_update = type(target).update
    calls = []

    def failing_update(self, sparql, **kw):
        calls.append(sparql)
        if len(calls) == 3:  # the third graph's final MOVE
            raise _Interrupted
        return real_update(self, sparql, **kw)

    monkeypatch.setattr(type(target), "update", failing_update)
    with pytest.raises(_Interrupted):
        migrate(source, target, batch_triples=4, progress=False)
    monkeypatch.undo()
    assert target.has_graph(MIGRATION_GRAPH)
    halfway = target.graphs()
    assert len([g for g in halfway if g in counts]) == 2

    copied_again = []
    real_dump = type(source).dump
    monkeypatch.setattr(type(source), "dump",
                        lambda self, g=None, fmt="nquads": copied_again.append(g)
                        or real_dump(self, g, fmt))
    assert migrate(source, target, batch_triples=4, progress=False) == counts
    assert target.graphs() == counts  # the record graph is gone once finished
    assert len(copied_again) == 2  # only the graphs the first run did not finish


def test_changed_graph_is_copied_again(store_factory):
    source = store_factory("embedded")
    seed(source)
    target = store_factory("embedded")
    migrate(source, target, progress=False)
    g = "urn:test:graph:1"
    source.write_quads({g: [ox.Quad(ox.NamedNode("urn:test:new"), P, ox.Literal("x"),
                                    ox.NamedNode(g))]})
    assert migrate(source, target, progress=False)[g] == 1
    assert target.graphs()[g] == 1
    assert isomorphic(source.graph(g), target.graph(g))


def test_migrate_command_needs_one_direction(settings):
    with pytest.raises(UsageError):
        migrate_command(settings)
    with pytest.raises(UsageError):
        migrate_command(settings, to_url="memory", from_url="memory")


def test_migrate_command_copies_to_a_folder(settings, tmp_path):
    from kg.store.oxigraph import OxigraphStore
    with OxigraphStore(settings.store) as s:
        counts = seed(s)
    assert migrate_command(settings, to_url=str(tmp_path / "copy")) == counts
    with OxigraphStore(tmp_path / "copy") as copy:
        assert copy.graphs() == counts
