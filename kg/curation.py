"""Steward curation: edits as change sets, gated by SHACL, kept as PROV-O history.

A resource's *description* is its own triples plus those of the nodes it owns
(blank nodes, and ports, datasets, fields and policies reached by ownership
properties), in the graph that holds it. An edit replaces that description:
the new one goes to a per-resource graph `urn:meshkg:graph:curated:<hash>`
(moving it out of the source graph on the first edit), through `kg.gate.write`.
Every change is a prov:Activity in `urn:meshkg:graph:history` carrying the
exact quads added and removed as N-Quads literals, so it can be shown as a diff
and reverted by a new change. Saves carry the version (a hash of the
description) they were based on; the check and the write happen under the
store's write mutex, so of two saves based on one version exactly one wins.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pyoxigraph as ox

from kg import gate
from kg.errors import Conflict, InvalidInput, NotFound, UsageError, VersionConflict
from kg.namespaces import (
    DCAT,
    DCTERMS,
    DPROD,
    DPV,
    GRAPH_PREFIX,
    INFERRED_PREFIX,
    MESH,
    META_GRAPH,
    ODRL,
    PREFIXES,
    PROV,
    RAI,
    RDF,
    RDFS,
    SKOS,
    VOCAB_GRAPH_PREFIX,
    XSD,
)
from kg.queries import load_query
from kg.store.base import Store

HISTORY_GRAPH = GRAPH_PREFIX + "history"
CURATED_PREFIX = GRAPH_PREFIX + "curated:"
HIST = "https://w3id.org/meshkg/history#"
CHANGE_PREFIX = "urn:meshkg:change:"
STEWARD_PREFIX = "urn:meshkg:steward:"
IRI_SCHEMES = ("http://", "https://", "urn:")
_BAD_IRI_CHARS = set('<>"{}|^`\\ \n\r\t')
_LANG = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")
#: ODRL 2.2 constraint operators (ODRL Vocabulary §4.21)
ODRL_OPERATORS = ("eq", "neq", "gt", "gteq", "lt", "lteq", "isA", "isAnyOf", "isAllOf",
                  "isNoneOf", "isPartOf", "hasPart")
LIFECYCLE = ("Draft", "Active", "Deprecated", "Retired")
SENSITIVITY = ("Public", "Internal", "Confidential", "Restricted")


def _n(iri) -> ox.NamedNode:
    return ox.NamedNode(str(iri))


RDF_TYPE = _n(RDF.type)
# properties through which a resource owns the nodes it points at
OWNING = {_n(p) for p in (DPROD.outputPort, DCAT.servesDataset, DCAT.distribution,
                          MESH.hasField, ODRL.hasPolicy, ODRL.permission, ODRL.prohibition,
                          ODRL.obligation, ODRL.duty, ODRL.constraint, ODRL.refinement,
                          DCTERMS.temporal, DCAT.contactPoint)}




# -- descriptions -------------------------------------------------------------------


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
    """Tell whether a graph holds asserted, steward-editable data."""
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


# -- change sets --------------------------------------------------------------------


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


# -- form values <-> RDF -----------------------------------------------------------------


def expand_iri(text: str, *, what: str, prefixes: Mapping[str, str] = PREFIXES) -> str:
    """Return a full IRI from an IRI or a known prefixed name; refuse other schemes."""
    text = text.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1].strip()
    head, sep, local = text.partition(":")
    if sep and head in prefixes and not local.startswith("//"):
        text = prefixes[head] + local
    if not text.lower().startswith(IRI_SCHEMES):
        raise ValueError(f"{what}: {text!r} is not an http, https or urn IRI "
                         "(nor a known prefixed name such as skos:Concept)")
    if any(c in _BAD_IRI_CHARS for c in text) or len(text) > 2000:
        raise ValueError(f"{what}: {text!r} is not a valid IRI")
    return text


class _Builder:
    """Collect triples and per-field errors while reading form values."""

    def __init__(self, iri: str):
        self.s = ox.NamedNode(iri)
        self.triples: list[tuple] = []
        self.errors: dict[str, list[str]] = {}

    def error(self, key: str, message: str) -> None:
        self.errors.setdefault(key, []).append(message)

    def iri(self, key: str, text: str, what: str):
        try:
            return ox.NamedNode(expand_iri(text, what=what))
        except ValueError as exc:
            self.error(key, str(exc))
            return None

    def add(self, s, p, o) -> None:
        if s is not None and o is not None:
            self.triples.append((s, _n(p), o))

    def iris(self, key: str, p, values: Iterable[str], what: str) -> None:
        for v in values:
            if v.strip():
                self.add(self.s, p, self.iri(key, v, what))

    def text(self, key: str, p, value: str, lang: str | None = None) -> None:
        value = (value or "").strip()
        if value:
            self.add(self.s, p, ox.Literal(value, language=lang) if lang else ox.Literal(value))

    def done(self) -> list[tuple]:
        if self.errors:
            raise InvalidInput(self.errors)
        return self.triples


def _kept(current: Description, managed: set, managed_nodes: set = frozenset()) -> list:
    """Return the current triples a form does not manage."""
    s = ox.NamedNode(current.iri)
    return [(q.subject, q.predicate, q.object) for q in current.quads
            if not ((q.subject == s and q.predicate in managed) or q.subject in managed_nodes)]


CONCEPT_MANAGED = {_n(p) for p in (SKOS.prefLabel, SKOS.altLabel, SKOS.definition,
                                   SKOS.broader, SKOS.narrower, SKOS.related, SKOS.inScheme)}


def relation_properties(store: Store) -> list[tuple[str, str]]:
    """Return the typed concept relations (mesh:ConceptRelation) with their labels."""
    rows = store.query(load_query("curation_relations")).rows
    return [(str(r["p"]), str(r.get("label", r["p"]))) for r in rows]


def concept_values(desc: Description, relations: Iterable[str] = ()) -> dict:
    """Return the form values of a concept's description."""
    s = ox.NamedNode(desc.iri or "urn:meshkg:new")
    rels = set(relations)
    langs: dict[str, dict] = {}
    v: dict = {"iri": desc.iri, "in_scheme": [], "broader": [], "narrower": [], "related": [],
               "relations": []}
    keys = {str(SKOS.inScheme): "in_scheme", str(SKOS.broader): "broader",
            str(SKOS.narrower): "narrower", str(SKOS.related): "related"}
    for q in sorted(desc.quads, key=str):
        if q.subject != s:
            continue
        p, o = q.predicate.value, q.object
        if p in keys and isinstance(o, ox.NamedNode):
            v[keys[p]].append(o.value)
        elif p in rels and isinstance(o, ox.NamedNode):
            v["relations"].append({"p": p, "o": o.value})
        elif p in (str(SKOS.prefLabel), str(SKOS.altLabel), str(SKOS.definition)) \
                and isinstance(o, ox.Literal):
            row = langs.setdefault(o.language or "", {"lang": o.language or "", "pref": "",
                                                       "alt": [], "definition": ""})
            if p == str(SKOS.altLabel):
                row["alt"].append(o.value)
            else:
                row["pref" if p == str(SKOS.prefLabel) else "definition"] = o.value
    order = sorted(langs, key=lambda k: (k != "en", k != "de", k))
    v["labels"] = [langs[k] for k in order]
    return v


def concept_triples(iri: str, values: Mapping, current: Description,
                    relations: Iterable[str] = ()) -> list[tuple]:
    """Turn concept form values into the concept's new description."""
    b = _Builder(iri)
    seen_langs = set()
    for row in values.get("labels", []):
        lang = (row.get("lang") or "").strip()
        has = row.get("pref", "").strip() or row.get("definition", "").strip() or any(
            a.strip() for a in row.get("alt", []))
        if not has:
            continue
        if not _LANG.match(lang):
            b.error("labels", f"{lang!r} is not a language tag (such as en or de)")
            continue
        if lang in seen_langs:
            b.error("labels", f"language {lang} appears twice")
        seen_langs.add(lang)
        b.text("labels", SKOS.prefLabel, row.get("pref", ""), lang)
        for alt in row.get("alt", []):
            b.text("labels", SKOS.altLabel, alt, lang)
        b.text("labels", SKOS.definition, row.get("definition", ""), lang)
    for key, p in (("in_scheme", SKOS.inScheme), ("broader", SKOS.broader),
                   ("narrower", SKOS.narrower), ("related", SKOS.related)):
        b.iris(key, p, values.get(key, []), key.replace("_", " "))
    allowed = set(relations)
    managed = set(CONCEPT_MANAGED) | {_n(r) for r in allowed}
    for rel in values.get("relations", []):
        if not rel.get("p", "").strip() and not rel.get("o", "").strip():
            continue
        p = b.iri("relations", rel.get("p", ""), "relationship")
        o = b.iri("relations", rel.get("o", ""), "related concept")
        if p is not None and p.value not in allowed:
            b.error("relations", f"{p.value} is not a typed concept relationship "
                    "(a mesh:ConceptRelation)")
        elif p is not None and o is not None:
            b.triples.append((b.s, p, o))
    triples = b.done()
    kept = _kept(current, managed)
    if not any(p == RDF_TYPE for s, p, o in kept if s == b.s):
        kept.append((b.s, RDF_TYPE, _n(SKOS.Concept)))
    return _unique(kept + triples)


def _unique(triples: list[tuple]) -> list[tuple]:
    return list(dict.fromkeys(triples))


PRODUCT_SINGLE = {"label": RDFS.label, "description": DCTERMS.description,
                  "purpose": DPROD.purpose}
PRODUCT_ONE_IRI = {"owner": DPROD.dataProductOwner, "domain": DPROD.domain,
                   "status": DPROD.lifecycleStatus,
                   "sensitivity": DPROD.informationSensitivityClassification}
PRODUCT_IRIS = {"concepts": DCTERMS.subject, "tags": MESH.tag,
                "personal_data": DPV.hasPersonalData, "purposes": DPV.hasPurpose,
                "legal_bases": DPV.hasLegalBasis, "covers": MESH.covers,
                "not_covers": MESH.doesNotCover, "lineage": PROV.wasDerivedFrom}
PRODUCT_NOTES = {"biases": RAI.dataBiases, "limitations": RAI.dataLimitations}
FIELD_MANAGED = {_n(p) for p in (RDFS.label, MESH.datatype, MESH.meansConcept,
                                 DPV.hasPersonalData)}

#: which form field a SHACL result path belongs to
FIELD_OF_PATH: dict[str, str] = {
    **{str(p): k for k, p in {**PRODUCT_SINGLE, **PRODUCT_ONE_IRI, **PRODUCT_IRIS,
                              **PRODUCT_NOTES}.items()},
    str(ODRL.hasPolicy): "rules", str(MESH.hasField): "fields",
    str(DPROD.outputPort): "fields",
    str(SKOS.prefLabel): "labels", str(SKOS.altLabel): "labels",
    str(SKOS.definition): "labels", str(SKOS.inScheme): "in_scheme",
    str(SKOS.topConceptOf): "in_scheme", str(SKOS.broader): "broader",
    str(SKOS.narrower): "narrower", str(SKOS.related): "related",
}


#: shapes whose results carry no sh:resultPath, and the form field they are about
FIELD_OF_SHAPE: dict[str, str] = {
    str(MESH.ConceptInSchemeShape): "in_scheme",
    str(MESH.PersonalDataPolicyShape): "rules",
    str(MESH.SpecialCategoryLegalBasisShape): "legal_bases",
}


def field_of(finding, iri: str, owned: set[str]) -> str:
    """Return the form field a SHACL finding belongs to ("_general" when none)."""
    if finding.focus == iri:
        return (FIELD_OF_PATH.get(finding.path or "")
                or FIELD_OF_SHAPE.get(finding.shape or "") or "_general")
    if finding.focus in owned:
        shape = finding.shape or ""
        return "rules" if any(w in shape for w in ("Policy", "Rule", "Constraint")) \
            else "fields"
    return "_general"


def _objects(desc: Description, s, p) -> list:
    return sorted((q.object for q in desc.quads if q.subject == s and q.predicate == _n(p)),
                  key=str)


def _one(desc: Description, s, p):
    found = _objects(desc, s, p)
    return found[0] if found else None


def _product_parts(desc: Description) -> dict:
    """Find the dataset, fields and policy a product owns."""
    s = ox.NamedNode(desc.iri)
    datasets = [d for port in _objects(desc, s, DPROD.outputPort)
                for d in _objects(desc, port, DCAT.servesDataset)]
    fields = [f for d in datasets for f in _objects(desc, d, MESH.hasField)]
    policies = [p for p in _objects(desc, s, ODRL.hasPolicy)
                if any(q.subject == p for q in desc.quads)]
    return {"dataset": datasets[0] if datasets else None, "fields": fields,
            "policy": policies[0] if policies else None}


def _rules(desc: Description, policy) -> list[dict]:
    out = []
    if policy is None:
        return out
    for kind, p in (("permission", ODRL.permission), ("prohibition", ODRL.prohibition)):
        for rule in _objects(desc, policy, p):
            action = _one(desc, rule, ODRL.action)
            row = {"kind": kind, "action": action.value if action is not None else "",
                   "operator": "", "purpose": ""}
            for c in _objects(desc, rule, ODRL.constraint):
                if _one(desc, c, ODRL.leftOperand) == _n(ODRL.purpose):
                    op = _one(desc, c, ODRL.operator)
                    right = _one(desc, c, ODRL.rightOperand)
                    row["operator"] = op.value.rsplit("/", 1)[-1] if op is not None else ""
                    row["purpose"] = right.value if right is not None else ""
            out.append(row)
    return sorted(out, key=lambda r: (r["kind"], r["action"], r["purpose"]))


def product_values(desc: Description) -> dict:
    """Return the form values of a product's description."""
    s = ox.NamedNode(desc.iri or "urn:meshkg:new")
    v: dict = {"iri": desc.iri}
    for k, p in {**PRODUCT_SINGLE, **PRODUCT_NOTES}.items():
        o = _one(desc, s, p)
        v[k] = o.value if o is not None else ""
    for k, p in PRODUCT_ONE_IRI.items():
        o = _one(desc, s, p)
        v[k] = o.value if o is not None else ""
    for k, p in PRODUCT_IRIS.items():
        v[k] = [o.value for o in _objects(desc, s, p) if isinstance(o, ox.NamedNode)]
    parts = _product_parts(desc)
    v["fields"] = []
    for f in parts["fields"]:
        def val(p, f=f):
            o = _one(desc, f, p)
            return o.value if o is not None else ""
        v["fields"].append({"iri": f.value, "name": val(RDFS.label),
                            "datatype": val(MESH.datatype), "concept": val(MESH.meansConcept),
                            "personal_data": val(DPV.hasPersonalData)})
    v["rules"] = _rules(desc, parts["policy"])
    return v


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "item"


def product_triples(iri: str, values: Mapping, current: Description) -> list[tuple]:
    """Turn product form values into the product's new description."""
    b = _Builder(iri)
    s = b.s
    for k, p in PRODUCT_SINGLE.items():
        b.text(k, p, values.get(k, ""))
    for k, p in PRODUCT_NOTES.items():
        b.text(k, p, values.get(k, ""), "en")
    for k, p in PRODUCT_ONE_IRI.items():
        if values.get(k, "").strip():
            b.add(s, p, b.iri(k, values[k], k))
    for k, p in PRODUCT_IRIS.items():
        b.iris(k, p, values.get(k, []), k.replace("_", " "))
    managed = {_n(p) for p in (*PRODUCT_SINGLE.values(), *PRODUCT_ONE_IRI.values(),
                               *PRODUCT_IRIS.values(), *PRODUCT_NOTES.values())}
    parts = _product_parts(current)
    drop_nodes: set = set()
    kept_extra: list[tuple] = []
    _fields(b, values.get("fields", []), current, parts, drop_nodes, kept_extra)
    _policy(b, values.get("rules", []), current, parts, drop_nodes, managed,
            values.get("label", ""))
    triples = b.done()
    kept = [t for t in _kept(current, managed, drop_nodes) if t not in kept_extra]
    if not any(p == RDF_TYPE and o == _n(DPROD.DataProduct) for s2, p, o in kept if s2 == s):
        kept.append((s, RDF_TYPE, _n(DPROD.DataProduct)))
    return _unique(kept + triples)


def _fields(b: _Builder, rows: list, current: Description, parts: dict, drop_nodes: set,
            removed: list) -> None:
    rows = [r for r in rows if any((r.get(k) or "").strip()
                                   for k in ("name", "datatype", "concept", "personal_data"))]
    existing = {f.value for f in parts["fields"]}
    if not rows and not existing:
        return
    dataset = parts["dataset"]
    if dataset is None:
        port = ox.NamedNode(f"{b.s.value}/port")
        dataset = ox.NamedNode(f"{b.s.value}/dataset")
        b.add(b.s, DPROD.outputPort, port)
        b.add(port, RDF.type, _n(DCAT.DataService))
        b.add(port, RDFS.label, ox.Literal("Output port"))
        b.add(port, DCAT.servesDataset, dataset)
        b.add(dataset, RDF.type, _n(DCAT.Dataset))
        b.add(dataset, RDFS.label, ox.Literal("Published dataset"))
    kept_iris = set()
    for i, r in enumerate(rows):
        name = (r.get("name") or "").strip()
        if not name:
            b.error("fields", f"field {i + 1} needs a name")
            continue
        given = (r.get("iri") or "").strip()
        f = ox.NamedNode(given) if given in existing else ox.NamedNode(
            f"{b.s.value}/field/{_slug(name)}")
        kept_iris.add(f.value)
        b.add(dataset, MESH.hasField, f)
        b.add(f, RDF.type, _n(MESH.Field))
        b.add(f, RDFS.label, ox.Literal(name))
        for key, p, what in (("datatype", MESH.datatype, "datatype"),
                             ("concept", MESH.meansConcept, "field concept"),
                             ("personal_data", DPV.hasPersonalData, "personal data category")):
            if (r.get(key) or "").strip():
                b.add(f, p, b.iri("fields", r[key], what))
    # fields: their managed triples come from the form; their other triples stay
    for q in current.quads:
        if q.subject.value in existing and (q.predicate in FIELD_MANAGED
                                            or q.subject.value not in kept_iris):
            removed.append((q.subject, q.predicate, q.object))
        if q.predicate == _n(MESH.hasField) and q.subject == dataset:
            removed.append((q.subject, q.predicate, q.object))


def _policy(b: _Builder, rows: list, current: Description, parts: dict, drop_nodes: set,
            managed: set, label: str) -> None:
    rows = [r for r in rows if (r.get("action") or "").strip()
            or (r.get("purpose") or "").strip()]
    clean = []
    for i, r in enumerate(rows):
        kind = (r.get("kind") or "permission").strip()
        op = (r.get("operator") or "").strip()
        if kind not in ("permission", "prohibition"):
            b.error("rules", f"rule {i + 1}: {kind!r} is neither permission nor prohibition")
            continue
        if op and op not in ODRL_OPERATORS:
            b.error("rules", f"rule {i + 1}: {op!r} is not an ODRL 2.2 operator "
                    f"(one of {', '.join(ODRL_OPERATORS)})")
            continue
        action = (r.get("action") or "").strip() or "use"
        if ":" not in action:
            action = str(ODRL) + action
        purpose = (r.get("purpose") or "").strip()
        if purpose and not op:
            op = "isA"
        row = {"kind": kind, "action": action, "operator": op if purpose else "",
               "purpose": purpose}
        for key, what in (("action", "action"), ("purpose", "purpose")):
            if row[key]:
                try:
                    row[key] = expand_iri(row[key], what=f"rule {i + 1} {what}")
                except ValueError as exc:
                    b.error("rules", str(exc))
        clean.append(row)
    policy = parts["policy"]
    if sorted(clean, key=lambda r: (r["kind"], r["action"], r["purpose"])) == \
            _rules(current, policy):
        managed.discard(_n(ODRL.hasPolicy))  # unchanged: keep the policy as it is
        return
    managed.add(_n(ODRL.hasPolicy))
    if policy is not None:
        drop_nodes |= {q.subject for q in _closure(list(current.quads), policy)}
    if not clean:
        return
    p = policy if policy is not None else ox.NamedNode(f"{b.s.value}/policy")
    b.add(b.s, ODRL.hasPolicy, p)
    if policy is not None:  # keep the policy's own description, rebuild its rules
        for q in current.quads:
            if q.subject == policy and q.predicate not in (
                    _n(ODRL.permission), _n(ODRL.prohibition)):
                b.triples.append((q.subject, q.predicate, q.object))
    else:
        b.add(p, RDF.type, _n(ODRL.Set))
        b.add(p, RDF.type, _n(ODRL.Policy))
        b.add(p, ODRL.uid, p)
        b.add(p, ODRL.target, b.s)
        b.add(p, RDFS.label, ox.Literal(f"{label.strip() or 'Product'}: use policy"))
    for row in clean:
        rule = ox.BlankNode()
        b.add(p, ODRL[row["kind"]], rule)
        b.add(rule, RDF.type, _n(ODRL[row["kind"].capitalize()]))
        b.add(rule, ODRL.action, ox.NamedNode(row["action"]))
        if row["purpose"]:
            c = ox.BlankNode()
            b.add(rule, ODRL.constraint, c)
            b.add(c, RDF.type, _n(ODRL.Constraint))
            b.add(c, ODRL.leftOperand, _n(ODRL.purpose))
            b.add(c, ODRL.operator, _n(ODRL[row["operator"]]))
            b.add(c, ODRL.rightOperand, ox.NamedNode(row["purpose"]))


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


def kind_of(desc: Description) -> str | None:
    """Return "product" or "concept" for a description, or None."""
    types = {q.object for q in desc.quads
             if q.subject.value == desc.iri and q.predicate == RDF_TYPE}
    if _n(DPROD.DataProduct) in types:
        return "product"
    if _n(SKOS.Concept) in types:
        return "concept"
    return None


__all__ = ["Change", "Description", "InvalidInput", "VersionConflict", "concept_triples",
           "concept_values", "describe", "drafts", "get_change", "history",
           "product_triples", "product_values", "revert", "save", "set_status"]
