"""ODRL 2.2 policy decisions: may this party do this action on this product, and why.

Follows the ODRL 2.2 Information Model (https://www.w3.org/TR/odrl-model/) and the
ODRL CG formal-semantics draft (https://w3c.github.io/odrl/formal-semantics/).
Where they are silent, the choices are stated in the docstrings below.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time
from difflib import get_close_matches
from functools import partial

from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, RDFS, SKOS
from rdflib.term import Node

from kg.errors import UsageError
from kg.namespaces import DPROD, DPROD_OLD, DPV, ODRL, PREFIXES

PERMIT = "permit"
DENY = "deny"
NOT_APPLICABLE = "not-applicable"

SATISFIED = "satisfied"
VIOLATED = "violated"
MISSING = "missing"  # the request carries no value for the operand
UNKNOWN = "unknown"  # operand, operator or value this module cannot evaluate

# The 63 actions of the ODRL 2.2 vocabulary, so short names resolve without it.
ODRL_ACTIONS = frozenset(
    "acceptTracking adHocShare aggregate annotate anonymize append appendTo archive "
    "attachPolicy attachSource attribute commercialize compensate concurrentUse copy "
    "delete derive digitize display distribute ensureExclusivity execute export extract "
    "extractChar extractPage extractWord give grantUse include index inform install lease "
    "lend license modify move nextPolicy obtainConsent pay play present preview print read "
    "reproduce reviewPolicy secondaryUse sell share shareAlike stream synchronize "
    "textToSpeech transfer transform translate uninstall use watermark write writeTo".split()
)

_POLICY_CLASSES = (ODRL.Policy, ODRL.Set, ODRL.Offer, ODRL.Agreement)
_RULE_KINDS = ((ODRL.permission, "permission"), (ODRL.prohibition, "prohibition"))
_ASSET_PARENT = (ODRL.partOf, DPROD.partOf, URIRef(DPROD_OLD + "partOf"))
_PARTY_PARENT = (ODRL.partOf, DPROD.memberOf, URIRef(DPROD_OLD + "memberOf"))
_PURPOSE_PARENT = (SKOS.broader, RDFS.subClassOf)
_PLACE_PARENT = (ODRL.partOf, DCTERMS.isPartOf, SKOS.broader)
_LOGICAL = {ODRL["and"]: "and", ODRL["or"]: "or", ODRL.xone: "xone", ODRL.andSequence: "and"}
_SET_OPERATORS = frozenset(
    {ODRL.eq, ODRL.neq, ODRL.isA, ODRL.isPartOf, ODRL.isAnyOf, ODRL.isAllOf, ODRL.isNoneOf}
)
_ORDER_OPERATORS = frozenset({ODRL.eq, ODRL.neq, ODRL.lt, ODRL.lteq, ODRL.gt, ODRL.gteq})


@dataclass(frozen=True)
class ConstraintResult:
    """One constraint (or refinement) checked against the request."""

    constraint: str
    state: str
    reason: str
    left_operand: str | None = None
    operator: str | None = None
    right_operand: list[str] = field(default_factory=list)
    request_value: str | None = None
    operands: list[ConstraintResult] = field(default_factory=list)


@dataclass(frozen=True)
class Step:
    """One step of an explanation: a rule weighed, a conflict resolved, a default taken."""

    kind: str
    message: str
    policy: str | None = None
    uid: str | None = None
    rule: str | None = None
    rule_type: str | None = None
    applies: bool | None = None
    constraints: list[ConstraintResult] = field(default_factory=list)


@dataclass(frozen=True)
class Duty:
    """A duty or obligation that comes with a permit."""

    duty: str
    kind: str
    policy: str
    action: str
    target: str | None
    constraints: list[ConstraintResult] = field(default_factory=list)


@dataclass(frozen=True)
class Decision:
    """The outcome of a request, the steps that led to it and the duties it carries."""

    outcome: str
    explanation: list[Step]
    duties: list[Duty] = field(default_factory=list)

    @property
    def permitted(self) -> bool:
        """Return True when the outcome is permit."""
        return self.outcome == PERMIT

    def to_dict(self) -> dict:
        """Return the decision as plain JSON-ready data."""
        return asdict(self)


@dataclass(frozen=True)
class _Request:
    target: URIRef
    action: URIRef
    purpose: URIRef | None
    party: URIRef | None
    at: datetime | date
    spatial: URIRef | None


@dataclass
class _RuleCheck:
    policy: Node
    node: Node
    kind: str
    applies: bool
    reason: str
    constraints: list[ConstraintResult]


# --------------------------------------------------------------------------- API


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


def resolve_action(graph: Graph, action: str) -> URIRef:
    """Resolve an action given as IRI, prefixed name or short name, or raise UsageError."""
    known = _known_actions(graph)
    found = _resolve_name(graph, action, known, ODRL)
    if found is None:
        raise _unknown("action", action, known, ODRL)
    return found


def resolve_purpose(graph: Graph, purpose: str) -> URIRef:
    """Resolve a purpose given as IRI, prefixed name or short name, or raise UsageError."""
    known = _known_purposes(graph)
    found = _resolve_name(graph, purpose, known, DPV)
    if found is None:
        raise _unknown("purpose", purpose, known, DPV)
    return found


# ------------------------------------------------------------- name resolution


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
    by_local = [k for k in known if _local(k) == name]
    return by_local[0] if len(by_local) == 1 else None


def _unknown(what: str, given: str, known: set[URIRef], home) -> UsageError:
    """Build the error for an unknown name: close matches first, then the choices."""
    choices = [_short(k) for k in sorted(known, key=lambda k: (not k.startswith(home), str(k)))]
    close = get_close_matches(str(given), [_local(k) for k in known], n=3)
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


# ------------------------------------------------------------ graph traversal


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


# ---------------------------------------------------------------- describing


def _describe_rule(graph: Graph, policy: Node, rule: Node, kind: str) -> str:
    actions = [_action_iri(graph, a) for a in _inherited(graph, rule, policy, ODRL.action)]
    verb = " or ".join(_label(graph, a, lower=True) for a in actions) or "act on"
    assignees = _inherited(graph, rule, policy, ODRL.assignee)
    who = " or ".join(_label(graph, a) for a in assignees)
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


# ------------------------------------------------------------------- naming


def _label(graph: Graph, node: Node | None, *, lower: bool = False) -> str:
    """Return the English prefLabel or label of a term, else its local name."""
    if node is None:
        return ""
    if isinstance(node, Literal):
        return str(node)
    for prop in (SKOS.prefLabel, RDFS.label):
        labels = list(graph.objects(node, prop))
        chosen = next((la for la in labels if getattr(la, "language", None) == "en"), None)
        chosen = chosen or next(iter(sorted(labels)), None)
        if chosen is not None:
            text = str(chosen)
            return text[:1].lower() + text[1:] if lower else text
    return "" if isinstance(node, BNode) else _local(node)


def _local(iri: Node) -> str:
    text = str(iri)
    return text.rstrip("/#").rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _short(node: Node | None) -> str:
    """Return a prefixed name for known namespaces, else the IRI or literal text."""
    if node is None:
        return "(none)"
    text = str(node)
    for prefix, ns in PREFIXES.items():
        if isinstance(node, URIRef) and text.startswith(ns) and len(text) > len(ns):
            return f"{prefix}:{text[len(ns):]}"
    return text


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
