"""Copy every named graph from one store to another, in batches, resumably.

Each graph is written to a staging graph of the target in batches of
`batch_triples`, then moved into place by one update that also records it as
finished in MIGRATION_GRAPH. A re-run skips graphs recorded as finished whose
target count matches the source, and redoes the rest; the record graph is dropped
once every graph is copied.
"""

from __future__ import annotations

import sys

import pyoxigraph as ox
from rdflib import URIRef

from kg.errors import StoreError, UsageError
from kg.namespaces import GRAPH_PREFIX, STAGING_PREFIX
from kg.store.base import Store
from kg.store.remote import chunk_quads, sparql_term, staging_name

MIGRATION_GRAPH = GRAPH_PREFIX + "migration"
_COPIED = "urn:meshkg:migration:copiedTriples"


def _finished(target: Store) -> dict[str, int]:
    res = target.query(f"SELECT ?g ?n WHERE {{ GRAPH <{MIGRATION_GRAPH}> "
                       f"{{ ?g <{_COPIED}> ?n }} }}")
    return {str(r["g"]): int(r["n"]) for r in res}


def _copy_graph(source: Store, target: Store, graph: str, batch_triples: int,
                advance) -> int:
    data = source.dump(graph, "ntriples")
    stage = ox.NamedNode(staging_name())
    quads = [ox.Quad(t.subject, t.predicate, t.object, stage)
             for t in (q.triple for q in ox.parse(data, format=ox.RdfFormat.N_TRIPLES))]
    try:
        for batch in chunk_quads(quads, batch_triples):  # blank-node components stay whole
            target.write_quads({}, add=batch)
            advance(len(batch))
        # one update moves the graph into place and records it
        name, record = sparql_term(URIRef(graph)), f"GRAPH <{MIGRATION_GRAPH}>"
        target.update(f"MOVE SILENT GRAPH <{stage.value}> TO GRAPH {name} ;\n"
                      f"DELETE WHERE {{ {record} {{ {name} <{_COPIED}> ?n }} }} ;\n"
                      f"INSERT DATA {{ {record} {{ {name} <{_COPIED}> {len(quads)} }} }}")
        if not quads:  # nothing staged: MOVE SILENT left the old graph in place
            target.drop(graph)
    finally:
        target.drop(stage.value)
    return len(quads)


def migrate(source: Store, target: Store, batch_triples: int = 50_000,
            progress: bool = True) -> dict[str, int]:
    """Copy all named graphs (staging excepted) from source to target; return their counts.

    Resumable: graphs a previous, interrupted run finished are not copied again.
    """
    if batch_triples < 1:
        raise UsageError("batch_triples must be at least 1")
    wanted = {g: n for g, n in source.graphs().items()
              if not g.startswith(STAGING_PREFIX) and g != MIGRATION_GRAPH}
    present = target.graphs()
    done = _finished(target)
    todo = {g: n for g, n in wanted.items() if not (done.get(g) == n == present.get(g))}
    bar = _progress(progress, sum(todo.values()))
    copied = {g: n for g, n in wanted.items() if g not in todo}
    with bar as (advance, describe):
        for graph, _ in sorted(todo.items()):
            describe(graph)
            copied[graph] = _copy_graph(source, target, graph, batch_triples, advance)
    after = target.graphs()
    wrong = {g: (n, after.get(g, 0)) for g, n in copied.items() if after.get(g, 0) != n}
    if wrong:
        detail = ", ".join(f"<{g}>: {a:,} in source, {b:,} in target"
                           for g, (a, b) in sorted(wrong.items()))
        raise StoreError(f"migration incomplete, run it again to continue: {detail}")
    target.drop(MIGRATION_GRAPH)
    return dict(sorted(copied.items()))


class _progress:
    """A rich progress bar on a terminal; silent otherwise."""

    def __init__(self, enabled: bool, total: int):
        self.enabled = enabled and sys.stderr.isatty()
        self.total = total

    def __enter__(self):
        if not self.enabled:
            return (lambda n: None), (lambda g: None)
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )
        self._bar = Progress(TextColumn("{task.description}"), BarColumn(),
                             MofNCompleteColumn(), TimeRemainingColumn(), transient=False)
        self._bar.__enter__()
        task = self._bar.add_task("migrating", total=self.total)
        return ((lambda n: self._bar.advance(task, n)),
                (lambda g: self._bar.update(task, description=f"<{g}>")))

    def __exit__(self, *exc):
        if self.enabled:
            self._bar.__exit__(*exc)


def migrate_command(settings, to_url: str | None = None,
                    from_url: str | None = None) -> dict[str, int]:
    """Run `meshkg migrate`: copy the configured store to `to_url`, or `from_url` into it."""
    from kg.store import open_store
    if (to_url is None) == (from_url is None):
        raise UsageError("name exactly one of --to URL or --from URL")
    other = settings.replace(store=to_url or from_url)
    here = open_store(settings)
    try:
        there = open_store(other)
        try:
            if to_url is not None:
                return migrate(here, there)
            return migrate(there, here)
        finally:
            there.close()
    finally:
        here.close()


def recover_command(settings) -> dict[str, list[str]]:
    """Run `meshkg recover`: finish interrupted writes and drop staging graphs on a server.

    The embedded store needs none: it drops its staging graphs whenever it opens.
    """
    from kg.store import open_store
    from kg.store.remote import RemoteStore
    store = open_store(settings)
    try:
        if not isinstance(store, RemoteStore):
            return {"finished": [], "dropped": []}
        return store.recover()
    finally:
        store.close()
