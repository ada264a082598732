"""SKOS in and out, losslessly: a vocabulary of any size is imported as it is (every label,
notation, mapping, collection and XL label kept), with scheme membership that the meshkg
shapes need added in a completion graph; a scheme is exported from the source graphs only,
so import then export gives back a graph isomorphic to the input's SKOS content."""

from __future__ import annotations

from collections import deque
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SKOS

from kg.errors import NotFound
from kg.exchange.common import DEFAULT_BASE
from kg.exchange.queries import load
from kg.exchange.rdfimport import COMPLETION, import_rdf, quiet_literals
from kg.exchange.report import SourceReport
from kg.store.base import Store
from kg.validation import asserted_graphs

SKOSXL = "http://www.w3.org/2008/05/skos-xl#"
_IN = (SKOS.inScheme, SKOS.topConceptOf)


def scheme_for_concepts(src: Graph) -> dict[URIRef, URIRef]:
    """Find a scheme for each concept lacking one: through the broader/narrower hierarchy
    from concepts that have one, else the file's only scheme."""
    concepts = {c for c in src.subjects(RDF.type, SKOS.Concept)}
    known: dict = {}
    for c in concepts:
        s = next((o for p in _IN for o in src.objects(c, p)), None) or \
            next(iter(src.subjects(SKOS.hasTopConcept, c)), None)
        if s is not None:
            known[c] = s
    queue = deque(known)
    while queue:
        c = queue.popleft()
        below = set(src.objects(c, SKOS.narrower)) | set(src.subjects(SKOS.broader, c))
        for n in below:
            if n in concepts and n not in known:
                known[n] = known[c]
                queue.append(n)
    schemes = list(src.subjects(RDF.type, SKOS.ConceptScheme))
    out = {}
    for c in concepts:
        if any(True for p in _IN for _ in src.objects(c, p)):
            continue
        s = known.get(c) or (schemes[0] if len(schemes) == 1 else None)
        if s is not None and isinstance(c, URIRef):
            out[c] = s
    return out


def place_concepts(src: Graph, out, report: SourceReport) -> None:
    """Give each concept without a scheme one (the meshkg shapes ask for it), in `out`."""
    g = out.graph
    placed = scheme_for_concepts(src)
    for c, s in placed.items():
        g.add((c, SKOS.inScheme, s))
    orphans = [c for c in src.subjects(RDF.type, SKOS.Concept) if isinstance(c, URIRef)
               and c not in placed and not any(True for p in _IN for _ in src.objects(c, p))]
    if orphans:
        scheme = URIRef(out.base + "scheme")
        g.add((scheme, RDF.type, SKOS.ConceptScheme))
        g.add((scheme, SKOS.prefLabel, Literal(f"Concepts of {report.source.split('/')[-1]}",
                                               lang="en")))
        for c in orphans:
            g.add((c, SKOS.inScheme, scheme))
        report.findings.append(f"{len(orphans)} concepts in no scheme were placed in the new "
                               f"scheme <{scheme}>")
    if placed:
        report.findings.append(f"{len(placed)} concepts had no skos:inScheme; it was derived "
                               "from the hierarchy (or the file's only scheme)")


def _complete(store, src: Graph, out, report: SourceReport) -> list[str]:
    place_concepts(src, out, report)
    n = len(set(src.subjects(RDF.type, SKOS.Concept)))
    report.mapped += [f"all {len(src)} triples kept as they are ({n} concepts: labels in every "
                      "language, notations, mappings, collections, XL labels)"]
    return []


def import_skos(store: Store, path: Path, report: SourceReport, *,
                base_iri: str = DEFAULT_BASE, validate: bool = True,
                max_bytes: int | None = None) -> SourceReport:
    """Import a SKOS vocabulary file losslessly into its own graph."""
    return import_rdf(store, path, report, "skos", _complete, base_iri=base_iri,
                      validate=validate, max_bytes=max_bytes)


_NOTES = {SKOS.note, SKOS.definition, SKOS.scopeNote, SKOS.example, SKOS.historyNote,
          SKOS.editorialNote, SKOS.changeNote}


def scheme_content(g: Graph, scheme: URIRef, members: set) -> Graph:
    """Select a scheme's triples from a graph: the scheme, its concepts, collections over
    them, XL labels, notes given as resources and every blank node reachable from those;
    in a graph that holds this scheme only, also blank nodes nothing points to (UAT keeps
    notes of deleted concepts that way)."""
    keep = {scheme} | set(members)
    if set(g.subjects(RDF.type, SKOS.ConceptScheme)) == {scheme}:
        keep |= {b for b in set(g.subjects()) if isinstance(b, BNode)
                 and next(g.subject_predicates(b), None) is None}
    collections = set(g.subjects(RDF.type, SKOS.Collection)) | set(
        g.subjects(RDF.type, SKOS.OrderedCollection))
    grew = True
    while grew:
        grew = False
        for col in collections - keep:
            items = set(g.objects(col, SKOS.member)) | _list_items(g, col)
            if items & keep:
                keep.add(col)
                grew = True
    out = Graph()
    for prefix, ns in g.namespaces():
        out.bind(prefix, ns)
    todo = deque(keep)
    seen = set()
    while todo:
        s = todo.popleft()
        if s in seen:
            continue
        seen.add(s)
        for p, o in g.predicate_objects(s):
            out.add((s, p, o))
            if isinstance(o, BNode) or (isinstance(o, URIRef) and (
                    str(p).startswith(SKOSXL) or p in _NOTES)):
                todo.append(o)
    return out


def _list_items(g: Graph, col) -> set:
    items = set()
    for head in g.objects(col, SKOS.memberList):
        node, n = head, 0
        while node != RDF.nil and node is not None and n < 100_000:
            items |= set(g.objects(node, RDF.first))
            node, n = g.value(node, RDF.rest), n + 1
    return items


def export_scheme(store: Store, scheme: str) -> Graph:
    """Return a scheme's SKOS content as it was loaded (completion graphs left out)."""
    iri = URIRef(scheme)
    members = {r["c"] for r in store.query(load("scheme_members"),
                                           bindings={"scheme": iri}).rows}
    graphs = {str(r["g"]) for r in store.query(load("scheme_graphs"),
                                               bindings={"scheme": iri}).rows}
    graphs = {g[:-len(COMPLETION)] if g.endswith(COMPLETION) else g for g in graphs}
    graphs &= set(asserted_graphs(store))
    if not graphs:
        raise NotFound(f"no concept scheme <{scheme}> in the store")
    out = Graph()
    for g in sorted(graphs):
        with quiet_literals():
            part = scheme_content(store.graph(g), iri, members)
        for t in part:
            out.add(t)
        for prefix, ns in part.namespaces():
            out.bind(prefix, ns, override=False)
    if (iri, None, None) not in out and not members:
        raise NotFound(f"no concept scheme <{scheme}> in the store")
    return out
