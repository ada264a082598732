"""The SHACL gate: every write is validated in its would-be state first.

A write names graphs to replace, quads to add and graphs to drop. The gate
builds the would-be view of every affected resource in a scratch in-memory
store (the new triples plus what the rest of the store says about what they
touch), validates it, and only then writes to the real store in one atomic
step. A refused write raises ShapeViolation and leaves the store unchanged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

import pyoxigraph as ox
from rdflib import URIRef

from kg.errors import ShapeViolation
from kg.queries import load_query
from kg.store.base import Store, term_to_sparql
from kg.store.oxigraph import OxigraphStore, to_rdflib
from kg.validation import (
    Report,
    asserted_graphs,
    focus_resources,
    load_shapes,
    save_report,
    validate_store,
)

log = logging.getLogger(__name__)


def _iri_values(var: str, iris: Iterable[str]) -> str:
    return f"VALUES ?{var} {{ {' '.join(term_to_sparql(URIRef(i)) for i in iris)} }}"


def _subjects(quads: Iterable) -> set[str]:
    return {q.subject.value for q in quads if isinstance(q.subject, ox.NamedNode)}


def affected(store: Store, changed: set[str], graphs: list[str]) -> set[str]:
    """Return the resources in `graphs` whose description points at a changed IRI."""
    out: set[str] = set()
    items = sorted(changed)
    for i in range(0, len(items), 400):
        values = _iri_values("changed", items[i:i + 400])
        q = load_query("gate_referrers").replace("#VALUES#", values)
        referrers = sorted({str(r["s"]) for r in store.query(q, default_graphs=graphs).rows
                            if isinstance(r["s"], URIRef)})
        for j in range(0, len(referrers), 400):
            q = load_query("gate_affected").replace(
                "#VALUES#", _iri_values("s", referrers[j:j + 400]))
            out |= {str(r["focus"]) for r in store.query(q, default_graphs=graphs).rows}
    return out


def write(store: Store, *, replace: Mapping[str, list] | None = None,
          add: list | None = None, drop: Iterable[str] = (), validate: bool = True,
          shapes=None) -> Report | None:
    """Validate the would-be state of a change, then write it atomically or refuse it."""
    replace = dict(replace or {})
    add = list(add or [])
    drop = list(drop)
    report = None
    if validate:
        report = check(store, replace=replace, add=add, drop=drop, shapes=shapes)
        if not report.conforms:
            raise ShapeViolation(
                f"refused: the change leaves {report.count('Violation')} SHACL violation(s); "
                "nothing was written", report=report)
    store.write_quads(replace, add=add, drop=drop)
    if report is not None and report.checked:
        save_report(store, report)
    return report


def check(store: Store, *, replace: Mapping[str, list], add: list, drop: list,
          shapes=None) -> Report:
    """Validate what the store would hold after a change, without writing it."""
    shapes = shapes if shapes is not None else load_shapes()
    gone = set(replace) | set(drop)
    others = asserted_graphs(store, exclude=gone)
    new_quads = [q for quads in replace.values() for q in quads] + add
    # what changes: subjects described before (in replaced/dropped graphs) and after
    old_subjects: set[str] = set()
    kept = [g for g in gone if store.has_graph(g)]
    if kept:
        for g in kept:
            res = store.query("SELECT DISTINCT ?s { ?s ?p ?o FILTER(isIRI(?s)) }",
                              default_graphs=[g])
            old_subjects |= {str(r["s"]) for r in res.rows}
    changed = _subjects(new_quads) | old_subjects
    scratch = OxigraphStore(None)
    scratch_graph = "urn:meshkg:graph:scratch:new"
    scratch.write_quads({scratch_graph: [ox.Quad(q.subject, q.predicate, q.object,
                                                 ox.NamedNode(scratch_graph))
                                         for q in new_quads]})
    new_focus = set(focus_resources(scratch))
    touched = affected(store, changed, others) if changed and others else set()
    # the rest of the store's view of everything involved, copied into scratch
    if others:
        from kg.validation import describe
        pulled = describe(store, sorted(touched | _objects(new_quads) | new_focus),
                          graphs=others) if (touched or new_quads) else None
        if pulled is not None and len(pulled):
            ctx = "urn:meshkg:graph:scratch:context"
            scratch.write_quads({}, add=[
                ox.Quad(_ox(s), _ox(p), _ox(o), ox.NamedNode(ctx)) for s, p, o in pulled])
    todo = sorted((new_focus | touched) - {s for s in old_subjects
                                            if s not in _subjects(new_quads)
                                            and s not in touched})
    if not todo:
        return Report()
    return validate_store(scratch, todo, shapes=shapes, save=False)


def _objects(quads) -> set[str]:
    return {q.object.value for q in quads if isinstance(q.object, ox.NamedNode)}


def _ox(term):
    from kg.store.oxigraph import to_oxigraph
    return to_oxigraph(term)


#: where the default graph of SPARQL Update lands: updates without GRAPH write here,
#: and reads (over the union of all graphs) see it like any other source.
UPDATE_DEFAULT_GRAPH = "urn:meshkg:graph:default"


def apply_update(store: Store, sparql: str, *, validate: bool = True) -> Report | None:
    """Gate a SPARQL Update: run it on a scratch copy, then write the changed graphs.

    The update's default graph is `UPDATE_DEFAULT_GRAPH`, so `INSERT DATA { ... }`
    without GRAPH is kept (and readable through the union default graph).
    """
    from kg.sparqlsafety import check_update
    check_update(sparql)
    graphs = asserted_graphs(store)
    scratch = OxigraphStore(None)
    before: dict[str, bytes] = {}
    for g in graphs:
        before[g] = store.dump(g, "ntriples")
        if not before[g].strip():
            continue
        if g == UPDATE_DEFAULT_GRAPH:
            scratch.raw.load(before[g], format=ox.RdfFormat.N_TRIPLES)
        else:
            scratch.put_graph(g, before[g], "ntriples")
    scratch.update(sparql)
    after = {g: scratch.dump(g, "ntriples") for g in scratch.graphs()}
    default = _dump_default(scratch)
    if default.strip() or UPDATE_DEFAULT_GRAPH in before:
        after[UPDATE_DEFAULT_GRAPH] = default
    replace, drop = {}, []
    for g in set(before) | set(after):
        if g not in after or not after[g].strip():
            if g in before:
                drop.append(g)
        elif sorted(after[g].splitlines()) != sorted(before.get(g, b"").splitlines()):
            replace[g] = [ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(g))
                          for q in ox.parse(after[g], format=ox.RdfFormat.N_TRIPLES)]
    if not replace and not drop:
        return Report()
    return write(store, replace=replace, drop=drop, validate=validate)


def _dump_default(scratch: OxigraphStore) -> bytes:
    import io
    out = io.BytesIO()
    scratch.raw.dump(out, format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    return out.getvalue()


__all__ = ["affected", "apply_update", "check", "to_rdflib", "write"]
