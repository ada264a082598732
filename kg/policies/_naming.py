"""How a term is shown in an explanation: its label, its prefixed name, its IRI.

`local_name` and `prefixed_name` are kg.governance's too (its dashboard and plain words)."""

from __future__ import annotations

from datetime import date, datetime

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import FOAF, RDFS, SDO, SKOS
from rdflib.term import Node

from kg.namespaces import ODRL, PREFIXES

_TERM_NAMES = (SKOS.prefLabel, RDFS.label)
#: what names a party (an assignee): standard data often names an agent by foaf:name,
#: schema:name (either scheme) or vcard:fn only, in this order after the labels
PARTY_NAMES = (RDFS.label, SKOS.prefLabel, FOAF.name, SDO.name,
               URIRef("http://schema.org/name"), URIRef("http://www.w3.org/2006/vcard/ns#fn"))


def _label(graph: Graph, node: Node | None, *, lower: bool = False,
           props: tuple[URIRef, ...] = _TERM_NAMES) -> str:
    """Return the English name of a term by the first of `props` it has (prefLabel, then
    label, unless told), else its local name."""
    if node is None:
        return ""
    if isinstance(node, Literal):
        return str(node)
    for prop in props:
        labels = list(graph.objects(node, prop))
        chosen = next((la for la in labels if getattr(la, "language", None) == "en"), None)
        chosen = chosen or next(iter(sorted(labels)), None)
        if chosen is not None:
            text = str(chosen)
            return text[:1].lower() + text[1:] if lower else text
    return "" if isinstance(node, BNode) else local_name(node)


def local_name(iri: Node | str) -> str:
    """Return the last segment of an IRI, after its last '#' or '/'."""
    text = str(iri)
    return text.rstrip("/#").rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def prefixed_name(iri: str) -> str:
    """Return the IRI as a prefixed name where a namespace meshkg knows starts it."""
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def _short(node: Node | None) -> str:
    """Return a prefixed name for known namespaces, else the IRI or literal text."""
    if node is None:
        return "(none)"
    return prefixed_name(str(node)) if isinstance(node, URIRef) else str(node)


def _show(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Literal):
        return f"{value}^^{_short(value.datatype)}" if value.datatype else str(value)
    return str(value)


def _name(node: Node) -> str:
    return str(node) if isinstance(node, URIRef) else f"_:{node}"


def _opt(node: Node | None) -> str | None:
    return None if node is None else str(node)


def _uid(graph: Graph, policy: Node) -> str:
    uid = graph.value(policy, ODRL.uid)
    return str(uid) if uid is not None else _name(policy)
