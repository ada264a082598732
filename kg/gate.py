"""The SHACL gate: every write is validated in its would-be state first.

A write names graphs to replace, quads to add and graphs to drop. The gate
builds the would-be view of every affected resource in a scratch in-memory
store (the new triples plus what the rest of the store says about what they
touch), validates it, and only then writes to the real store in one atomic
step. A refused write raises ShapeViolation and leaves the store unchanged.

Which Violations refuse is the store's gate policy (kg.validation.GatePolicy, from
the settings `gate` and `refuse`): by default those of the shapes marked
`mesh:refusesWrite true`; the other findings are written with the data and shown
on the governance page.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

import pyoxigraph as ox
from rdflib import URIRef

from kg.errors import ManagedGraph, ShapeViolation
from kg.namespaces import DERIVED_PREFIXES, MESH, META_GRAPH, is_managed_graph
from kg.queries import load_query
from kg.store import ntdiff
from kg.store.base import Store, term_to_sparql
from kg.store.oxigraph import OxigraphStore
from kg.validation import (
    GatePolicy,
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


def affected(store: Store, changed: set[str], graphs: list[str]) -> set[str]:
    """Return the top-level resources in `graphs` that own, are, or point at a changed IRI."""
    out: set[str] = set()
    items = sorted(changed)
    for i in range(0, len(items), 400):
        values = _iri_values("changed", items[i:i + 400])
        q = load_query("gate_referrers").replace("#VALUES#", values)
        nodes = {str(r["s"]) for r in store.query(q, default_graphs=graphs).rows
                 if isinstance(r["s"], URIRef)}
        nodes = sorted(nodes | set(items[i:i + 400]))
        for j in range(0, len(nodes), 400):
            q = load_query("gate_affected").replace(
                "#VALUES#", _iri_values("s", nodes[j:j + 400]))
            out |= {str(r["focus"]) for r in store.query(q, default_graphs=graphs).rows}
    return out


def _key(term) -> str:
    return "_" if isinstance(term, ox.BlankNode) else str(term)


def changed_iris(old: list, new: list) -> set[str]:
    """Return the IRIs whose description differs between two versions of some graphs.

    Blank nodes are renamed on every parse, so triples are compared with blank
    nodes masked, and a differing triple about a blank node counts as a change
    of the IRI that (transitively) owns that blank node.
    """
    parent: dict = {}
    for q in old + new:
        if isinstance(q.object, ox.BlankNode):
            parent.setdefault(q.object, q.subject)
    old_keys = {(_key(q.subject), q.predicate.value, _key(q.object)) for q in old}
    new_keys = {(_key(q.subject), q.predicate.value, _key(q.object)) for q in new}
    diff = old_keys ^ new_keys
    out: set[str] = set()
    owner: dict = {}  # blank node -> the IRI (or parentless node) owning it, found once
    for q in old + new:
        if (_key(q.subject), q.predicate.value, _key(q.object)) not in diff:
            continue
        s = _owner(q.subject, parent, owner)
        if isinstance(s, ox.NamedNode):
            out.add(s.value)
    return out


def _owner(node, parent: dict, owner: dict):
    """The term at the top of a blank node's chain of parents, each chain walked once (a
    100,000-item rdf:List is one chain: its items own no IRI of their own)."""
    path, seen = [], set()
    while isinstance(node, ox.BlankNode) and node not in owner and node in parent \
            and node not in seen:
        seen.add(node)
        path.append(node)
        node = parent[node]
    top = owner.get(node, node)
    for b in path:
        owner[b] = top
    return top


def changed_iris_text(old: bytes, new: bytes) -> set[str]:
    """changed_iris() for two N-Triples texts from pyoxigraph's serializer, line by line.

    Lines without blank nodes compare as text; when a line with a blank node changed,
    the lines that mention one are parsed and compared with blank nodes masked. A
    re-loaded 45,000-triple file diffs in a fraction of the time of comparing every
    triple as terms.
    """
    removed, added = ntdiff.changed_lines(old, new)
    out: set[str] = set()
    for line in removed | added:
        if not ntdiff.has_blank(line):
            subject = ntdiff.iri(ntdiff.terms(line)[0])
            if subject is not None:
                out.add(subject)
    if not any(ntdiff.has_blank(line) for line in removed | added):
        # a file's blank nodes keep their labels from one load to the next (kg.loading):
        # no line with one changed, so no blank-node structure did
        return out
    blank_old = [x for x in old.splitlines() if ntdiff.has_blank(x)]
    blank_new = [x for x in new.splitlines() if ntdiff.has_blank(x)]
    if blank_old or blank_new:
        # renamed on parse, so that equal labels on both sides are different nodes
        old_q = list(ox.parse(b"\n".join(blank_old) + b"\n", format=ox.RdfFormat.N_TRIPLES,
                              rename_blank_nodes=True))
        new_q = list(ox.parse(b"\n".join(blank_new) + b"\n", format=ox.RdfFormat.N_TRIPLES,
                              rename_blank_nodes=True))
        out |= changed_iris(old_q, new_q)
    return out


def write(store: Store, *, replace: Mapping[str, list] | None = None,
          add: list | None = None, drop: Iterable[str] = (), validate: bool = True,
          shapes=None, before: Mapping[str, bytes] | None = None) -> Report | None:
    """Validate the would-be state of a change, then write it atomically or refuse it.

    `before` may hold the N-Triples the store has now for replaced or dropped graphs,
    when the caller has dumped them already."""
    with store.writing():  # the check and the write are one step
        return _write(store, replace=dict(replace or {}), add=list(add or []),
                      drop=list(drop), validate=validate, shapes=shapes, before=before)


def _write(store: Store, *, replace: dict, add: list, drop: list, validate: bool, shapes,
           before) -> Report | None:
    report = None
    if validate:
        shapes = shapes if shapes is not None else load_shapes()
        report = check(store, replace=replace, add=add, drop=drop, shapes=shapes,
                       before=before)
        refusing = policy_of(store).mark(report, shapes)
        if refusing:
            shapes_named = sorted({_local(f.shape) for f in refusing})
            raise ShapeViolation(
                f"refused: the change leaves {len(refusing)} SHACL violation(s) that refuse "
                f"a write ({', '.join(shapes_named)}) on "
                + ", ".join(sorted({f'<{f.focus}>' for f in refusing})[:5])
                + ("…" if len({f.focus for f in refusing}) > 5 else "")
                + "; nothing was written", report=report)
    # the graphs this write changes are marked in the same write and unmarked once
    # derived from (kg.inference.recover finishes after a crash in between)
    from kg.inference import pending_marks
    touched = {*replace, *drop, *(q.graph_name.value for q in add)} - {META_GRAPH}
    store.write_quads(replace, add=add + pending_marks(touched), drop=drop)
    if report is not None and report.checked:
        save_report(store, report)
    return report


def policy_of(store: Store) -> GatePolicy:
    """The gate policy of a store: what its opener set from the settings (`gate`,
    `refuse`; kg.open_store), else the default ("governance")."""
    return getattr(store, "gate_policy", None) or GatePolicy()


def _local(iri: str | None) -> str:
    if not iri:
        return "-"
    return "mesh:" + iri[len(str(MESH)):] if iri.startswith(str(MESH)) else iri


def check(store: Store, *, replace: Mapping[str, list], add: list, drop: list,
          shapes=None, before: Mapping[str, bytes] | None = None) -> Report:
    """Validate what the store would hold after a change, without writing it.

    Only resources whose description changes, and resources that point at
    something that changed, are validated: a re-loaded file whose one product
    changed re-validates that product, not the whole file.
    """
    from kg.validation import context_for, describe_with_subjects
    shapes = shapes if shapes is not None else load_shapes()
    gone = set(replace) | set(drop)
    others = asserted_graphs(store, exclude=gone)
    replaced = [q for quads in replace.values() for q in quads]
    new_quads = replaced + list(add)
    before = before or {}
    old_text = b"".join(before[g] if g in before else store.dump(g, "ntriples")
                        for g in sorted(gone) if g in before or store.has_graph(g))
    new_text = ntdiff.ntriples(replaced)
    changed = changed_iris_text(old_text, new_text)
    changed |= changed_iris([], list(add))
    if not changed:
        return Report()
    scratch = OxigraphStore(None)
    scratch_graph = "urn:meshkg:graph:scratch:new"
    # the would-be content of the changed graphs, bulk-loaded from the text the diff
    # used (a re-loaded 45,000-triple file: 0.1 s, against 0.5 s as a transaction)
    scratch.raw.bulk_load(new_text + ntdiff.ntriples(add), format=ox.RdfFormat.N_TRIPLES,
                          to_graph=ox.NamedNode(scratch_graph))
    if len(changed) >= WHOLE_MIN and _fits_whole(store, others, len(new_quads)):
        # a large change: every resource it describes is re-validated anyway, so only
        # the top-level resources among them and those elsewhere that point at them
        # need finding (the owners of changed nodes, per resource, cost seconds here)
        todo = set(focus_resources(scratch, graphs=[scratch_graph]))
        old = b"".join(store.dump(g, "ntriples") for g in others)
        if old:
            # the rest of the store is read whole for validation anyway: find what points
            # at the change there in a local copy (a server answers hundreds of
            # VALUES-bound path queries for a 60,000-resource file in minutes)
            rest = "urn:meshkg:graph:scratch:rest"
            scratch.raw.bulk_load(old, format=ox.RdfFormat.N_TRIPLES,
                                    to_graph=ox.NamedNode(rest))
            todo |= affected(scratch, changed, [rest])
        return _check_whole(old, new_quads, todo, shapes, policy_of(store).engine)
    todo = affected(scratch, changed, [scratch_graph])
    if others:
        todo |= affected(store, changed, others)
    if not todo:
        return Report()
    # the rest of the store's view of everything involved, copied into scratch
    pulled = None
    if others:
        pulled, _ = describe_with_subjects(store, sorted(todo), graphs=others)
        objects = {str(o) for o in pulled.objects() if isinstance(o, URIRef)}
        # and what the changed resources' new descriptions point at (not every object
        # of a re-loaded file: context for thousands of IRIs costs seconds)
        new_view, _ = describe_with_subjects(scratch, sorted(todo), graphs=[scratch_graph])
        objects |= {str(o) for o in new_view.objects() if isinstance(o, URIRef)} | todo
        objects |= _objects(list(add))
        for t in context_for(store, sorted(objects), graphs=others):
            pulled.add(t)
    if pulled is not None and len(pulled):
        ctx = "urn:meshkg:graph:scratch:context"
        scratch.write_quads({ctx: [ox.Quad(_ox(s), _ox(p), _ox(o), ox.NamedNode(ctx))
                                   for s, p, o in pulled]})
    return validate_store(scratch, sorted(todo), shapes=shapes, save=False,
                          engine=policy_of(store).engine)


#: from this many changed resources, the gate validates the whole would-be data in
#: one pass (a first load of 1,000 products: ≈ 4 s instead of ≈ 70 s in views)
WHOLE_MIN = 300


def _fits_whole(store: Store, others: list[str], new: int) -> bool:
    from kg.validation import WHOLE_GRAPH_LIMIT
    sizes = store.graphs()
    return sum(sizes.get(g, 0) for g in others) + new <= WHOLE_GRAPH_LIMIT


def _check_whole(old: bytes, new_quads: list, todo: set[str], shapes,
                 engine: str = GatePolicy.engine) -> Report:
    """Validate the would-be asserted data (the rest of the store as N-Triples, `old`, and
    the new quads) in one pass; keep findings about the resources to re-validate and
    everything the change describes."""
    from kg.validation import keep_findings, run_engine
    new_text = ntdiff.ntriples(new_quads)
    text = new_text + old
    return keep_findings(run_engine(text, shapes, engine=engine), new_text, sorted(todo))


def _objects(quads) -> set[str]:
    return {q.object.value for q in quads if isinstance(q.object, ox.NamedNode)}


def _ox(term):
    from kg.store.oxigraph import to_oxigraph
    return to_oxigraph(term)


#: where the default graph of SPARQL Update lands: updates without GRAPH write here,
#: and reads (over the union of all graphs) see it like any other source.
UPDATE_DEFAULT_GRAPH = "urn:meshkg:graph:default"


def apply_update(store: Store, sparql: str, *, validate: bool = True,
                 timeout: float | None = None, memory_mb: int | None = None) -> Report | None:
    """Gate a SPARQL Update: evaluate it on a copy of the store, then write what changed.

    The update's default graph is `UPDATE_DEFAULT_GRAPH`, so `INSERT DATA { ... }`
    without GRAPH is kept (and readable through the union default graph). It is
    evaluated in a worker process (`Store.evaluate_update`: on the embedded store, a
    checkpoint, whose blank nodes are the store's own), stopped at `timeout` seconds
    (QueryTimeout) or `memory_mb` MB (OverBudget), nothing written either way; then
    only the graphs it changed are validated and written, and their entailments
    re-derived. The whole sequence holds the store's write turn (`Store.writing`), so
    a write beside it is never undone by it. What it does to derived graphs
    (entailments, index, findings) is not kept; a change to any other graph meshkg
    keeps itself (history, meta, vocabularies) refuses the update (ManagedGraph).
    """
    from kg.inference import infer
    from kg.sparqlsafety import check_update, check_user_text
    check_update(sparql)
    check_user_text(sparql, update=True)  # a user's update: read by a second parser too
    with store.writing():
        changed = store.evaluate_update(sparql, default_graph=UPDATE_DEFAULT_GRAPH,
                                        skip_prefixes=DERIVED_PREFIXES, timeout=timeout,
                                        memory_mb=memory_mb)
        managed = sorted(g for g in changed if is_managed_graph(g))
        if managed:
            raise ManagedGraph(
                "refused: the update would change " + ", ".join(f"<{g}>" for g in managed)
                + ", kept by meshkg itself (only meshkg writes its history, provenance and "
                "vocabularies); nothing was changed")
        replace = {g: [ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(g))
                       for t in ox.parse(text, format=ox.RdfFormat.N_TRIPLES)]
                   for g, text in changed.items() if text.strip()}
        _check_added_literals(store, changed, replace)
        drop = [g for g, text in changed.items() if not text.strip() and store.has_graph(g)]
        if not replace and not drop:
            return Report()
        report = write(store, replace=replace, drop=drop, validate=validate)
        # entailments and the search index follow the update, as they follow a load
        infer(store, changed=sorted(replace) + sorted(drop))
        return report


def _check_added_literals(store: Store, changed: Mapping[str, bytes],
                          replace: Mapping[str, list]) -> None:
    """Refuse an update that adds literals the store could not serve or compare (a NUL,
    an integer past 64 bits: kg.loading.check_literals); only what it adds is read, so a
    graph that holds one already can still be changed."""
    from kg.loading import check_literals, may_hold_refused_literal
    for g, text in changed.items():
        if g in replace and may_hold_refused_literal(text):
            old = set(store.dump(g, "ntriples").splitlines()) if store.has_graph(g) else set()
            added = [line for line in text.splitlines() if line not in old]
            if added and may_hold_refused_literal(b"\n".join(added)):
                quads = [ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(g))
                         for t in ox.parse(b"\n".join(added) + b"\n",
                                           format=ox.RdfFormat.N_TRIPLES)]
                check_literals(quads, source="the update")


__all__ = ["affected", "apply_update", "changed_iris", "changed_iris_text", "check", "write"]
