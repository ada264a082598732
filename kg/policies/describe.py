"""Policies in plain English: each rule, duty and obligation as a sentence."""

from __future__ import annotations

from rdflib import Graph, URIRef
from rdflib.term import Node

from kg.errors import UsageError
from kg.namespaces import ODRL
from kg.policies._naming import PARTY_NAMES, _label, _short
from kg.policies.reading import (
    _action_iri,
    _inherited,
    _is_policy,
    _members,
    _refinements,
    _right_operands,
    _rules,
    _sorted_nodes,
)
from kg.policies.vocabulary import _LOGICAL


def describe_policy(graph: Graph, policy: str | Node) -> list[str]:
    """Return the policy as plain English sentences."""
    node = policy if isinstance(policy, Node) else URIRef(policy)
    if not _is_policy(graph, node):
        raise UsageError(f"{_short(node)} is not an ODRL policy in this graph")
    sentences = []
    for rule, kind in _rules(graph, node):
        sentences.append(_describe_rule(graph, node, rule, kind))
        sentences.extend(_describe_duty(graph, d, "Duty")
                         for d in _sorted_nodes(graph, graph.objects(rule, ODRL.duty)))
    sentences.extend(_describe_duty(graph, o, "Obligation")
                     for o in _sorted_nodes(graph, graph.objects(node, ODRL.obligation)))
    strategy = graph.value(node, ODRL.conflict)
    if strategy == ODRL.perm:
        sentences.append("Where a permission and a prohibition conflict, the permission wins.")
    elif strategy == ODRL.invalid:
        sentences.append("Where a permission and a prohibition conflict, the policy is void.")
    return sentences


def _describe_rule(graph: Graph, policy: Node, rule: Node, kind: str) -> str:
    actions = [_action_iri(graph, a) for a in _inherited(graph, rule, policy, ODRL.action)]
    verb = " or ".join(_label(graph, a, lower=True) for a in actions) or "act on"
    assignees = _inherited(graph, rule, policy, ODRL.assignee)
    who = " or ".join(_label(graph, a, props=PARTY_NAMES) for a in assignees)
    if kind == "permission":
        head = f"{who or 'Anyone'} may {verb} this product"
    elif who:
        head = f"{who} may not {verb} this product"
    else:
        head = f"No one may {verb} this product"
    nodes = list(graph.objects(rule, ODRL.constraint))
    for a in _inherited(graph, rule, policy, ODRL.action):
        nodes += _refinements(graph, a)
    return " ".join([head, *_conditions(graph, nodes)]) + "."


def _describe_duty(graph: Graph, duty: Node, prefix: str) -> str:
    action = graph.value(duty, ODRL.action)
    text = _label(graph, _action_iri(graph, action), lower=True)
    target = graph.value(duty, ODRL.target)
    text += f" {_label(graph, target)}" if target is not None else " this product"
    nodes = list(graph.objects(duty, ODRL.constraint)) + _refinements(graph, action)
    return " ".join([f"{prefix}: {text}", *_conditions(graph, nodes)]) + "."


def _conditions(graph: Graph, constraints: list[Node]) -> list[str]:
    """Describe constraints in reading order: purpose, recipient, place, others, time."""
    order = {ODRL.purpose: 0, ODRL.recipient: 1, ODRL.spatial: 2, ODRL.dateTime: 4}
    ranked = sorted(_sorted_nodes(graph, constraints),
                    key=lambda c: order.get(graph.value(c, ODRL.leftOperand), 3))
    return [_describe_constraint(graph, c) for c in ranked]


def _describe_constraint(graph: Graph, node: Node) -> str:
    for prop, logic in _LOGICAL.items():
        if graph.value(node, prop) is not None:
            parts = [_describe_constraint(graph, m) for m in _members(graph, node, prop)]
            if logic == "xone":
                return f"(exactly one of: {'; '.join(parts)})"
            return f"({f' {logic} '.join(parts)})"
    left = graph.value(node, ODRL.leftOperand)
    operator = graph.value(node, ODRL.operator)
    rights = _right_operands(graph, node)
    names = ", ".join(_label(graph, r) for r in rights)
    negated = operator in (ODRL.neq, ODRL.isNoneOf)
    if left == ODRL.purpose:
        several = "one of the purposes" if len(rights) > 1 else "the purpose"
        return f"{'not ' if negated else ''}for {several} {names} (or narrower purposes)"
    if left == ODRL.dateTime:
        words = {ODRL.lt: "before", ODRL.lteq: "until", ODRL.gt: "after", ODRL.gteq: "from",
                 ODRL.eq: "on", ODRL.neq: "except on"}
        return f"{words.get(operator, _label(graph, operator, lower=True))} {names}"
    if left == ODRL.spatial:
        return f"{'outside' if negated else 'in'} {names}"
    if left == ODRL.recipient:
        return f"{'not ' if negated else ''}to {names}"
    return (f"when {_label(graph, left, lower=True)} {_label(graph, operator, lower=True)} "
            f"{names}")


def _describe_node(graph: Graph, node: Node, kind: str) -> str:
    """Name a rule: its IRI, else its label, else its kind and action."""
    if isinstance(node, URIRef):
        return str(node)
    label = _label(graph, node)
    if label:
        return f"{kind} '{label}'"
    action = _action_iri(graph, graph.value(node, ODRL.action))
    return f"{kind} to {_short(action) if action is not None else 'act'}"
