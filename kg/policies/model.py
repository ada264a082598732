"""What a decision returns: its outcome, the steps that explain it, the duties it carries."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime

from rdflib import URIRef
from rdflib.term import Node

from kg.policies.vocabulary import PERMIT


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
