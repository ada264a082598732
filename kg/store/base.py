"""The one narrow Store interface every backend implements.

It speaks SPARQL strings and serialized RDF only: query, update, write a
graph, dump a graph, list graphs, drop. Validation and inference pull the
graphs they need as rdflib graphs and write results back through it, so they
run unchanged on any backend.
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from typing import BinaryIO

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef

from kg.errors import UsageError
from kg.formats import rdf_format
from kg.store.result import Result, Term


class RWLock:
    """Many readers or one writer; writers keep staged changes invisible."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False

    @contextmanager
    def read(self):
        with self._cond:
            while self._writer:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def write(self):
        with self._cond:
            while self._writer or self._readers:
                self._cond.wait()
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


class Store(abc.ABC):
    """A quad store reachable by SPARQL; data lives in named graphs."""

    #: a short name for messages ("embedded", "sparql")
    kind = "abstract"
    #: a blank node read from a query names the same node when written back
    keeps_blank_nodes = False

    def __init__(self) -> None:
        self.lock = RWLock()
        self._write_mutex = threading.RLock()
        #: bumped by every write through this object, so readers can cache derived views;
        #: None where writes may come from elsewhere (a shared server): then nothing caches
        self.generation: int | None = None

    # -- reading -----------------------------------------------------------
    @abc.abstractmethod
    def query(self, sparql: str, *, bindings: Mapping[str, Term] | None = None,
              default_graphs: Iterable[str] | None = None,
              named_graphs: Iterable[str] | None = None,
              timeout: float | None = None, max_rows: int | None = None) -> Result:
        """Run a SPARQL query; the default graph is the union of all graphs."""

    @abc.abstractmethod
    def dump(self, graph: str | None = None, fmt: str = "nquads") -> bytes:
        """Serialize one named graph, or every graph when graph is None."""

    def dump_to(self, out: BinaryIO, graph: str | None = None, fmt: str = "nquads") -> None:
        """Write what `dump` returns to a binary file, never holding the whole store.

        Every graph is read one named graph at a time (`meshkg export` of 100,000
        products is 25M quads: as one `dump` it needed more memory than the store);
        the serializer writes as it reads, so JSON-LD and TriG documents stay whole.
        A store whose graphs change meanwhile may be written graph by graph as it was
        at different moments; the embedded store writes one snapshot.
        """
        info = rdf_format(fmt)
        if graph is not None:
            out.write(self.dump(graph, fmt))
            return
        if not info.quads:
            raise UsageError(f"{info.name} holds one graph; name one, or use trig/nquads")

        def quads():
            for name in self.graph_names():
                g = ox.NamedNode(name)
                data = self.dump(name, "ntriples")
                for t in ox.parse(data, format=ox.RdfFormat.N_TRIPLES):
                    yield ox.Quad(t.subject, t.predicate, t.object, g)
                del data

        ox.serialize(quads(), out, format=info.ox)

    @abc.abstractmethod
    def graphs(self) -> dict[str, int]:
        """Return each named graph with its triple count."""

    def graph_names(self) -> list[str]:
        """Return the named graphs, sorted (cheaper than graphs() where counts cost)."""
        return sorted(self.graphs())

    def has_graph(self, graph: str) -> bool:
        """Tell whether a named graph exists."""
        return graph in self.graphs()

    # -- writing -----------------------------------------------------------
    @contextmanager
    def writing(self):
        """Hold this process's write turn for a block: every other write through this
        store object waits until it ends, so a read-check-write sequence (evaluate an
        update, gate it, write it) is one step and cannot undo a write beside it."""
        with self._write_mutex:
            yield

    @abc.abstractmethod
    def update(self, sparql: str, *, timeout: float | None = None) -> None:
        """Run a SPARQL update atomically."""

    def evaluate_update(self, sparql: str, *, default_graph: str,
                        skip_prefixes: tuple[str, ...] = (), timeout: float | None = None,
                        memory_mb: int | None = None) -> dict[str, bytes]:
        """Evaluate an update on a private copy of the store, within its budgets, and
        return the N-Triples of every named graph it would change (b"": emptied or
        dropped); the store itself is not written. `default_graph` stands for the
        update's default graph; graphs under `skip_prefixes` are neither copied nor
        compared. Here the graphs are copied by dump; a backend may do better."""
        from kg.store.sandbox import evaluate_update
        graphs = {g: self.dump(g, "ntriples") for g in self.graph_names()
                  if g != default_graph and not g.startswith(skip_prefixes)}
        default = self.dump(default_graph, "ntriples") if self.has_graph(default_graph) else b""
        return evaluate_update(sparql, default_graph=default_graph, graphs=graphs,
                               default=default, skip_prefixes=skip_prefixes,
                               timeout=timeout, memory_mb=memory_mb,
                               may_change=self.may_write(sparql))

    def may_write(self, sparql: str) -> set[str] | None:
        """The named graphs an update may change, as far as its text tells (None: any
        graph); `evaluate_update` compares only those line by line. Nothing here."""
        return None

    @abc.abstractmethod
    def write_quads(self, replace: Mapping[str, list], add: list | None = None,
                    drop: Iterable[str] = ()) -> None:
        """Replace graphs by pyoxigraph quads, add quads and drop graphs, as one write."""

    def put_graph(self, graph: str, data: bytes, fmt: str = "nquads") -> int:
        """Replace a named graph by serialized triples atomically; return the count."""
        from kg.loading import parse_bytes
        parsed = parse_bytes(data, fmt, source=f"<{graph}>", graph=graph)
        self.write_quads({graph: parsed.quads})
        return parsed.count

    def post_graph(self, graph: str, data: bytes, fmt: str = "nquads") -> int:
        """Add serialized triples to a named graph atomically; return the count."""
        from kg.loading import parse_bytes
        parsed = parse_bytes(data, fmt, source=f"<{graph}>", graph=graph)
        self.write_quads({}, add=parsed.quads)
        return parsed.count

    def write_new_graphs(self, batches: Iterable[tuple[str, list]]) -> dict[str, int]:
        """Write batches of quads into graphs that do not exist yet, all or nothing.

        Batches are consumed one at a time (a caller can parse file by file and never
        hold everything); if one fails, or names a graph that exists, the graphs written
        so far are dropped and the error raised. Return the triple count per graph."""
        written: dict[str, int] = {}
        try:
            for graph, quads in batches:
                if graph in written or self.has_graph(graph):
                    raise UsageError(f"<{graph}> exists already: it cannot be bulk-loaded")
                self.write_quads({graph: quads})
                written[graph] = len(quads)
        except BaseException:
            for graph in written:
                self.drop(graph)
            raise
        return written

    @abc.abstractmethod
    def drop(self, graph: str) -> None:
        """Remove a named graph and its triples."""

    def start_workers(self) -> None:  # noqa: B027 - a backend without workers does nothing
        """Start what evaluates budgeted queries now rather than at the first query (a
        server warms up before its first request); nothing here."""

    def close(self) -> None:
        """Release the store."""
        self.closed = True

    # -- helpers built on the interface -------------------------------------
    def graph(self, graph: str) -> Graph:
        """Return one named graph as an rdflib graph."""
        g = Graph()
        data = self.dump(graph, "ntriples")
        if data:
            g.parse(data=data.decode("utf-8"), format="nt")
        return g

    def construct(self, sparql: str, **kw) -> Graph:
        """Run a CONSTRUCT query and return the rdflib graph."""
        return self.query(sparql, **kw).graph()

    def ask(self, sparql: str, **kw) -> bool:
        """Run an ASK query."""
        return bool(self.query(sparql, **kw).boolean)

    def count_triples(self) -> int:
        """Return the number of triples over all named graphs."""
        return sum(self.graphs().values())

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def term_to_sparql(term: Term) -> str:
    """Serialize one rdflib term safely for use inside a SPARQL VALUES block."""
    if isinstance(term, URIRef):
        iri = str(term)
        if any(c in iri for c in '<>"{}|^`\\ \n\r\t'):
            from kg.errors import UsageError
            raise UsageError(f"not a valid IRI: {iri!r}")
        return f"<{iri}>"
    if isinstance(term, Literal):
        return term.n3()
    if isinstance(term, BNode):
        raise ValueError("blank nodes cannot be bound in a query")
    raise TypeError(f"cannot bind {term!r}")


def bind_values(sparql: str, bindings: Mapping[str, Term] | None) -> str:
    """Bind variables by appending a VALUES block (SPARQL 1.1 §10.2.2)."""
    if not bindings:
        return sparql
    names = list(bindings)
    head = " ".join(f"?{n}" for n in names)
    row = " ".join(term_to_sparql(bindings[n]) for n in names)
    return f"{sparql}\nVALUES ({head}) {{ ({row}) }}"
