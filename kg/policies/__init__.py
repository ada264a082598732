"""ODRL 2.2 policy decisions: may this party do this action on this product, and why.

Follows the ODRL 2.2 Information Model (https://www.w3.org/TR/odrl-model/) and the
ODRL CG formal-semantics draft (https://w3c.github.io/odrl/formal-semantics/).
Where they are silent, the choices are stated in the docstrings of the modules:

- `decisions`: `decide` weighs each rule of the policies on a target, resolves
  conflicts (odrl:conflict) and collects the duties of a permit;
- `constraints`: constraints, refinements and logical constraints against a request,
  and actions, targets and parties matched through their hierarchies;
- `reading`: the policies on a target and their rules, read from an rdflib graph
  (kg.governance pulls that graph from a store);
- `resolve`: the names a request gives (IRI, prefixed or short name) resolved to terms;
- `describe`: a policy in plain English sentences;
- `model`: what a decision returns; `vocabulary`: outcomes, states, actions, operators;
- `_naming`: how a term is shown (`local_name`, `prefixed_name` serve kg.governance too).
"""

from kg.policies._naming import local_name, prefixed_name
from kg.policies.decisions import decide
from kg.policies.describe import describe_policy
from kg.policies.model import ConstraintResult, Decision, Duty, Step
from kg.policies.resolve import resolve_action, resolve_purpose
from kg.policies.vocabulary import (
    DENY,
    MISSING,
    NOT_APPLICABLE,
    ODRL_ACTIONS,
    PERMIT,
    SATISFIED,
    UNKNOWN,
    VIOLATED,
)

__all__ = ["DENY", "MISSING", "NOT_APPLICABLE", "ODRL_ACTIONS", "PERMIT", "SATISFIED",
           "UNKNOWN", "VIOLATED", "ConstraintResult", "Decision", "Duty", "Step", "decide",
           "describe_policy", "local_name", "prefixed_name", "resolve_action",
           "resolve_purpose"]
