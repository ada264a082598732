"""Decide a request: weigh each rule of the policies on its target, resolve conflicts by
each policy's odrl:conflict strategy, and collect the duties of a permit."""

from __future__ import annotations

from datetime import date, datetime

from rdflib import Graph
from rdflib.term import Node

from kg.namespaces import ODRL
from kg.policies._naming import _name, _opt, _short, _uid
from kg.policies.constraints import (
    _action_covers,
    _all_of,
    _evaluate,
    _failures,
    _party_matches,
    _prohibition_covers,
    _target_matches,
)
from kg.policies.describe import _describe_node
from kg.policies.model import Decision, Duty, Step, _Request, _RuleCheck
from kg.policies.reading import (
    _action_iri,
    _inherited,
    _policies_for,
    _refinements,
    _rule_targets,
    _rules,
    _sorted_nodes,
)
from kg.policies.resolve import _checked_time, _iri, resolve_action, resolve_purpose
from kg.policies.vocabulary import DENY, NOT_APPLICABLE, PERMIT, SATISFIED, VIOLATED


def decide(graph: Graph, *, target: str, action: str, purpose: str | None = None,
           party: str | None = None, at: datetime | date | None = None,
           spatial: str | None = None) -> Decision:
    """Decide whether the request is permitted by the policies on its target."""
    request = _Request(
        target=_iri(graph, target, "target"),
        action=resolve_action(graph, action),
        purpose=resolve_purpose(graph, purpose) if purpose is not None else None,
        party=_iri(graph, party, "party") if party is not None else None,
        at=_checked_time(at),
        spatial=_iri(graph, spatial, "spatial") if spatial is not None else None,
    )
    policies = _policies_for(graph, request.target)
    if not policies:
        step = Step("default", f"No policy targets {_short(request.target)}.")
        return Decision(NOT_APPLICABLE, [step])
    checks = [_check_rule(graph, request, p, rule, kind)
              for p in policies for rule, kind in _rules(graph, p)]
    steps = [_rule_step(graph, c) for c in checks]
    outcome, winners, conflict_steps = _resolve(graph, checks)
    steps.extend(conflict_steps)
    duties = _duties(graph, request, winners, policies) if outcome == PERMIT else []
    return Decision(outcome, steps, duties)


# ------------------------------------------------------------- rule checking


def _check_rule(graph: Graph, request: _Request, policy: Node, rule: Node,
                kind: str) -> _RuleCheck:
    """Check whether one permission or prohibition applies to the request."""
    def outcome(applies: bool, reason: str, results=()) -> _RuleCheck:
        return _RuleCheck(policy, rule, kind, applies, reason, list(results))

    covers = _prohibition_covers if kind == "prohibition" else _action_covers
    actions = _inherited(graph, rule, policy, ODRL.action)
    matching = [a for a in actions if covers(graph, _action_iri(graph, a), request.action)]
    if not matching:
        named = ", ".join(_short(_action_iri(graph, a)) for a in actions) or "no action"
        return outcome(False, f"its action ({named}) does not cover {_short(request.action)}")
    if not _target_matches(graph, request.target, _rule_targets(graph, rule, policy)):
        return outcome(False, f"its target is not {_short(request.target)}")
    assignees = _inherited(graph, rule, policy, ODRL.assignee)
    if assignees and request.party is None:
        return outcome(False, "it has an assignee and no party given")
    if assignees and not _party_matches(graph, request.party, assignees):
        return outcome(False, f"{_short(request.party)} is not its assignee "
                              f"({', '.join(_short(a) for a in assignees)})")
    nodes = list(graph.objects(rule, ODRL.constraint)) + _refinements(graph, matching[0])
    results = [_evaluate(graph, request, c) for c in _sorted_nodes(graph, nodes)]
    state = _all_of(results)
    if state == SATISFIED:
        return outcome(True, "action, target, assignee and all constraints match", results)
    return outcome(False, f"constraints {state}: {_failures(results)}", results)


def _rule_step(graph: Graph, check: _RuleCheck) -> Step:
    verb = "applies" if check.applies else "does not apply"
    message = f"{_describe_node(graph, check.node, check.kind)} {verb}: {check.reason}."
    return Step("rule", message, _name(check.policy), _uid(graph, check.policy),
                _describe_node(graph, check.node, check.kind), check.kind, check.applies,
                check.constraints)


# ------------------------------------------------------- conflict resolution


def _resolve(graph: Graph, checks: list[_RuleCheck]) -> tuple[str, list[_RuleCheck], list[Step]]:
    """Resolve permissions against prohibitions, per policy then across policies.

    Within a policy, odrl:conflict decides (default prohibit, as meshkg's safe
    choice); a void policy (odrl:invalid with a conflict) contributes nothing.
    Across policies a prohibition wins unless every policy involved says perm.
    """
    steps = []
    permits: list[_RuleCheck] = []
    prohibits: list[_RuleCheck] = []
    for policy in dict.fromkeys(c.policy for c in checks):
        mine = [c for c in checks if c.policy == policy and c.applies]
        perm = [c for c in mine if c.kind == "permission"]
        proh = [c for c in mine if c.kind == "prohibition"]
        strategy = graph.value(policy, ODRL.conflict) or ODRL.prohibit
        if perm and proh:
            steps.append(_conflict_step(graph, policy, strategy, perm, proh))
            if strategy == ODRL.invalid:
                continue
            if strategy == ODRL.perm:
                proh = []
            else:
                perm = []
        permits += perm
        prohibits += proh
    if permits and prohibits:
        involved = {graph.value(c.policy, ODRL.conflict) for c in permits + prohibits}
        if involved != {ODRL.perm}:
            steps.append(Step("conflict", "Prohibitions from one policy override permissions "
                                          "from another unless all of them say odrl:perm."))
            permits = []
    if permits:
        steps.append(Step("decision", f"Permitted by {_rules_named(graph, permits)}."))
        return PERMIT, permits, steps
    if prohibits:
        steps.append(Step("decision", f"Denied by {_rules_named(graph, prohibits)}."))
        return DENY, [], steps
    steps.append(Step("decision", "Denied by default: no permission applies."))
    return DENY, [], steps


def _conflict_step(graph: Graph, policy: Node, strategy: Node, perm: list[_RuleCheck],
                   proh: list[_RuleCheck]) -> Step:
    effect = {ODRL.perm: "the permission wins", ODRL.invalid: "the policy is void"}
    message = (f"Conflict in policy {_uid(graph, policy)} between {_rules_named(graph, perm)} "
               f"and {_rules_named(graph, proh)}; odrl:conflict {_short(strategy)}: "
               f"{effect.get(strategy, 'the prohibition wins')}.")
    return Step("conflict", message, _name(policy), _uid(graph, policy))


def _rules_named(graph: Graph, checks: list[_RuleCheck]) -> str:
    return ", ".join(_describe_node(graph, c.node, c.kind) for c in checks)


# -------------------------------------------------------------------- duties


def _duties(graph: Graph, request: _Request, permits: list[_RuleCheck],
            policies: list[Node]) -> list[Duty]:
    """Return duties of the applying permissions and obligations of the policies.

    A duty whose own constraints the request violates is left out; one whose
    constraints cannot be decided is kept, with the evaluation attached.
    """
    found = [(c.policy, d, "duty") for c in permits
             for d in _sorted_nodes(graph, graph.objects(c.node, ODRL.duty))]
    found += [(p, o, "obligation") for p in policies
              for o in _sorted_nodes(graph, graph.objects(p, ODRL.obligation))]
    duties = []
    for policy, node, kind in found:
        action = graph.value(node, ODRL.action)
        nodes = list(graph.objects(node, ODRL.constraint)) + _refinements(graph, action)
        results = [_evaluate(graph, request, c) for c in _sorted_nodes(graph, nodes)]
        if _all_of(results) == VIOLATED:
            continue
        target = graph.value(node, ODRL.target)
        duties.append(Duty(_describe_node(graph, node, kind), kind, _name(policy),
                           _opt(_action_iri(graph, action)), _opt(target), results))
    return duties
