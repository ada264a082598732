"""Steward curation: edits as change sets, gated by SHACL, kept as PROV-O history.

An edit replaces a resource's description (kg.curation.description): the new one
goes to a per-resource graph `urn:meshkg:graph:curated:<hash>` (moving it out of the
source graph on the first edit), through `kg.gate.write`. Every change is a
prov:Activity in `urn:meshkg:graph:history` carrying the exact quads added and
removed as N-Quads literals, so it can be shown as a diff and reverted by a new
change. Saves carry the version (a hash of the description) they were based on; the
check and the write happen under the store's write mutex, so of two saves based on
one version exactly one wins. The web forms' mapping to triples is kg.curation.forms,
re-exported here.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pyoxigraph as ox

from kg import gate
from kg.curation.description import (
    CURATED_PREFIX,
    HISTORY_GRAPH,
    OWNING,
    RDF_TYPE,
    Description,
    _graph_quads,
    _n,
    _rdflib,
    curated_graph,
    describe,
    editable_graph,
    from_nquads,
    to_nquads,
    version_of,
)
from kg.curation.forms import (
    CONCEPT_MANAGED,
    FIELD_MANAGED,
    FIELD_OF_PATH,
    FIELD_OF_SHAPE,
    IRI_SCHEMES,
    ODRL_OPERATORS,
    PRODUCT_IRIS,
    PRODUCT_NOTES,
    PRODUCT_ONE_IRI,
    PRODUCT_SINGLE,
    SENSITIVITY,
    _slug,  # noqa: F401  (webapp.curation names a new resource's IRI by it)
    concept_triples,
    concept_values,
    expand_iri,
    field_of,
    kind_of,
    product_triples,
    product_values,
    relation_properties,
)
from kg.errors import Conflict, InvalidInput, NotFound, UsageError, VersionConflict
from kg.namespaces import DPROD, MESH, PROV, RDFS, XSD
from kg.queries import load_query
from kg.store.base import Store

HIST = "https://w3id.org/meshkg/history#"
CHANGE_PREFIX = "urn:meshkg:change:"
STEWARD_PREFIX = "urn:meshkg:steward:"
LIFECYCLE = ("Draft", "Active", "Deprecated", "Retired")


@dataclass
class Change:
    """One recorded change: who, when, why, and the exact quads added and removed."""

    id: str
    resource: str
    steward: str
    time: str
    comment: str
    kind: str = "edit"
    added: set = field(default_factory=set)
    removed: set = field(default_factory=set)
    reverts: str | None = None
    version_before: str | None = None
    version_after: str | None = None

    def diff(self) -> list[tuple[str, str]]:
        """Return the diff as ("+" or "−", N-Triples line), removals first.

        A triple that only moved between graphs (a first edit moves the
        resource into its curated graph) is not a change of meaning: left out.
        """
        gone = {_triple_line(q) for q in self.removed}
        new = {_triple_line(q) for q in self.added}
        return ([("−", t) for t in sorted(gone - new)] + [("+", t) for t in sorted(new - gone)])

    @property
    def moved(self) -> list[tuple[str, str]]:
        """Return (from graph, to graph) when the change moved the description."""
        before = {q.graph_name.value for q in self.removed}
        after = {q.graph_name.value for q in self.added}
        return [(a, b) for a in sorted(before - after) for b in sorted(after - before)]


def _triple_line(q) -> str:
    return f"{ox.Triple(q.subject, q.predicate, q.object)} ."


def _literal(text: str, dt=None) -> ox.Literal:
    return ox.Literal(text, datatype=_n(dt)) if dt else ox.Literal(text)


def steward_iri(name: str) -> str:
    """Return the prov:Agent IRI of a steward account."""
    return STEWARD_PREFIX + re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def _history_quads(c: Change) -> list:
    g = ox.NamedNode(HISTORY_GRAPH)
    a, who = ox.NamedNode(c.id), ox.NamedNode(steward_iri(c.steward))
    h = lambda local: ox.NamedNode(HIST + local)  # noqa: E731
    triples = [
        (a, RDF_TYPE, _n(PROV.Activity)),
        (a, _n(PROV.wasAssociatedWith), who),
        (a, _n(PROV.startedAtTime), _literal(c.time, XSD.dateTime)),
        (a, _n(RDFS.comment), ox.Literal(c.comment)),
        (a, h("resource"), ox.NamedNode(c.resource)),
        (a, h("kind"), ox.Literal(c.kind)),
        (a, h("added"), ox.Literal(to_nquads(c.added))),
        (a, h("removed"), ox.Literal(to_nquads(c.removed))),
        (who, RDF_TYPE, _n(PROV.Agent)),
        (who, _n(RDFS.label), ox.Literal(c.steward)),
    ]
    if c.version_before:
        triples.append((a, h("versionBefore"), ox.Literal(c.version_before)))
    if c.version_after:
        triples.append((a, h("versionAfter"), ox.Literal(c.version_after)))
    if c.reverts:
        triples.append((a, h("reverts"), ox.NamedNode(c.reverts)))
    return [ox.Quad(s, p, o, g) for s, p, o in triples]


def _commit(store: Store, change: Change) -> None:
    """Write a change set and its history record through the SHACL gate (one write)."""
    graphs = sorted({q.graph_name.value for q in change.added | change.removed})
    replace, drop = {}, []
    for g in graphs:
        content = set(_graph_quads(store, g))
        content = (content - change.removed) | {q for q in change.added
                                                if q.graph_name.value == g}
        if content:
            replace[g] = list(content)
        else:
            drop.append(g)
    gate.write(store, replace=replace, add=_history_quads(change), drop=drop)


def _infer(store: Store, change: Change) -> None:
    from kg.inference import infer
    graphs = sorted({q.graph_name.value for q in change.added | change.removed})
    if graphs:
        infer(store, changed=graphs)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _require_comment(comment: str | None) -> str:
    comment = (comment or "").strip()
    if not comment:
        raise InvalidInput({"comment": ["say why you make this change (a comment is required)"]})
    return comment[:2000]


def save(store: Store, iri: str, triples: Iterable[tuple], *, steward: str, comment: str,
         version: str | None, kind: str = "edit", create: bool = False,
         infer: bool = True) -> Change | None:
    """Replace a resource's description by `triples`, gated and recorded.

    `version` is the version the edit was based on; a different current version
    raises VersionConflict and nothing is written. `create` requires that the
    resource does not exist yet. Returns None when nothing changed.
    """
    comment = _require_comment(comment)
    with store._write_mutex:  # the version check and the write are one step
        current = describe(store, iri)
        if create and current.exists:
            raise VersionConflict(f"{iri} already exists; edit it instead", current=current)
        if version is not None and version != current.version:
            raise VersionConflict(
                f"{iri} was changed by someone else since you opened it; nothing was "
                "written", current=current)
        curated = [g for g in current.graphs if g.startswith(CURATED_PREFIX)]
        target = ox.NamedNode(curated[0] if curated else curated_graph(iri))
        new = {ox.Quad(s, p, o, target) for s, p, o in triples}
        change = Change(id=CHANGE_PREFIX + str(uuid.uuid4()), resource=iri, steward=steward,
                        time=_now(), comment=comment, kind=kind,
                        added=new - current.quads, removed=current.quads - new,
                        version_before=current.version, version_after=version_of(new))
        if not change.added and not change.removed:
            return None
        from kg.loading import check_literals  # what the store could not serve or compare
        check_literals(change.added, source=f"the edit of <{iri}>")
        _commit(store, change)
    if infer:
        _infer(store, change)
    return change


def revert(store: Store, change_id: str, *, steward: str, comment: str,
           infer: bool = True) -> Change:
    """Undo a recorded change by a new, gated and recorded change."""
    comment = _require_comment(comment)
    with store._write_mutex:
        old = get_change(store, change_id)
        # undo only what is still as that change left it; later edits stay
        still_added = {q for q in old.added if _present(store, q)}
        to_restore = {q for q in old.removed if not _present(store, q)}
        current = describe(store, old.resource)
        change = Change(id=CHANGE_PREFIX + str(uuid.uuid4()), resource=old.resource,
                        steward=steward, time=_now(), comment=comment, kind="revert",
                        added=to_restore, removed=still_added, reverts=old.id,
                        version_before=current.version,
                        version_after=version_of((current.quads - still_added) | to_restore))
        if not change.added and not change.removed:
            raise Conflict(f"nothing to revert: the store no longer holds what {old.id} wrote")
        _commit(store, change)
    if infer:
        _infer(store, change)
    return change


def _present(store: Store, q) -> bool:
    raw = getattr(store, "raw", None)
    if raw is not None:
        return q in raw
    return f"{q} .\n" in store.dump(q.graph_name.value, "nquads").decode("utf-8")


def get_change(store: Store, change_id: str) -> Change:
    """Return one recorded change."""
    if not change_id.startswith(CHANGE_PREFIX):
        raise NotFound(f"no such change: {change_id}")
    found = _changes(store, {"change": _rdflib(change_id)})
    if not found:
        raise NotFound(f"no such change: {change_id}")
    return found[0]


def history(store: Store, iri: str | None = None, *, limit: int = 200) -> list[Change]:
    """Return the changes of one resource (or of all), newest first."""
    return _changes(store, {"resource": _rdflib(iri)} if iri else None)[:limit]


def _changes(store: Store, bindings) -> list[Change]:
    if not store.has_graph(HISTORY_GRAPH):
        return []
    rows = store.query(load_query("curation_history"), bindings=bindings,
                       default_graphs=[HISTORY_GRAPH]).rows
    out = []
    for r in rows:
        out.append(Change(
            id=str(r["change"]), resource=str(r["resource"]), steward=str(r["who"]),
            time=str(r["when"]), comment=str(r.get("comment", "")), kind=str(r["kind"]),
            added=from_nquads(str(r.get("added", ""))),
            removed=from_nquads(str(r.get("removed", ""))),
            reverts=str(r["reverts"]) if "reverts" in r else None,
            version_before=str(r["before"]) if "before" in r else None,
            version_after=str(r["after"]) if "after" in r else None))
    return out


def set_status(store: Store, iri: str, status: str, *, steward: str, comment: str,
               version: str | None = None, infer: bool = True) -> Change | None:
    """Change a product's lifecycle status (publishing a draft sets mesh:Active)."""
    if status not in LIFECYCLE:
        raise UsageError(f"unknown lifecycle status {status!r}")
    with store._write_mutex:
        current = describe(store, iri)
        if not current.exists:
            raise NotFound(f"no data product {iri}")
        s, p = ox.NamedNode(iri), _n(DPROD.lifecycleStatus)
        triples = [t for t in current.triples() if not (t[0] == s and t[1] == p)]
        triples.append((s, p, _n(MESH[status])))
        return save(store, iri, triples, steward=steward, comment=comment,
                    version=version or current.version,
                    kind="publish" if status == "Active" else "edit", infer=infer)


def drafts(store: Store) -> list[dict]:
    """Return the products in draft, for review."""
    rows = store.query(load_query("curation_drafts")).rows
    return [{"iri": str(r["p"]), "label": str(r.get("label", r["p"])),
             "domain": str(r["domain"]) if "domain" in r else ""} for r in rows]


__all__ = [
    "CHANGE_PREFIX", "CONCEPT_MANAGED", "CURATED_PREFIX", "FIELD_MANAGED", "FIELD_OF_PATH",
    "FIELD_OF_SHAPE", "HIST", "HISTORY_GRAPH", "IRI_SCHEMES", "LIFECYCLE", "ODRL_OPERATORS",
    "OWNING", "PRODUCT_IRIS", "PRODUCT_NOTES", "PRODUCT_ONE_IRI", "PRODUCT_SINGLE", "RDF_TYPE",
    "SENSITIVITY", "STEWARD_PREFIX",
    "Change", "Description", "InvalidInput", "VersionConflict",
    "concept_triples", "concept_values", "curated_graph", "describe", "drafts",
    "editable_graph", "expand_iri", "field_of", "from_nquads", "get_change", "history",
    "kind_of", "product_triples", "product_values", "relation_properties", "revert", "save",
    "set_status", "steward_iri", "to_nquads", "version_of",
]
