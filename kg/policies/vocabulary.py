"""The ODRL terms policy decisions speak: outcomes, constraint states, actions, the
hierarchies followed, and the operators each kind of operand takes."""

from __future__ import annotations

from rdflib import URIRef
from rdflib.namespace import DCTERMS, RDFS, SKOS

from kg.namespaces import DPROD, DPROD_OLD, ODRL

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
