"""migrate(): embedded → server → embedded round trips, resuming after an interruption on
every backend, and `meshkg migrate --to/--from` against each server with its progress bar."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import threading

import pyoxigraph as ox
import pytest
from rdflib.compare import isomorphic

from kg.errors import UsageError
from kg.migrate import MIGRATION_GRAPH, migrate, migrate_command
from kg.store import open_store
from kg.store.oxigraph import OxigraphStore
from tests.conftest import BACKENDS, SERVER_BACKENDS, server_env, server_settings, server_touched
from tests.kg._faults import cut_updates_containing

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


@pytest.mark.parametrize("server", SERVER_BACKENDS)
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


@pytest.mark.parametrize("backend", BACKENDS)
def test_interrupted_migration_resumes_where_it_stopped(store_factory, monkeypatch, backend):
    source = store_factory("embedded")
    counts = seed(source)
    target = store_factory(backend)
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
    with OxigraphStore(settings.store) as s:
        counts = seed(s)
    assert migrate_command(settings, to_url=str(tmp_path / "copy")) == counts
    with OxigraphStore(tmp_path / "copy") as copy:
        assert copy.graphs() == counts


def _in_a_terminal(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run a command with a pseudo-terminal as stdout and stderr; return code and output."""
    parent, child = pty.openpty()
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=child, stderr=child,
                            env=env)
    os.close(child)
    chunks: list[bytes] = []

    def read():
        while True:
            try:
                data = os.read(parent, 65536)
            except OSError:  # the terminal closed with the process
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=read)
    reader.start()
    code = proc.wait(timeout=300)
    reader.join(timeout=30)
    os.close(parent)
    return code, b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.parametrize("server", SERVER_BACKENDS)
def test_migrate_command_to_and_from_a_server(store_factory, tmp_path, server):
    """`meshkg migrate --to URL` shows a progress bar on a terminal, `--from URL` piped
    stays quiet; named graphs, blank nodes and counts survive both ways."""
    store_factory(server)  # an empty server
    source = tmp_path / "source"
    with OxigraphStore(source) as s:
        counts = seed(s)
    url = server_env(server)["MESHKG_STORE"]
    env = {**os.environ, **server_env(server), "MESHKG_STORE": str(source)}
    server_touched(server)
    code, out = _in_a_terminal([sys.executable, "-m", "kg.cli", "migrate", "--to", url], env)
    assert code == 0, out
    assert "━" in out and "<urn:test:graph:" in out  # rich's bar, naming the graph
    assert f"copied 4 graphs, {sum(counts.values())} triples" in out
    with open_store(server_settings(server)) as remote:
        assert remote.graphs() == counts
    back = tmp_path / "back"
    proc = subprocess.run([sys.executable, "-m", "kg.cli", "migrate", "--from", url],
                          env={**env, "MESHKG_STORE": str(back)}, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "━" not in proc.stderr and "\x1b[" not in proc.stderr
    with OxigraphStore(source) as a, OxigraphStore(back) as b:
        assert b.graphs() == counts
        for g in counts:
            assert isomorphic(a.graph(g), b.graph(g)), g


@pytest.mark.virtuoso
def test_recover_command_finishes_an_interrupted_write(store_factory, monkeypatch):
    """`meshkg recover` rolls a journaled write forward (docs/remote.md, Writes)."""
    from kg.errors import StoreError
    store = store_factory("virtuoso")
    counts = seed(store)
    cut_updates_containing(monkeypatch, "ADD SILENT GRAPH")
    with pytest.raises(StoreError, match="finished by the next write"):
        seed(store)  # the same graphs again: each is a replace
    monkeypatch.undo()
    assert store.graphs() != counts
    server_touched("virtuoso")
    proc = subprocess.run([sys.executable, "-m", "kg.cli", "recover"],
                          env={**os.environ, **server_env("virtuoso")}, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "finished 1 interrupted write(s)" in proc.stdout
    assert store.graphs() == counts
