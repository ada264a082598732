"""Resolve the names a request gives (IRI, prefixed name or short name) to terms."""

from __future__ import annotations

from datetime import UTC, date, datetime
from difflib import get_close_matches

from rdflib import RDF, Graph, URIRef

from kg.errors import UsageError
from kg.namespaces import DPV, ODRL, PREFIXES
from kg.policies._naming import _short, local_name
from kg.policies.reading import _action_iri, _right_operands
from kg.policies.vocabulary import _PURPOSE_PARENT, ODRL_ACTIONS


def resolve_action(graph: Graph, action: str) -> URIRef:
    """Resolve an action given as IRI, prefixed name or short name, or raise UsageError."""
    return _resolve_known(graph, "action", action, _known_actions(graph), ODRL)


def resolve_purpose(graph: Graph, purpose: str) -> URIRef:
    """Resolve a purpose given as IRI, prefixed name or short name, or raise UsageError."""
    return _resolve_known(graph, "purpose", purpose, _known_purposes(graph), DPV)


def _resolve_known(graph: Graph, what: str, name: str, known: set[URIRef], home) -> URIRef:
    found = _resolve_name(graph, name, known, home)
    if found is None:
        raise _unknown(what, name, known, home)
    return found


def _known_actions(graph: Graph) -> set[URIRef]:
    known = {ODRL[name] for name in ODRL_ACTIONS}
    known.update(s for s in graph.subjects(RDF.type, ODRL.Action) if isinstance(s, URIRef))
    known.update(_action_iri(graph, a) for a in graph.objects(None, ODRL.action))
    for s, o in graph.subject_objects(ODRL.includedIn):
        known.update((s, o))
    return {a for a in known if isinstance(a, URIRef)}


def _known_purposes(graph: Graph) -> set[URIRef]:
    known = set(graph.transitive_subjects(RDF.type, DPV.Purpose))
    for parent in _PURPOSE_PARENT:
        known.update(graph.transitive_subjects(parent, DPV.Purpose))
    for c in graph.subjects(ODRL.leftOperand, ODRL.purpose):
        known.update(_right_operands(graph, c))
    return {p for p in known if isinstance(p, URIRef)}


def _resolve_name(graph: Graph, name: str, known: set[URIRef], home) -> URIRef | None:
    if not isinstance(name, str) or not name.strip():
        return None
    name = name.strip()
    expanded = _expand(graph, name)
    if expanded is not None:
        return expanded if expanded in known else None
    if home[name] in known:
        return home[name]
    by_local = [k for k in known if local_name(k) == name]
    return by_local[0] if len(by_local) == 1 else None


def _unknown(what: str, given: str, known: set[URIRef], home) -> UsageError:
    """Build the error for an unknown name: close matches first, then the choices."""
    choices = [_short(k) for k in sorted(known, key=lambda k: (not k.startswith(home), str(k)))]
    close = get_close_matches(str(given), [local_name(k) for k in known], n=3)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    shown = ", ".join(choices[:80]) + (f", … ({len(choices)} in all)" if len(choices) > 80 else "")
    return UsageError(f"unknown {what} {given!r}{hint}; known {what}s: {shown}", detail=choices)


def _expand(graph: Graph, name: str) -> URIRef | None:
    """Expand a full IRI or a prefixed name; None for a bare name."""
    if name.startswith(("http://", "https://", "urn:")):
        return URIRef(name)
    prefix, sep, local = name.partition(":")
    if not sep:
        return None
    namespaces = dict(PREFIXES)
    namespaces.update((p, str(ns)) for p, ns in graph.namespaces() if p)
    if prefix in namespaces:
        return URIRef(namespaces[prefix] + local)
    return URIRef(name)


def _iri(graph: Graph, value: str, what: str) -> URIRef:
    expanded = _expand(graph, value) if isinstance(value, str) else None
    if expanded is None:
        raise UsageError(f"{what} must be an IRI or prefixed name, got {value!r}")
    return expanded


def _checked_time(at: datetime | date | None) -> datetime | date:
    if at is None:
        return datetime.now(UTC)
    if not isinstance(at, date):
        raise UsageError(f"at must be a date or datetime, got {at!r}")
    return at
