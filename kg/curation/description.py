"""What a steward edits: a resource's *description*, read from the store.

A description is the resource's own triples plus those of the nodes it owns (blank
nodes, and ports, datasets, fields and policies reached by ownership properties), in
the graphs that hold it. Its version is a hash of its quads, so that a save can tell
whether it was based on what the store holds now.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from kg.namespaces import (
    DCAT,
    DCTERMS,
    DPROD,
    GRAPH_PREFIX,
    INFERRED_PREFIX,
    MESH,
    META_GRAPH,
    ODRL,
    RDF,
    VOCAB_GRAPH_PREFIX,
)
from kg.queries import load_query
from kg.store.base import Store

HISTORY_GRAPH = GRAPH_PREFIX + "history"
CURATED_PREFIX = GRAPH_PREFIX + "curated:"


def _n(iri) -> ox.NamedNode:
    return ox.NamedNode(str(iri))


RDF_TYPE = _n(RDF.type)


# properties through which a resource owns the nodes it points at
OWNING = {_n(p) for p in (DPROD.outputPort, DCAT.servesDataset, DCAT.distribution,
                          MESH.hasField, ODRL.hasPolicy, ODRL.permission, ODRL.prohibition,
                          ODRL.obligation, ODRL.duty, ODRL.constraint, ODRL.refinement,
                          DCTERMS.temporal, DCAT.contactPoint)}


@dataclass
class Description:
    """The asserted description of one resource: quads, graphs, version."""

    iri: str
    quads: set = field(default_factory=set)

    @property
    def graphs(self) -> list[str]:
        """The graphs the description lives in."""
        return sorted({q.graph_name.value for q in self.quads})

    @property
    def version(self) -> str:
        """A hash of the description (an empty description has a version too)."""
        return version_of(self.quads)

    @property
    def exists(self) -> bool:
        """Tell whether the store says anything about the resource."""
        return bool(self.quads)

    def triples(self) -> list[tuple]:
        """Return the (s, p, o) of every quad."""
        return [(q.subject, q.predicate, q.object) for q in self.quads]

    def nquads(self) -> str:
        """Return the description as sorted N-Quads text."""
        return to_nquads(self.quads)


def version_of(quads: Iterable) -> str:
    """Return the version tag of a set of quads."""
    h = hashlib.sha256(to_nquads(quads).encode("utf-8"))
    return h.hexdigest()[:32]


def to_nquads(quads: Iterable) -> str:
    """Serialize quads as sorted N-Quads lines."""
    return "".join(sorted(f"{q} .\n" for q in quads))


def from_nquads(text: str) -> set:
    """Parse N-Quads text (blank node labels kept) into a set of quads."""
    if not text.strip():
        return set()
    return set(ox.parse(text.encode("utf-8"), format=ox.RdfFormat.N_QUADS))


def curated_graph(iri: str) -> str:
    """Return the per-resource graph that holds a steward-edited resource."""
    return CURATED_PREFIX + hashlib.sha256(iri.encode("utf-8")).hexdigest()[:16]


def editable_graph(graph: str) -> bool:
    """Tell whether a graph holds asserted data a resource's description is read from
    (not entailments, vocabularies, provenance or findings). A description read from
    another of meshkg's own graphs (governance runs, a migration's record) is shown, and
    a save of it is refused (webapp.auth.refuse_managed) rather than copied aside."""
    from kg.validation import VALIDATION_GRAPH
    return not (graph.startswith((INFERRED_PREFIX, VOCAB_GRAPH_PREFIX))
                or graph in (META_GRAPH, VALIDATION_GRAPH, HISTORY_GRAPH,
                             GRAPH_PREFIX + "ontology"))


def _graph_quads(store: Store, graph: str) -> list:
    data = store.dump(graph, "nquads")
    return list(ox.parse(data, format=ox.RdfFormat.N_QUADS)) if data.strip() else []


def describe(store: Store, iri: str) -> Description:
    """Return the current asserted description of a resource."""
    res = store.query(load_query("curation_graphs"), bindings={"r": _rdflib(iri)})
    desc = Description(iri)
    for g in sorted({str(r["g"]) for r in res.rows}):
        if editable_graph(g):
            desc.quads |= _closure(_graph_quads(store, g), ox.NamedNode(iri))
    return desc


def _rdflib(iri: str):
    from rdflib import URIRef
    return URIRef(iri)


def _closure(quads: list, root) -> set:
    by_subject: dict = {}
    for q in quads:
        by_subject.setdefault(q.subject, []).append(q)
    seen, todo, out = {root}, [root], set()
    while todo:
        node = todo.pop()
        for q in by_subject.get(node, ()):
            out.add(q)
            o = q.object
            owned = isinstance(o, ox.BlankNode) or (
                isinstance(o, ox.NamedNode) and q.predicate in OWNING)
            if owned and o not in seen:
                seen.add(o)
                todo.append(o)
    return out
