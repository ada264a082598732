"""OxigraphStore: the Store interface over a pyoxigraph store, on disk or in memory."""

from __future__ import annotations

import io
import json
import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from kg.config import Settings
from kg.errors import QuerySyntaxError, StoreError, StoreLocked, UsageError
from kg.formats import rdf_format
from kg.namespaces import STAGING_PREFIX
from kg.sparqlsafety import check_query, check_update, tokens
from kg.store import ntdiff
from kg.store._files import PENDING_FILE, files_fingerprint
from kg.store._workers import collect
from kg.store.base import Result, Store, Term
from kg.store.oxigraph.convert import to_oxigraph, to_rdflib
from kg.store.oxigraph.graphtext import GraphText
from kg.store.oxigraph.updates import UPDATE_FUNCTIONS, data_ops, may_write
from kg.store.sandbox import close_sandbox, evaluate_update, sandbox_for

log = logging.getLogger(__name__)


def _in_graph(quads, graph):
    """The quads, each in `graph`: those parsed into it already are kept as they are
    (making a new Quad costs more than the rest of writing it)."""
    return (q if q.graph_name == graph else ox.Quad(q.subject, q.predicate, q.object, graph)
            for q in quads)


def _graph_list(names: Iterable[str] | None):
    if names is None:
        return None
    return [ox.NamedNode(n) for n in names]


def _declared_dataset(sparql: str) -> tuple[list[str], list[str]] | None:
    """Return the FROM and FROM NAMED graphs a query declares, or None if it declares none.

    The store answers over the union of its graphs by default; pyoxigraph's
    union switch would also override a query's own FROM clauses, so queries
    that declare a dataset get it passed explicitly instead (SPARQL 1.1 §13.2).
    """
    toks = list(tokens(sparql))
    default, named, seen = [], [], False
    for i, (kind, tok, _) in enumerate(toks):
        if kind != "word" or tok.upper() != "FROM":
            continue
        seen = True
        j = i + 1
        is_named = j < len(toks) and toks[j][1].upper() == "NAMED"
        j += is_named
        if j < len(toks) and toks[j][0] == "iri":
            (named if is_named else default).append(toks[j][1][1:-1])
    return (default, named) if seen else None


class OxigraphStore(Store):
    """A pyoxigraph store; `path=None` keeps everything in memory."""

    kind = "embedded"
    keeps_blank_nodes = True

    def __init__(self, path: str | os.PathLike | None = None, *, read_only: bool = False,
                 query_memory_mb: int | None = Settings.query_memory_mb):
        super().__init__()
        #: the address space each budgeted query's worker may take (kg.store.sandbox)
        self.query_memory_mb = query_memory_mb
        self.generation = 0  # the process holding the store's lock is its only writer
        self._graph_counts: tuple[int, dict[str, int]] | None = None
        self.path = None if path is None else Path(path)
        # what the store's files were before it was opened: the kept graph texts are
        # only trusted if they are as the last meshkg process to close the store left them
        before = (files_fingerprint(self.path)
                  if self.path is not None and not read_only and self.path.is_dir() else None)
        try:
            if self.path is None:
                self._store = ox.Store()
            elif read_only:
                self._store = ox.Store.read_only(str(self.path))
            else:
                self.path.mkdir(parents=True, exist_ok=True)
                self._store = ox.Store(str(self.path))
        except OSError as exc:
            text = str(exc)
            if "LOCK" in text or "lock" in text:
                raise StoreLocked(
                    f"the store at {self.path} is in use by another meshkg process "
                    "(stop it, or point MESHKG_STORE at another folder)") from exc
            raise StoreError(f"cannot open the store at {self.path}: {exc}") from exc
        # a read-only store may be opened beside a writing process: it keeps no texts
        self._text = GraphText(None if self.path is None or read_only
                               else self.path / GraphText.FOLDER)
        self._read_only = read_only
        self._text.opened(before)
        if not read_only:
            self._drop_stale_staging()

    # -- reading -----------------------------------------------------------
    def _run(self, sparql: str, bindings, default_graphs, named_graphs):
        kwargs = {}
        if default_graphs is None:
            kwargs["use_default_graph_as_union"] = True
        else:
            kwargs["default_graph"] = _graph_list(default_graphs)
        if named_graphs is not None:
            kwargs["named_graphs"] = _graph_list(named_graphs)
        if bindings:
            try:
                kwargs["substitutions"] = {ox.Variable(k): to_oxigraph(v)
                                           for k, v in bindings.items()}
            except ValueError as exc:
                raise UsageError(f"cannot bind that value: {exc}") from exc
        try:
            return self._store.query(sparql, **kwargs)
        except SyntaxError as exc:
            raise QuerySyntaxError(f"SPARQL syntax error: {exc}") from exc
        except OSError as exc:
            raise StoreError(f"query failed: {exc}") from exc

    def query(self, sparql: str, *, bindings: Mapping[str, Term] | None = None,
              default_graphs: Iterable[str] | None = None,
              named_graphs: Iterable[str] | None = None,
              timeout: float | None = None, max_rows: int | None = None) -> Result:
        check_query(sparql, known_graphs=self._known_graphs)
        if default_graphs is None and named_graphs is None:
            default_graphs, named_graphs = _declared_dataset(sparql) or (None, None)
        if timeout is not None and self.path is not None:
            # pyoxigraph cannot be interrupted: run budgeted queries in killable workers
            return sandbox_for(self).query(
                self, sparql, bindings=bindings, default_graphs=default_graphs,
                named_graphs=named_graphs, timeout=timeout, max_rows=max_rows)
        with self.lock.read():
            res = self._run(sparql, bindings, default_graphs, named_graphs)
            return Result(**collect(res, max_rows, to_rdflib))

    def dump(self, graph: str | None = None, fmt: str = "nquads") -> bytes:
        out = io.BytesIO()
        self.dump_to(out, graph, fmt)
        return out.getvalue()

    def dump_to(self, out: BinaryIO, graph: str | None = None, fmt: str = "nquads") -> None:
        """Write a graph, or the whole store, as one snapshot, streamed as it is read."""
        info = rdf_format(fmt)
        with self.lock.read():
            if graph is None:
                if not info.quads:
                    raise UsageError(f"{info.name} holds one graph; name one, or use trig/nquads")
                quads = (q for q in self._store.quads_for_pattern(None, None, None)
                         if not _is_staging(q.graph_name))
                ox.serialize(quads, out, format=info.ox)
            elif info.name == "ntriples":
                out.write(self._ntriples(graph))
            else:
                g = ox.NamedNode(graph)
                if info.quads:
                    ox.serialize(self._store.quads_for_pattern(None, None, None, g), out,
                                 format=info.ox)
                else:
                    self._store.dump(out, format=info.ox, from_graph=g)

    def _ntriples(self, graph: str) -> bytes:
        """A graph's N-Triples: the text kept when it was written whole, if it is still
        what the graph holds, else read from the store (and kept, if large)."""
        g = ox.NamedNode(graph)
        text = self._text.get(graph, lambda: self._count(g))
        if text is None:
            out = io.BytesIO()
            self._store.dump(out, format=ox.RdfFormat.N_TRIPLES, from_graph=g)
            text = out.getvalue()
            self._text.put(graph, text)
        return text

    def _count(self, g: ox.NamedNode) -> int:
        res = self._store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{g.value}> "
                                "{ ?s ?p ?o } }")
        return int(next(iter(res))["n"].value)

    def graphs(self) -> dict[str, int]:
        # counting every triple takes ≈ 1.4 s at 2M triples, and the gate and validation
        # ask several times per write: keep the counts until the next write
        cached = self._graph_counts
        if cached is not None and cached[0] == self.generation:
            return dict(cached[1])
        with self.lock.read():
            generation = self.generation
            names = [g.value for g in self._store.named_graphs()
                     if isinstance(g, ox.NamedNode) and not g.value.startswith(STAGING_PREFIX)]
            counts: dict[str, int] = {}
            if names:
                res = self._store.query(
                    "SELECT ?g (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
                counts = {s["g"].value: int(s["n"].value) for s in res}
        out = {n: counts.get(n, 0) for n in sorted(names)}
        self._graph_counts = (generation, out)
        return dict(out)

    def graph_names(self) -> list[str]:
        with self.lock.read():
            return sorted(g.value for g in self._store.named_graphs()
                          if isinstance(g, ox.NamedNode)
                          and not g.value.startswith(STAGING_PREFIX))

    def has_graph(self, graph: str) -> bool:
        return self._store.contains_named_graph(ox.NamedNode(graph))

    def _known_graphs(self) -> set[str]:
        return {g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode)}

    # -- writing -----------------------------------------------------------
    def update(self, sparql: str, *, timeout: float | None = None) -> None:
        check_update(sparql)
        with self._write_mutex, self.lock.write():
            self._update(sparql)

    def _update(self, sparql: str, graphs: Iterable[str] | None = None) -> None:
        """Run an update; `graphs` are the named graphs it may change, when the caller
        knows them (otherwise the text tells, or every kept N-Triples text is dropped)."""
        self.generation += 1
        self._text.forget(may_write(sparql) if graphs is None else graphs)
        try:
            self._store.update(sparql, custom_functions=UPDATE_FUNCTIONS)
        except SyntaxError as exc:
            raise QuerySyntaxError(f"SPARQL update syntax error: {exc}") from exc
        except OSError as exc:
            raise StoreError(f"update failed, nothing was changed: {exc}") from exc

    def evaluate_update(self, sparql: str, *, default_graph: str,
                        skip_prefixes: tuple[str, ...] = (), timeout: float | None = None,
                        memory_mb: int | None = None) -> dict[str, bytes]:
        """Evaluate an update on a checkpoint of the on-disk store (hard links: no copy
        of the data), so its blank nodes are the store's own and only the graphs the
        update changes come back; a store in memory is copied by dump."""
        if self.path is None:
            return super().evaluate_update(sparql, default_graph=default_graph,
                                           skip_prefixes=skip_prefixes, timeout=timeout,
                                           memory_mb=memory_mb)
        import shutil

        sandbox = sandbox_for(self)
        path = sandbox.checkpoint(self)
        try:
            return evaluate_update(sparql, default_graph=default_graph, checkpoint=str(path),
                                   skip_prefixes=(*skip_prefixes, STAGING_PREFIX),
                                   timeout=timeout, memory_mb=memory_mb,
                                   may_change=self.may_write(sparql),
                                   worker=sandbox.update_worker())
        finally:
            shutil.rmtree(path, ignore_errors=True)

    def may_write(self, sparql: str) -> set[str] | None:
        return may_write(sparql)

    #: a write of at least this many quads into graphs that do not exist yet goes through
    #: pyoxigraph's bulk loader (≈ 4× faster than one transaction) behind a pending marker
    BULK_MIN = 50_000
    #: a replaced graph of at least this many triples is rewritten by its difference
    DELTA_MIN = 5_000

    def write_quads(self, replace: Mapping[str, list], add: list | None = None,
                    drop: Iterable[str] = ()) -> None:
        """Replace named graphs by quads, add quads and drop graphs in one atomic step.

        When nothing existing is replaced or dropped, all quads go in with one
        `extend` (pyoxigraph applies it as one transaction), or for a large load into
        new graphs with the bulk loader, which is not transactional: a marker file
        names the graphs until the load is flushed, and a store opened with the marker
        still there drops them (they did not exist before). Otherwise one SPARQL
        update drops the old graphs and inserts the new triples (or, for a large
        graph, deletes and inserts only the lines that differ), which pyoxigraph also
        applies atomically.
        """
        add = list(add or [])
        drop = list(drop)
        by_graph: dict[str, list] = {}
        for q in add:
            by_graph.setdefault(q.graph_name.value, []).append(q)
        touched = {*replace, *drop, *by_graph}
        with self._write_mutex, self.lock.write():
            try:
                self.generation += 1
                existing = [g for g in list(replace) + drop
                            if self._store.contains_named_graph(ox.NamedNode(g))]
                # the text of a large replaced graph: diffed against the old one and kept
                texts = {g: ntdiff.ntriples(qs) for g, qs in replace.items()
                         if len(qs) >= min(self.DELTA_MIN, GraphText.MIN_TRIPLES)}
                if not existing:
                    self._text.forget(touched)
                    self._write_new(replace, add)
                else:
                    ops = [f"DROP SILENT GRAPH <{g}>" for g in drop]
                    for g, qs in replace.items():
                        ops += self._replace_ops(g, qs, g in existing, texts.get(g))
                    for g, qs in by_graph.items():
                        ops += data_ops("INSERT", g, ntdiff.ntriples(qs).splitlines())
                    self._update(" ;\n".join(ops), touched)
            except OSError as exc:
                raise StoreError(f"write failed, nothing was changed: {exc}") from exc
            for g, text in texts.items():
                if g not in by_graph:
                    self._text.put(g, text)

    def _write_new(self, replace: Mapping[str, list], add: list) -> None:
        quads = [q for g, qs in replace.items() for q in _in_graph(qs, ox.NamedNode(g))] + add
        graphs = sorted(set(replace) | {q.graph_name.value for q in add
                                        if isinstance(q.graph_name, ox.NamedNode)})
        if self.path is None or add or len(quads) < self.BULK_MIN:
            self._store.extend(quads)
        else:
            marker = self.path / PENDING_FILE
            tmp = marker.with_suffix(".tmp")
            tmp.write_text(json.dumps(graphs), encoding="utf-8")
            os.replace(tmp, marker)
            try:
                self._store.bulk_extend(quads)
                self._store.flush()
            except BaseException:
                for g in graphs:
                    self._drop_silently(g)
                self._store.flush()
                raise
            finally:
                marker.unlink(missing_ok=True)
        for g in replace:  # an empty replacement still names a graph
            self._store.add_graph(ox.NamedNode(g))

    def write_new_graphs(self, batches: Iterable[tuple[str, list]]) -> dict[str, int]:
        if self.path is None:
            return super().write_new_graphs(batches)
        marker = self.path / PENDING_FILE
        written: dict[str, int] = {}
        with self._write_mutex, self.lock.write():
            self.generation += 1
            try:
                for graph, quads in batches:
                    g = ox.NamedNode(graph)
                    if graph in written or self._store.contains_named_graph(g):
                        raise UsageError(f"<{graph}> exists already: it cannot be bulk-loaded")
                    # the marker names every graph before any of its quads is written
                    tmp = marker.with_suffix(".tmp")
                    tmp.write_text(json.dumps(sorted([*written, graph])), encoding="utf-8")
                    os.replace(tmp, marker)
                    written[graph] = len(quads)
                    self._text.forget([graph])
                    self._store.bulk_extend(_in_graph(quads, g))
                    self._store.add_graph(g)
                self._store.flush()
            except BaseException as exc:
                for graph in written:
                    self._drop_silently(graph)
                self._store.flush()
                marker.unlink(missing_ok=True)
                if isinstance(exc, OSError):
                    raise StoreError(f"write failed, nothing was changed: {exc}") from exc
                raise
            marker.unlink(missing_ok=True)
        return written

    def _replace_ops(self, graph: str, quads: list, exists: bool,
                     new: bytes | None = None) -> list[str]:
        """SPARQL operations that make a graph hold exactly `quads`, blank nodes as they
        are (a file's blank nodes keep their labels from one load to the next, so a
        re-loaded file changes only the lines that differ: kg.loading)."""
        if new is None:
            new = ntdiff.ntriples(quads)
        if not exists or len(quads) < self.DELTA_MIN:
            return [f"DROP SILENT GRAPH <{graph}>", *data_ops("INSERT", graph,
                                                               new.splitlines())]
        removed, added = ntdiff.changed_lines(self._ntriples(graph), new)
        ops = data_ops("DELETE", graph, removed) + data_ops("INSERT", graph, added)
        return ops or [f"DELETE DATA {{ GRAPH <{graph}> {{ }} }}"]

    def drop(self, graph: str) -> None:
        with self._write_mutex, self.lock.write():
            self._update(f"DROP SILENT GRAPH <{graph}>", [graph])

    def _drop_silently(self, graph: str) -> None:
        g = ox.NamedNode(graph)
        try:
            self._text.forget([graph])
        except StoreError as exc:  # in clean-up: an entry left is checked by its count
            log.warning("%s", exc)
        try:
            if self._store.contains_named_graph(g):
                self._store.remove_graph(g)
        except OSError:
            log.warning("could not drop staging graph %s", graph)

    def _drop_stale_staging(self) -> None:
        for g in list(self._store.named_graphs()):
            if isinstance(g, ox.NamedNode) and g.value.startswith(STAGING_PREFIX):
                self._store.remove_graph(g)
        marker = None if self.path is None else self.path / PENDING_FILE
        if marker is not None and marker.exists():
            # a bulk load into new graphs did not finish: drop what it wrote
            try:
                graphs = json.loads(marker.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                graphs = []
            for g in graphs:
                log.warning("dropping %s: its load was interrupted", g)
                self._drop_silently(g)
            self._store.flush()
            marker.unlink(missing_ok=True)

    def flush(self) -> None:
        """Write pending data to disk."""
        if self.path is not None:
            self._store.flush()

    def start_workers(self) -> None:
        """Start the query workers of an on-disk store (kg.store.sandbox) now."""
        if self.path is not None:
            sandbox_for(self).start()

    def close(self) -> None:
        if self._store is None:
            return
        close_sandbox(self)  # its workers read checkpoints of this store
        if self.path is not None and not self._read_only:  # a read-only store cannot flush
            try:
                self._store.flush()
            except OSError:
                pass
        self._store = None  # the last reference: RocksDB closes here
        if self.path is not None and not self._read_only:
            try:
                self._text.closed(files_fingerprint(self.path))
            except OSError as exc:  # no record: the next open trusts no kept text
                log.warning("could not record the store's files at close: %s", exc)

    @property
    def raw(self) -> ox.Store:
        """The pyoxigraph store, for code that must stream (bulk loads, benchmarks)."""
        return self._store


def _is_staging(g) -> bool:
    return isinstance(g, ox.NamedNode) and g.value.startswith(STAGING_PREFIX)
