"""Materialise the entailments discovery needs, in their own named graphs.

meshkg does not run a whole-graph OWL-RL closure (owlrl needs minutes at a
thousand products). It materialises, with SPARQL rules, the part of OWL-RL
that discovery uses, and owlrl is the reference the tests compare against:

* schema graph: rdfs:subClassOf and rdfs:subPropertyOf closures
  (OWL-RL scm-sco, scm-spo), owl:inverseOf both ways, and the SKOS concept
  hierarchy (skos:broader/narrower inverses, skos:broaderTransitive and
  narrowerTransitive closures: S22, S24, S25 of the SKOS reference);
* one instance graph per source graph: types from the class hierarchy
  (cax-sco), super-properties (prp-spo1), inverses (prp-inv1/2) and
  symmetric properties (prp-symp).

A full run derives every instance graph by reading (the sources as N-Triples, the rules
of the schema graph) and writes them all with one store.write_quads, since the store's
update path writes far slower than it reads. A change to one source re-derives only that
source's instance graph, and when the
caller passes what changed (delta(): the old and new N-Triples of the graph) only the
entailments about the resources the changed triples touch; the schema graph is
recomputed when the ontology or a concept scheme changes, and instance graphs only
when the class or property hierarchy did.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import URIRef

from kg import searchindex
from kg.namespaces import INFERRED_PREFIX, META_GRAPH, SCHEMA_INFERRED_GRAPH
from kg.queries import load_query
from kg.store import ntdiff
from kg.store.base import Store, term_to_sparql

log = logging.getLogger(__name__)

HIERARCHY_PREDICATES = (
    "http://www.w3.org/2000/01/rdf-schema#subClassOf",
    "http://www.w3.org/2000/01/rdf-schema#subPropertyOf",
    "http://www.w3.org/2002/07/owl#inverseOf",
)
SCHEMA_PREDICATES = HIERARCHY_PREDICATES + (
    "http://www.w3.org/2004/02/skos/core#broader",
    "http://www.w3.org/2004/02/skos/core#narrower",
)


@dataclass
class InferenceReport:
    """What an inference run did."""

    schema_recomputed: bool = False
    graphs: dict[str, int] = field(default_factory=dict)
    #: entries the search index wrote (kg.searchindex)
    indexed: int = 0
    seconds: float = 0.0

    @property
    def triples(self) -> int:
        """The number of inferred triples written in this run."""
        return sum(self.graphs.values())


def instance_graph(source: str) -> str:
    """Return the graph that holds the entailments of one source graph."""
    return INFERRED_PREFIX + source


def source_graphs(store: Store) -> list[str]:
    """Return the asserted graphs inference reads."""
    from kg.validation import VALIDATION_GRAPH
    return [g for g in store.graph_names() if not g.startswith(INFERRED_PREFIX)
            and g not in (META_GRAPH, VALIDATION_GRAPH)]


def _using(graphs: Iterable[str]) -> str:
    return "".join(f"USING <{g}>\n" for g in graphs)


def _schema_fingerprint(store: Store) -> str:
    res = store.query(load_query("inference_fingerprint"),
                      default_graphs=[SCHEMA_INFERRED_GRAPH])
    h = hashlib.sha256()
    for r in sorted(f"{r['s']} {r['p']} {r['o']}" for r in res.rows):
        h.update(r.encode())
    return h.hexdigest()


def infer_schema(store: Store, sources: list[str] | None = None) -> bool:
    """Recompute the schema graph; return True when the class/property hierarchy changed."""
    sources = sources if sources is not None else source_graphs(store)
    before = _schema_fingerprint(store) if store.has_graph(SCHEMA_INFERRED_GRAPH) else ""
    update = load_query("inference_schema").replace("#USING#", _using(sources)).replace(
        "#TARGET#", SCHEMA_INFERRED_GRAPH)
    store.update(update)
    _close(store, SCHEMA_INFERRED_GRAPH, TRANSITIVE)
    store.update(load_query("inference_narrower_transitive").replace(
        "#TARGET#", SCHEMA_INFERRED_GRAPH))
    return _schema_fingerprint(store) != before


#: properties whose closure the schema graph holds (scm-sco, scm-spo, SKOS S24)
TRANSITIVE = ("http://www.w3.org/2000/01/rdf-schema#subClassOf",
              "http://www.w3.org/2000/01/rdf-schema#subPropertyOf",
              "http://www.w3.org/2004/02/skos/core#broaderTransitive")


def _count(store: Store, graph: str) -> int:
    res = store.query(load_query("inference_count"), default_graphs=[graph])
    return int(res.rows[0]["n"]) if res.rows else 0


def _close(store: Store, graph: str, properties, max_steps: int = 64) -> None:
    """Complete transitive closures in a graph by joining it with itself to a fixpoint."""
    step = load_query("inference_closure_step").replace("#TARGET#", graph)
    size = _count(store, graph)
    for _ in range(max_steps):
        for p in properties:
            store.update(step.replace("#P#", p))
        new = _count(store, graph)
        if new == size:
            return
        size = new
    log.warning("closure of %s stopped after %d steps", graph, max_steps)


def infer_source(store: Store, source: str) -> int:
    """Re-derive the instance entailments of one source graph; return their count."""
    target = instance_graph(source)
    update = load_query("inference_instances").replace("#SOURCE#", source).replace(
        "#TARGET#", target).replace("#SCHEMA#", SCHEMA_INFERRED_GRAPH)
    store.update(update)
    return _count(store, target)


@dataclass(frozen=True)
class _Rules:
    """The instance rules of the schema graph, read once for a full run."""

    #: cax-sco: class -> its strict super-classes
    sco: dict
    #: prp-spo1: property -> its strict super-properties
    spo: dict
    #: prp-inv1/2: property -> its inverses
    inv: dict
    #: prp-symp: the symmetric properties
    symp: frozenset


def _rules(store: Store) -> _Rules:
    from kg.store.oxigraph import to_oxigraph
    maps: dict[str, dict] = {"sco": {}, "spo": {}, "inv": {}}
    symp = set()
    res = store.query(load_query("inference_rules"), default_graphs=[SCHEMA_INFERRED_GRAPH])
    for r in res.rows:
        p = to_oxigraph(r["p"])
        if str(r["rule"]) == "symp":
            symp.add(p)
        else:
            maps[str(r["rule"])].setdefault(p, set()).add(to_oxigraph(r["q"]))
    return _Rules(**maps, symp=frozenset(symp))


def _triples(store: Store, graph: str) -> set[tuple]:
    """Read a graph whole as N-Triples (far cheaper than as query results)."""
    data = store.dump(graph, "ntriples") if store.has_graph(graph) else b""
    return {(q.subject, q.predicate, q.object)
            for q in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)}


_OX_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


def entailments(store: Store, source: str, rules: _Rules | None = None) -> set[tuple]:
    """Return the instance entailments of one source graph as pyoxigraph terms, reading only.

    The rules of inference_instances.rq, applied to the source read whole with the
    closures of the schema graph: cax-sco,
    prp-spo1, prp-inv1/2 over the source and those, prp-symp over all of that, a second
    prp-spo1 round over everything derived, less what the source states.
    """
    rules = rules or _rules(store)
    stated = _triples(store, source)
    derived = {(x, _OX_TYPE, d) for x, p, c in stated if p == _OX_TYPE and c in rules.sco
               for d in rules.sco[c]}
    derived |= {(x, q, y) for x, p, y in stated if p in rules.spo for q in rules.spo[p]}
    derived |= {(y, q, x) for x, p, y in stated | derived if p in rules.inv
                and not isinstance(y, ox.Literal) for q in rules.inv[p]}
    derived |= {(y, p, x) for x, p, y in stated | derived if p in rules.symp
                and not isinstance(y, ox.Literal)}
    derived |= {(x, q, y) for x, p, y in derived if p in rules.spo for q in rules.spo[p]}
    return derived - stated


def _has_blank(triple: tuple) -> bool:
    return isinstance(triple[0], ox.BlankNode) or isinstance(triple[2], ox.BlankNode)


#: a full run writes derived instance graphs in batches of about this many quads, so
#: that it never holds every entailment of a large mesh at once (1.2M at 10,000 products)
FLUSH_QUADS = 500_000


def _infer_sources(store: Store, sources: list[str]) -> dict[str, int]:
    """Re-derive the instance graphs of sources by reading, then write them in batches.

    New instance graphs and replaced ones go in separate writes: the embedded store keeps
    the quads' blank nodes as they are (store.write_quads), so an entailment about a
    source's blank node names that same node; a remote store labels them anew on every
    request, and a replaced graph with blank nodes is re-derived by the SPARQL update
    instead (on every store, as the tests compare). A graph that already holds what was
    derived is left as it is.
    """
    rules = _rules(store)
    counts: dict[str, int] = {}
    batches: dict[bool, dict[str, list]] = {False: {}, True: {}}  # exists -> replace
    drop: list[str] = []
    by_update: list[str] = []

    def flush(exists: bool) -> None:
        batch = batches[exists]
        if batch or (exists and drop):
            store.write_quads(batch, drop=drop if exists else ())
            if exists:
                drop.clear()
        batches[exists] = {}

    for g in sources:
        found = entailments(store, g, rules)
        counts[g] = len(found)
        target = instance_graph(g)
        exists = store.has_graph(target)
        if exists and _triples(store, target) == found:
            continue  # a re-run: nothing to write
        if any(_has_blank(t) for t in found) and (exists or not store.keeps_blank_nodes):
            by_update.append(g)
            continue
        if not found:  # as the update leaves it: no graph
            if exists:
                drop.append(target)
            continue
        name = ox.NamedNode(target)
        batches[exists][target] = [ox.Quad(s, p, o, name) for s, p, o in found]
        if sum(len(q) for q in batches[exists].values()) >= FLUSH_QUADS:
            flush(exists)
    flush(False)
    flush(True)
    for g in by_update:
        counts[g] = infer_source(store, g)
    return {g: counts[g] for g in sources}


@dataclass(frozen=True)
class Delta:
    """What changed in one source graph, for re-deriving only what it affects."""

    #: (predicate, subject) of changed triples whose subject is an IRI
    subjects: frozenset[tuple[str, str]]
    #: (predicate, object) of changed triples whose object is an IRI
    objects: frozenset[tuple[str, str]]
    #: a triple mentioning a blank node changed (blank nodes are re-derived wholesale)
    blank: bool
    #: a triple that the schema graph is computed from changed
    schema: bool


_SCHEMA_PREDICATES = {p.encode() for p in SCHEMA_PREDICATES}
_SYMMETRIC = b"<http://www.w3.org/2002/07/owl#SymmetricProperty>"


def delta(old: bytes, new: bytes) -> Delta:
    """Return what changed between two N-Triples versions of a source graph."""
    removed, added = ntdiff.changed_lines(old, new)
    subjects: set[tuple[str, str]] = set()
    objects: set[tuple[str, str]] = set()
    blank = schema = False
    for line in removed | added:
        s, p, o = ntdiff.terms(line)
        blank = blank or ntdiff.has_blank(line)
        schema = schema or p[1:-1] in _SCHEMA_PREDICATES or o == _SYMMETRIC
        subject, obj, pred = ntdiff.iri(s), ntdiff.iri(o), ntdiff.iri(p)
        if subject is not None:
            subjects.add((pred, subject))
        if obj is not None:
            objects.add((pred, obj))
    return Delta(frozenset(subjects), frozenset(objects), blank, schema)


def _anchors(store: Store, change: Delta) -> set[str]:
    """Return the IRIs whose entailments a change can alter.

    A changed triple `s p o` alters what is entailed about s only when p is rdf:type, has
    a super-property, is one, or has an inverse or is symmetric (the entailment may then
    have been asserted, or be no longer); and about o only when p has an inverse or is
    symmetric. Triples of any other property entail nothing.
    """
    res = store.query(load_query("inference_rule_properties"),
                      default_graphs=[SCHEMA_INFERRED_GRAPH])
    about_subject = {str(r["p"]) for r in res.rows} | {_RDF_TYPE}
    # a computed boolean: Virtuoso answers it as the integer 1 (docs/remote.md)
    about_object = {str(r["p"]) for r in res.rows if str(r["turns"]) in ("true", "1")}
    return {s for p, s in change.subjects if p in about_subject} | {
        o for p, o in change.objects if p in about_object}


_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def infer_source_delta(store: Store, source: str, change: Delta) -> int:
    """Re-derive the instance entailments of one source graph about what `change` touched."""
    target = instance_graph(source)
    anchors = _anchors(store, change)
    if not anchors and not change.blank:
        return _count(store, target)
    values = "VALUES ?s { " + " ".join(term_to_sparql(URIRef(i)) for i in sorted(anchors)) + " }"
    ops = (load_query("inference_instances_delta")
           .replace("#SOURCE#", source).replace("#TARGET#", target)
           .replace("#SCHEMA#", SCHEMA_INFERRED_GRAPH))
    if not change.blank:
        bound = "{ " + values + " }"
        update = (ops.replace("#IN_SOURCE_OBJECTS#", bound).replace("#IN_SOURCE#", bound)
                  .replace("#IN_TARGET#", bound))
    else:
        # blank nodes cannot be named in a query: each step's anchors (the IRIs, and the
        # blank nodes of the source or of its entailments the step binds, as the old
        # sub-SELECTs did) are first marked in a graph of their own within the same
        # update, which the step then joins (a sub-SELECT in every step cost 1.35 s for
        # a 45,000-triple file). The graph goes at the end of the update.
        marks = f"{INFERRED_PREFIX}anchors:{uuid.uuid4().hex}"

        def mark(kind: str) -> str:
            return f"GRAPH <{marks}> {{ ?s <{marks}#{kind}> <{marks}> }}"

        first = "".join(
            f"INSERT {{ {mark(kind)} }} WHERE {{ {{ {values} }} UNION {{ GRAPH <{graph}> "
            f"{{ {pattern} }} FILTER(isBlank(?s)) }} }} ;\n"
            for kind, graph, pattern in (("subject", source, "?s ?any ?v"),
                                         ("object", source, "?v ?any ?s"),
                                         ("target", target, "?s ?any ?v")))
        steps = (ops.replace("#IN_SOURCE_OBJECTS#", mark("object"))
                 .replace("#IN_SOURCE#", mark("subject"))
                 .replace("#IN_TARGET#", mark("target")))
        at = steps.index("DELETE")  # after the prologue (pyoxigraph wants it first)
        update = steps[:at] + first + steps[at:] + f" ;\nDROP SILENT GRAPH <{marks}>"
    store.update(update)
    return _count(store, target)


def _touches_schema(store: Store, graphs: Iterable[str],
                    deltas: Mapping[str, Delta] | None = None) -> bool:
    for g in graphs:
        if deltas and g in deltas:
            if deltas[g].schema:
                return True
            continue
        if not store.has_graph(g):
            return True  # a dropped source may have held schema triples
        if store.query(load_query("inference_has_schema"), default_graphs=[g]).boolean:
            return True
    return False


def infer(store: Store, changed: Iterable[str] | None = None, *,
          deltas: Mapping[str, Delta] | None = None) -> InferenceReport:
    """Materialise entailments: everything, or only what the changed graphs affect.

    With `deltas` (see delta()), a changed source graph whose entailments exist is
    re-derived only for the resources its changed triples mention. The whole run holds
    the store's write turn: what it reads is what it derives from."""
    with store.writing():
        return _infer(store, changed, deltas)


def _infer(store: Store, changed: Iterable[str] | None,
           deltas: Mapping[str, Delta] | None) -> InferenceReport:
    start = time.perf_counter()
    report = InferenceReport()
    sources = source_graphs(store)
    # the search index graphs are not per-source graphs: searchindex.refresh keeps them
    stale = [g for g in store.graph_names() if g.startswith(INFERRED_PREFIX)
             and g != SCHEMA_INFERRED_GRAPH and g not in searchindex.GRAPHS
             and g[len(INFERRED_PREFIX):] not in sources]
    for g in stale:
        store.drop(g)
    if changed is None:
        infer_schema(store, sources)
        report.schema_recomputed = True
        todo = sources
    else:
        changed = list(changed)
        todo = [g for g in changed if g in sources]
        if _touches_schema(store, changed, deltas) \
                or not store.has_graph(SCHEMA_INFERRED_GRAPH):
            report.schema_recomputed = True
            if infer_schema(store, sources):
                todo, deltas = sources, None  # the hierarchy changed: re-derive it all
    whole = [g for g in todo if todo == sources or not (
        deltas and g in deltas and store.has_graph(instance_graph(g)))]
    # a source re-derived whole is read and its entailments written, as in a full run:
    # the rules as one SPARQL update over a large new source take minutes on Virtuoso
    derived = _infer_sources(store, whole) if whole else {}
    for g in todo:
        report.graphs[g] = derived[g] if g in derived else infer_source_delta(
            store, g, deltas[g])
    everything = changed is None or (report.schema_recomputed and todo == sources)
    # `changed`, not `todo`: a dropped graph's index entries must go too
    report.indexed = searchindex.refresh(store, None if everything else changed)
    _derived(store, None if changed is None else changed)
    report.seconds = time.perf_counter() - start
    return report


#: a gated write marks the graphs it changed in the meta graph, in the same atomic
#: write (kg.gate.write); inference removes the marks of what it derived from. A mark
#: left means a process stopped in between (a kill after a load's commit): `recover`
#: derives what is missing before the store serves.
PENDING = ox.NamedNode("urn:meshkg:pending-derivation")
DERIVE = ox.NamedNode("https://w3id.org/meshkg/ontology#derive")


def pending_marks(graphs: Iterable[str]) -> list:
    """The quads that mark graphs as changed and not yet derived from."""
    return [ox.Quad(PENDING, DERIVE, ox.NamedNode(g), ox.NamedNode(META_GRAPH))
            for g in sorted(set(graphs))]


def _pending(store: Store) -> list[str]:
    rows = store.query(f"SELECT ?g {{ GRAPH <{META_GRAPH}> {{ <{PENDING.value}> "
                       f"<{DERIVE.value}> ?g }} }}").rows
    return sorted(str(r["g"]) for r in rows)


def _derived(store: Store, graphs: Iterable[str] | None) -> None:
    if not store.has_graph(META_GRAPH):
        return
    if graphs is None:
        store.update(f"DELETE WHERE {{ GRAPH <{META_GRAPH}> {{ <{PENDING.value}> "
                     f"<{DERIVE.value}> ?g }} }}")
        return
    marks = " ".join(f"<{PENDING.value}> <{DERIVE.value}> {term_to_sparql(URIRef(g))} ."
                     for g in sorted(set(graphs)))
    if marks:
        store.update(f"DELETE DATA {{ GRAPH <{META_GRAPH}> {{ {marks} }} }}")


def recover(store: Store) -> InferenceReport | None:
    """Derive what a stopped process left underived (entailments, search index) for the
    graphs its last writes changed; None when nothing was left. Run at open, before the
    store serves (the CLI's and the web app's open)."""
    with store.writing():
        if not store.has_graph(META_GRAPH):
            return None
        pending = _pending(store)
        if not pending:
            return None
        log.warning("a write was not followed by its inference (the process stopped?): "
                    "deriving for %d graph(s) now", len(pending))
        return infer(store, changed=pending)
