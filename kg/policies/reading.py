"""Read ODRL policies from a graph: the policies on a target, their rules, what a rule
inherits from its policy, lists and refined actions."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from rdflib import RDF, BNode, Graph, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from kg.namespaces import ODRL
from kg.policies._naming import _label
from kg.policies.vocabulary import _ASSET_PARENT, _POLICY_CLASSES, _RULE_KINDS


def _closure(graph: Graph, start: Node, predicates: Iterable[URIRef]) -> set[Node]:
    """Return start and everything reachable from it over the predicates."""
    predicates = tuple(predicates)
    seen, todo = {start}, [start]
    while todo:
        node = todo.pop()
        for p in predicates:
            for parent in graph.objects(node, p):
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
    return seen


def _members(graph: Graph, node: Node, predicate: URIRef) -> list[Node]:
    """Return the values of predicate, unpacking rdf:Lists (Turtle) and repeats (JSON-LD)."""
    values = []
    for obj in _sorted_nodes(graph, graph.objects(node, predicate)):
        if obj == RDF.nil or graph.value(obj, RDF.first) is not None:
            values.extend(Collection(graph, obj))
        else:
            values.append(obj)
    return values


def _right_operands(graph: Graph, constraint: Node) -> list[Node]:
    return _members(graph, constraint, ODRL.rightOperand)


def _sorted_nodes(graph: Graph, nodes: Iterable[Node]) -> list[Node]:
    """Order nodes stably: IRIs by IRI, blank nodes by label, then action."""
    def key(n: Node) -> tuple:
        if not isinstance(n, BNode):
            return (0, str(n))
        action = _action_iri(graph, graph.value(n, ODRL.action))
        parts = [graph.value(n, p) for p in (ODRL.leftOperand, ODRL.operator)]
        rights = [str(r) for r in _right_operands(graph, n)]
        return (1, _label(graph, n), str(action), *map(str, parts), *rights)
    return sorted(set(nodes), key=key)


def _is_policy(graph: Graph, node: Node) -> bool:
    if any((node, RDF.type, c) in graph for c in _POLICY_CLASSES):
        return True
    rule_props = (ODRL.permission, ODRL.prohibition, ODRL.obligation)
    return any(graph.value(node, p) is not None for p in rule_props)


def _policies_for(graph: Graph, target: URIRef) -> list[Node]:
    """Return the policies on the target or on any asset collection it is part of."""
    found = set()
    for asset in _closure(graph, target, _ASSET_PARENT):
        found.update(graph.objects(asset, ODRL.hasPolicy))
        for subject in graph.subjects(ODRL.target, asset):
            if _is_policy(graph, subject):
                found.add(subject)
            for prop, _ in _RULE_KINDS:
                found.update(graph.subjects(prop, subject))
    return _sorted_nodes(graph, (p for p in found if _is_policy(graph, p)))


def _rules(graph: Graph, policy: Node) -> Iterator[tuple[Node, str]]:
    for prop, kind in _RULE_KINDS:
        for rule in _sorted_nodes(graph, graph.objects(policy, prop)):
            yield rule, kind


def _inherited(graph: Graph, rule: Node, policy: Node, prop: URIRef) -> list[Node]:
    """Return the rule's values of prop, else the policy's (IM §2.7.2, rule composition)."""
    own = list(graph.objects(rule, prop))
    return own if own else list(graph.objects(policy, prop))


def _rule_targets(graph: Graph, rule: Node, policy: Node) -> list[Node]:
    targets = _inherited(graph, rule, policy, ODRL.target)
    return targets or list(graph.subjects(ODRL.hasPolicy, policy))


def _action_iri(graph: Graph, action: Node | None) -> Node | None:
    """Return the action's IRI, looking through a refined action's rdf:value."""
    if action is None:
        return None
    value = graph.value(action, RDF.value)
    return action if value is None else value


def _refinements(graph: Graph, action: Node | None) -> list[Node]:
    """Return the refinements of a refined action (a node with rdf:value)."""
    if action is None or graph.value(action, RDF.value) is None:
        return []
    return list(graph.objects(action, ODRL.refinement))
