"""Evaluate constraints, refinements and logical constraints against a request, and match
actions, targets and parties through their hierarchies."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import partial

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from kg.namespaces import ODRL
from kg.policies._naming import _name, _opt, _short, _show
from kg.policies.model import ConstraintResult, _Request
from kg.policies.reading import _closure, _members, _right_operands
from kg.policies.vocabulary import (
    _ASSET_PARENT,
    _LOGICAL,
    _ORDER_OPERATORS,
    _PARTY_PARENT,
    _PLACE_PARENT,
    _PURPOSE_PARENT,
    _SET_OPERATORS,
    MISSING,
    SATISFIED,
    UNKNOWN,
    VIOLATED,
)

# ------------------------------------------------------ hierarchy resolution


def _action_covers(graph: Graph, rule_action: Node, requested: URIRef) -> bool:
    """Return True when requested is rule_action or included in it (odrl:includedIn)."""
    return rule_action in _closure(graph, requested, (ODRL.includedIn,))


def _prohibition_covers(graph: Graph, rule_action: Node, requested: URIRef) -> bool:
    """Return True when the action, or one it implies (odrl:implies), is prohibited.

    odrl:implies says the implied action must not be prohibited for the action to
    be exercised, so prohibiting the implied action prohibits the implying one.
    """
    return any(_action_covers(graph, rule_action, a)
               for a in _closure(graph, requested, (ODRL.implies,)))


def _is_under(graph: Graph, value: Node, ref: Node, parents: tuple[URIRef, ...]) -> bool:
    """Return True when value is ref or narrower than / part of ref, transitively."""
    return value == ref or ref in _closure(graph, value, parents)


def _party_matches(graph: Graph, party: URIRef, assignees: list[Node]) -> bool:
    ancestors = _closure(graph, party, _PARTY_PARENT)
    return any(a in ancestors for a in assignees)


def _target_matches(graph: Graph, target: URIRef, targets: list[Node]) -> bool:
    ancestors = _closure(graph, target, _ASSET_PARENT)
    return any(t in ancestors for t in targets)


# ---------------------------------------------------- constraint evaluation


def _compare_set(parents: tuple[URIRef, ...], narrower_equals: bool, graph: Graph,
                 operator: URIRef, value: Node, rights: list[Node]) -> tuple[str, str]:
    """Compare an IRI value with set operators; isA/isPartOf always follow the hierarchy.

    With narrower_equals (purposes), eq and isAnyOf/isAllOf/isNoneOf also accept
    a narrower value: a DPV purpose is a kind of each of its broader purposes.
    """
    def under(ref: Node) -> bool:
        return _is_under(graph, value, ref, parents)

    def same(ref: Node) -> bool:
        return under(ref) if narrower_equals else value == ref

    if operator in (ODRL.eq, ODRL.neq) and len(rights) != 1:
        return UNKNOWN, f"{_short(operator)} needs exactly one rightOperand"
    tests = {
        ODRL.eq: lambda: same(rights[0]),
        ODRL.neq: lambda: not same(rights[0]),
        ODRL.isA: lambda: any(under(r) for r in rights),
        ODRL.isPartOf: lambda: any(under(r) for r in rights),
        ODRL.isAnyOf: lambda: any(same(r) for r in rights),
        ODRL.isAllOf: lambda: all(same(r) for r in rights),
        ODRL.isNoneOf: lambda: not any(same(r) for r in rights),
    }
    ok = tests[operator]()
    listed = ", ".join(_short(r) for r in rights)
    verdict = "matches" if ok else "does not match"
    return (SATISFIED if ok else VIOLATED), f"{_short(value)} {verdict} {_short(operator)} {listed}"


def _compare_time(graph: Graph, operator: URIRef, at: datetime | date,
                  rights: list[Node]) -> tuple[str, str]:
    """Compare the request time with an xsd:date (by day, in UTC) or xsd:dateTime."""
    if len(rights) != 1 or not isinstance(rights[0], Literal):
        return UNKNOWN, "dateTime needs one literal rightOperand"
    bound = rights[0].toPython()
    if isinstance(bound, datetime):
        left, right = _as_datetime(at), _as_datetime(bound)
    elif isinstance(bound, date):
        left, right = _as_datetime(at).date(), bound
    else:
        return UNKNOWN, f"rightOperand {rights[0]!r} is not an xsd:date or xsd:dateTime"
    ops = {ODRL.eq: left == right, ODRL.neq: left != right, ODRL.lt: left < right,
           ODRL.lteq: left <= right, ODRL.gt: left > right, ODRL.gteq: left >= right}
    ok = ops[operator]
    verdict = "is" if ok else "is not"
    reason = f"{left.isoformat()} {verdict} {_short(operator)} {right.isoformat()}"
    return (SATISFIED if ok else VIOLATED), reason


@dataclass(frozen=True)
class _Operand:
    """How one leftOperand takes its value from the request and compares it."""

    noun: str
    value: Callable[[_Request], object]
    operators: frozenset
    compare: Callable[[Graph, URIRef, object, list[Node]], tuple[str, str]]


_OPERANDS = {
    ODRL.purpose: _Operand("purpose", lambda r: r.purpose, _SET_OPERATORS,
                           partial(_compare_set, _PURPOSE_PARENT, True)),
    ODRL.recipient: _Operand("party", lambda r: r.party, _SET_OPERATORS,
                             partial(_compare_set, _PARTY_PARENT, False)),
    ODRL.spatial: _Operand("spatial", lambda r: r.spatial, _SET_OPERATORS,
                           partial(_compare_set, _PLACE_PARENT, False)),
    ODRL.dateTime: _Operand("date", lambda r: r.at, _ORDER_OPERATORS,
                            _compare_time),
}


def _evaluate(graph: Graph, request: _Request, node: Node) -> ConstraintResult:
    """Evaluate a constraint, refinement or logical constraint against the request."""
    for prop, logic in _LOGICAL.items():
        if graph.value(node, prop) is not None:
            parts = [_evaluate(graph, request, m) for m in _members(graph, node, prop)]
            state = _combine(logic, [p.state for p in parts])
            reason = f"{logic} over {len(parts)} constraints: {state}"
            return ConstraintResult(_name(node), state, reason, operands=parts)
    left = graph.value(node, ODRL.leftOperand)
    operator = graph.value(node, ODRL.operator)
    rights = _right_operands(graph, node)

    def result(state: str, reason: str, value: object = None) -> ConstraintResult:
        return ConstraintResult(_name(node), state, reason, _opt(left), _opt(operator),
                                [_show(r) for r in rights], _show(value))

    operand = _OPERANDS.get(left)
    if operand is None:
        return result(UNKNOWN, f"leftOperand {_short(left)} is not supported: "
                               "cannot be evaluated")
    if operator not in operand.operators:
        return result(UNKNOWN, f"operator {_short(operator)} is not supported "
                               f"for {_short(left)}: cannot be evaluated")
    if not rights:
        return result(UNKNOWN, "no rightOperand (rightOperandReference is not supported)")
    value = operand.value(request)
    if value is None:
        return result(MISSING, f"no {operand.noun} given")
    return result(*operand.compare(graph, operator, value, rights), value)


def _as_datetime(value: datetime | date) -> datetime:
    """Return an aware UTC datetime; naive times count as UTC, dates as midnight."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time())
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _combine(logic: str, states: list[str]) -> str:
    """Combine states (Kleene style: an undetermined part leaves the whole undetermined)."""
    undetermined = next((s for s in (UNKNOWN, MISSING) if s in states), None)
    if logic == "and":
        if VIOLATED in states:
            return VIOLATED
        return undetermined or SATISFIED
    if logic == "or":
        if SATISFIED in states:
            return SATISFIED
        return undetermined or VIOLATED
    satisfied = states.count(SATISFIED)  # xone: exactly one
    if satisfied > 1:
        return VIOLATED
    if undetermined:
        return undetermined
    return SATISFIED if satisfied == 1 else VIOLATED


def _all_of(results: list[ConstraintResult]) -> str:
    return _combine("and", [r.state for r in results])


def _failures(results: list[ConstraintResult]) -> str:
    """Return the reasons of the innermost constraints that are not satisfied."""
    reasons = []
    for r in results:
        if r.operands:
            reasons.append(_failures(r.operands))
        elif r.state != SATISFIED:
            reasons.append(r.reason)
    return "; ".join(x for x in reasons if x)
