"""The answer to a SPARQL query, in rdflib terms.

Kept apart from kg.store.base so that kg.store.sandbox builds it from its workers'
answers without importing the Store interface, which uses the sandbox (no import cycle).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from rdflib import Graph
from rdflib.term import Node

Term = Node


@dataclass
class Result:
    """The answer to a SPARQL query, in rdflib terms."""

    kind: str  # "select", "ask" or "graph"
    vars: list[str] = field(default_factory=list)
    rows: list[dict[str, Term]] = field(default_factory=list)
    boolean: bool | None = None
    triples: list[tuple[Term, Term, Term]] = field(default_factory=list)
    truncated: bool = False

    def __iter__(self) -> Iterator[dict[str, Term]]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows) if self.kind == "select" else len(self.triples)

    def graph(self) -> Graph:
        """Return the triples of a CONSTRUCT or DESCRIBE as an rdflib graph."""
        g = Graph()
        for t in self.triples:
            g.add(t)
        return g

    def values(self, var: str) -> list[Term]:
        """Return the bound values of one variable, in order."""
        return [r[var] for r in self.rows if var in r]
