"""Tests for kg.policies, named after the ODRL 2.2 rule each one pins."""

from __future__ import annotations

import json
import warnings
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from rdflib import Graph, Namespace, URIRef

from kg.errors import UsageError
from kg.namespaces import ODRL
from kg.policies import Decision, decide, describe_policy

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "data" / "corpora" / "odrl"
FIXTURES = ROOT / "tests" / "data" / "policies"
DPV_VOCAB = ROOT / "kg" / "vocab" / "dpv-2.3.ttl"

EX = Namespace("https://example.org/mesh/")
DPROD_EX = "https://example.org/"
# The A11 report uses a temporary namespace and plain-string values, as published.
REPORT = Namespace("http://example.com/report/temp/")
SOTW = Namespace("https://w3id.org/force/sotw#")

# Remote JSON-LD contexts named by the corpus files, and their local copies.
LOCAL_CONTEXTS = {
    "http://www.w3.org/ns/odrl.jsonld": CORPUS / "ODRL22-context.jsonld",
    "https://raw.githubusercontent.com/w3c/odrl/refs/heads/master/formal-semantics/ontology/"
    "evaluation_request.json": CORPUS / "evaluation_request-context.json",
}
IN_2026 = date(2026, 6, 1)


def _local_context(context):
    if isinstance(context, list):
        return [_local_context(c) for c in context]
    if isinstance(context, str):
        # KeyError here means a new remote context: add a local copy, never fetch.
        return json.loads(LOCAL_CONTEXTS[context].read_text())["@context"]
    return context


def load_jsonld(name: str) -> Graph:
    doc = json.loads((CORPUS / name).read_text())
    doc["@context"] = _local_context(doc["@context"])
    with warnings.catch_warnings():
        # rdflib 7.6's JSON-LD parser builds a ConjunctiveGraph internally and warns.
        warnings.filterwarnings("ignore", "ConjunctiveGraph is deprecated", DeprecationWarning)
        return Graph().parse(data=json.dumps(doc), format="json-ld")


def load(*paths: Path, vocab: Graph | None = None) -> Graph:
    graph = Graph()
    if vocab is not None:
        graph += vocab
    for path in paths:
        graph.parse(path)
    return graph


@pytest.fixture(scope="module")
def vocab() -> Graph:
    if not DPV_VOCAB.exists():
        pytest.skip("kg/vocab/dpv-2.3.ttl not present (the DPV purpose hierarchy is needed)")
    return load(DPV_VOCAB, CORPUS / "ODRL22.ttl")


@pytest.fixture(scope="module")
def sales(vocab) -> Graph:
    return load(FIXTURES / "sales-product.ttl", vocab=vocab)


@pytest.fixture(scope="module")
def partners(vocab) -> Graph:
    return load(FIXTURES / "partner-sharing.ttl", vocab=vocab)


@pytest.fixture(scope="module")
def dprod(vocab) -> Graph:
    return load(CORPUS / "dprod-data-use-policy.ttl", vocab=vocab)


def rule_step(decision: Decision, rule: str):
    return next(s for s in decision.explanation if s.kind == "rule" and s.rule == rule)


def leaves(results):
    for r in results:
        yield from leaves(r.operands) if r.operands else [r]


# ------------------------------------------------------------ purpose (DPV)


def test_purpose_constraint_is_satisfied_by_narrower_dpv_purpose(sales):
    d = decide(sales, target=EX.sales, action="use",
               purpose="dpv:RequestedServiceProvision", at=IN_2026)
    assert d.outcome == "permit"
    step = rule_step(d, str(EX["sales-use"]))
    assert step.applies and step.policy == str(EX["sales-policy"])
    assert step.uid == str(EX["sales-policy-v1"])
    purpose = next(c for c in step.constraints if c.constraint == str(EX["sales-purpose"]))
    assert (purpose.state, purpose.left_operand, purpose.operator) == (
        "satisfied", str(ODRL.purpose), str(ODRL.eq))
    assert purpose.right_operand == ["https://w3id.org/dpv#ServiceProvision"]
    assert purpose.request_value == "https://w3id.org/dpv#RequestedServiceProvision"


def test_purpose_constraint_is_not_satisfied_by_broader_purpose(sales):
    d = decide(sales, target=EX.sales, action="use", purpose="ServiceManagement", at=IN_2026)
    assert d.outcome == "deny"
    purpose = rule_step(d, str(EX["sales-use"])).constraints
    assert [c.state for c in purpose if c.left_operand == str(ODRL.purpose)] == ["violated"]
    assert d.explanation[-1].message == "Denied by default: no permission applies."


def test_purpose_constraint_without_purpose_given_is_not_satisfied(sales):
    d = decide(sales, target=EX.sales, action="use", at=IN_2026)
    assert d.outcome == "deny"
    step = rule_step(d, str(EX["sales-use"]))
    assert "no purpose given" in step.message
    assert [c.state for c in step.constraints if c.reason == "no purpose given"] == ["missing"]


@pytest.mark.parametrize("purpose", ["dpv:ServiceProvision", "ServiceProvision",
                                     "https://w3id.org/dpv#ServiceProvision"])
def test_purpose_names_resolve_from_prefixed_short_or_full_iri(sales, purpose):
    assert decide(sales, target=EX.sales, action="use", purpose=purpose,
                  at=IN_2026).outcome == "permit"


def test_unknown_purpose_name_raises_usage_error(sales):
    with pytest.raises(UsageError, match="unknown purpose 'ServiceProvisoin'") as err:
        decide(sales, target=EX.sales, action="use", purpose="ServiceProvisoin")
    assert "dpv:ServiceProvision" in err.value.detail


# ------------------------------------------------------- action hierarchy


def test_permission_to_use_covers_read_through_included_in(sales):
    d = decide(sales, target=EX.sales, action="read", purpose="ServiceProvision", at=IN_2026)
    assert d.outcome == "permit"
    assert rule_step(d, str(EX["sales-use"])).applies


def test_permission_to_read_does_not_cover_use(dprod):
    d = decide(dprod, target=DPROD_EX + "assets/employee-data", action="use",
               party=DPROD_EX + "agents/hr-analytics", purpose=DPROD_EX + "analytics")
    assert d.outcome == "deny"
    assert "does not cover odrl:use" in d.explanation[0].message


def test_unknown_action_name_raises_usage_error_listing_choices(sales):
    with pytest.raises(UsageError, match=r"unknown action 'reed'.*odrl:read") as err:
        decide(sales, target=EX.sales, action="reed")
    assert "odrl:use" in err.value.detail


@pytest.mark.parametrize("action", ["read", "odrl:read", "http://www.w3.org/ns/odrl/2/read"])
def test_action_names_resolve_from_short_prefixed_or_full_iri(sales, action):
    d = decide(sales, target=EX.sales, action=action, purpose="ServiceProvision", at=IN_2026)
    assert d.outcome == "permit"


# ------------------------------------------------------------ dateTime


@pytest.mark.parametrize(("at", "outcome"), [
    (date(2027, 12, 31), "permit"),
    (datetime(2027, 12, 31, 23, 30, tzinfo=UTC), "permit"),  # xsd:date bounds compare by day
    (date(2028, 1, 1), "deny"),
])
def test_datetime_lteq_permits_until_expiry_and_denies_after(sales, at, outcome):
    d = decide(sales, target=EX.sales, action="use", purpose="ServiceProvision", at=at)
    assert d.outcome == outcome
    until = next(c for c in rule_step(d, str(EX["sales-use"])).constraints
                 if c.constraint == str(EX["sales-until"]))
    assert until.state == ("satisfied" if outcome == "permit" else "violated")
    assert until.request_value == at.isoformat()


def test_datetime_defaults_to_now(sales):
    d = decide(sales, target=EX.sales, action="use", purpose="ServiceProvision")
    expected = "permit" if datetime.now(UTC).date() <= date(2027, 12, 31) else "deny"
    assert d.outcome == expected


# ---------------------------------------------------- conflict and defaults


def test_prohibition_overrides_permission_by_default(sales):
    d = decide(sales, target=EX.sales, action="distribute", purpose="ServiceProvision",
               at=IN_2026)
    assert d.outcome == "deny"
    assert rule_step(d, str(EX["sales-use"])).applies
    assert rule_step(d, str(EX["sales-no-distribution"])).applies
    conflict = next(s for s in d.explanation if s.kind == "conflict")
    assert "the prohibition wins" in conflict.message
    assert d.duties == []


def test_conflict_perm_lets_permission_win(vocab):
    graph = load(FIXTURES / "conflict-strategies.ttl", vocab=vocab)
    d = decide(graph, target=EX["open-product"], action="distribute")
    assert d.outcome == "permit"
    assert "odrl:conflict odrl:perm: the permission wins" in d.explanation[-2].message


def test_conflict_invalid_voids_the_policy(vocab):
    graph = load(FIXTURES / "conflict-strategies.ttl", vocab=vocab)
    d = decide(graph, target=EX["void-product"], action="distribute")
    assert d.outcome == "deny"
    assert "the policy is void" in d.explanation[-2].message


def test_prohibition_from_another_policy_wins_unless_all_say_perm(vocab):
    graph = load(FIXTURES / "conflict-strategies.ttl", vocab=vocab)
    d = decide(graph, target=EX["shared-product"], action="distribute")
    assert d.outcome == "deny"
    assert [s.kind for s in d.explanation[-2:]] == ["conflict", "decision"]
    assert d.explanation[-1].message == "Denied by prohibition to odrl:distribute."


def test_prohibiting_an_implied_action_prohibits_the_implying_action(vocab):
    graph = load(FIXTURES / "conflict-strategies.ttl", vocab=vocab)
    d = decide(graph, target=EX["archive-product"], action="move")
    assert d.outcome == "deny"
    assert d.explanation[-1].message == "Denied by prohibition to odrl:delete."


def test_no_matching_permission_denies_by_default(sales):
    d = decide(sales, target=EX.sales, action="odrl:print", at=IN_2026)
    assert d.outcome == "deny"
    assert d.explanation[-1].kind == "decision"
    assert "by default" in d.explanation[-1].message


def test_product_without_policy_is_not_applicable(sales):
    d = decide(sales, target=EX.unpoliced, action="use")
    assert d.outcome == "not-applicable"
    assert d.explanation[0].message == "No policy targets https://example.org/mesh/unpoliced."
    assert d.to_dict()["outcome"] == "not-applicable"


# ------------------------------------------------ recipient, party, spatial


@pytest.mark.parametrize(("party", "outcome"), [
    (EX["partner-b"], "permit"), (EX["stranger"], "deny")])
def test_recipient_is_any_of_listed_parties(partners, party, outcome):
    d = decide(partners, target=EX.customers, action="distribute", party=party)
    assert d.outcome == outcome
    (check,) = rule_step(d, str(EX["share-with-partners"])).constraints
    assert check.left_operand == str(ODRL.recipient)
    assert check.right_operand == [str(EX["partner-a"]), str(EX["partner-b"])]


def test_assignee_matches_member_of_party_collection(partners):
    d = decide(partners, target=EX.customers, action="read", party=EX.alice)
    assert d.outcome == "permit"
    assert rule_step(d, str(EX["team-read"])).applies


def test_assignee_without_party_given_does_not_apply(partners):
    d = decide(partners, target=EX.customers, action="read")
    assert d.outcome == "deny"
    assert "no party given" in rule_step(d, str(EX["team-read"])).message


@pytest.mark.parametrize(("spatial", "outcome"), [
    (EX.Germany, "permit"), (EX.EU, "permit"), (EX.Brazil, "deny")])
def test_spatial_is_part_of_follows_place_hierarchy(partners, spatial, outcome):
    d = decide(partners, target=EX.customers, action="display", spatial=spatial)
    assert d.outcome == outcome


def test_spatial_constraint_without_place_given_is_not_satisfied(partners):
    d = decide(partners, target=EX.customers, action="display")
    assert d.outcome == "deny"
    assert "no spatial given" in rule_step(d, str(EX["read-in-eu"])).message


# ----------------------------------------------------- logical constraints


@pytest.mark.parametrize(("purpose", "party", "outcome"), [
    ("ResearchAndDevelopment", None, "permit"),
    ("Marketing", EX["partner-a"], "permit"),
    ("Marketing", EX["partner-b"], "deny"),
])
def test_or_needs_one_satisfied_operand(partners, purpose, party, outcome):
    d = decide(partners, target=EX.customers, action="derive", purpose=purpose, party=party)
    assert d.outcome == outcome
    (logical,) = rule_step(d, str(EX["derive-for-research-or-partner"])).constraints
    assert len(logical.operands) == 2


@pytest.mark.parametrize(("spatial", "outcome"), [
    (EX.France, "permit"),   # only "part of the EU" holds
    (EX.Germany, "deny"),    # both hold: not exactly one
    (EX.Brazil, "deny"),     # neither holds
])
def test_xone_needs_exactly_one_satisfied_operand(partners, spatial, outcome):
    d = decide(partners, target=EX.customers, action="aggregate", spatial=spatial)
    assert d.outcome == outcome


def test_and_with_unknown_operand_is_not_satisfied(dprod):
    d = decide(dprod, target=DPROD_EX + "assets/employee-compensation", action="read",
               party=DPROD_EX + "agents/hr-analytics", purpose=DPROD_EX + "compliance")
    assert d.outcome == "deny"
    step = rule_step(d, "permission 'HR Division compensation access'")
    (logical,) = step.constraints
    assert [c.state for c in logical.operands] == ["satisfied", "unknown"]
    assert "legalBasis is not supported" in step.message


# ---------------------------------------------------------- unknown terms


def test_unknown_operator_makes_constraint_unknown_never_satisfied(vocab):
    graph = load(FIXTURES / "unknown-terms.ttl", vocab=vocab)
    d = decide(graph, target=EX["odd-product"], action="read", purpose="ServiceProvision")
    assert d.outcome == "deny"
    (roughly,) = rule_step(d, str(EX["read-roughly"])).constraints
    assert roughly.state == "unknown"
    assert roughly.operator == str(EX.roughlyEquals)
    assert "operator https://example.org/mesh/roughlyEquals is not supported" in roughly.reason
    (sundays,) = rule_step(d, str(EX["read-on-sundays"])).constraints
    assert sundays.state == "unknown"
    assert "leftOperand https://example.org/mesh/dayOfWeek is not supported" in sundays.reason


# ------------------------------------------------------------------ duties


def test_permit_returns_duties_of_the_permission(sales):
    d = decide(sales, target=EX.sales, action="read", purpose="ServiceProvision", at=IN_2026)
    assert [(u.duty, u.kind, u.action) for u in d.duties] == [
        (str(EX["sales-attribution"]), "duty", str(ODRL.attribute))]


def test_permit_returns_policy_obligations_unless_their_constraints_are_violated(dprod):
    d = decide(dprod, target=DPROD_EX + "assets/employee-compensation", action="read",
               party=DPROD_EX + "agents/compliance-team", purpose=DPROD_EX + "compliance")
    assert d.outcome == "permit"  # HR policy on the collection employee-compensation is part of
    assert rule_step(d, "permission 'Compliance audit access'").applies
    duties = {u.duty: u for u in d.duties}
    # Anonymization is only owed for analytics: its purpose constraint is violated.
    assert set(duties) == {"obligation 'Mandatory audit logging'", "obligation 'Retention limit'"}
    logging = duties["obligation 'Mandatory audit logging'"]
    assert logging.target == DPROD_EX + "assets/access-log"
    assert [c.state for c in logging.constraints] == ["unknown"]


def test_deny_returns_no_duties(dprod):
    d = decide(dprod, target=DPROD_EX + "assets/employee-data", action="distribute",
               party=DPROD_EX + "agents/hr-analytics", purpose=DPROD_EX + "analytics")
    assert d.outcome == "deny"
    assert d.explanation[-1].message == "Denied by prohibition 'No external sharing'."
    assert d.duties == []


def test_decision_to_dict_is_json_serialisable(dprod):
    d = decide(dprod, target=DPROD_EX + "assets/employee-data", action="read",
               party=DPROD_EX + "agents/hr-analytics", purpose=DPROD_EX + "analytics")
    data = json.loads(json.dumps(d.to_dict()))
    assert data["outcome"] == "permit"
    assert data["duties"][0]["duty"] == "obligation 'Mandatory audit logging'"
    assert {"policy", "uid", "rule", "rule_type", "applies", "constraints"} <= set(
        data["explanation"][0])


# ---------------------------------------------- ODRL CG formal semantics


def test_a11_evaluation_request_matches_compliance_report():
    graph = load_jsonld("policyA1.json")
    request = load_jsonld("evaluationrequestA11.json")
    report = load_jsonld("compliancereportA11.json")
    req = next(request.subjects(SOTW.evaluatedAction, None))
    param = request.value(req, SOTW.requestParameter)
    d = decide(graph, target=request.value(req, SOTW.evaluatedTarget),
               action=request.value(req, SOTW.evaluatedAction),
               party=request.value(req, SOTW.evaluatedParty),
               at=request.value(param, SOTW.value).toPython())
    assert d.outcome == "permit"
    rule_report = next(report.subjects(REPORT.rule, None))
    step = rule_step(d, str(report.value(rule_report, REPORT.rule)))
    assert str(report.value(rule_report, REPORT.activationState)) == "report:Active"
    assert str(report.value(rule_report, REPORT.controlState)) == "report:Permit"
    assert step.applies and step.uid == str(next(report.objects(None, REPORT.policy)))
    constraint_report = next(report.subjects(REPORT.constraint, None))
    assert str(report.value(constraint_report, REPORT.satisfactionState)) == "report:Satisfied"
    (check,) = step.constraints
    assert check.constraint == str(report.value(constraint_report, REPORT.constraint))
    assert (check.state, check.operator, check.right_operand, check.request_value) == (
        "satisfied", str(ODRL.lt), ["2018-01-01^^xsd:date"], "2017-12-19T15:00:00")


def test_a1_permission_lapses_on_its_date_bound():
    d = decide(load_jsonld("policyA1.json"), target="http://example.com/document/1234",
               action="distribute", at=date(2018, 1, 1))
    assert d.outcome == "deny"
    assert rule_step(d, "http://example.com/rule/A1").constraints[0].state == "violated"


@pytest.mark.parametrize(("at", "message"), [
    (date(2024, 6, 1), "Denied by http://example.com/prohibition/A2."),
    (date(2025, 6, 1), "Denied by default: no permission applies."),
])
def test_a2_constrained_prohibition_applies_before_its_date(at, message):
    d = decide(load_jsonld("policyA2.json"), target="http://example.com/photoAlbum:55",
               action="archive", party="http://example.com/assignee:55", at=at)
    assert d.outcome == "deny"
    assert d.explanation[-1].message == message


def test_b1_unsupported_action_refinement_is_never_satisfied():
    d = decide(load_jsonld("policyB1.json"), target="http://example.com/document/1234",
               action="print")
    assert d.outcome == "deny"
    (refinement,) = rule_step(d, "http://example.com/rule/B1").constraints
    assert refinement.constraint == "http://example.com/refinement/B1"
    assert refinement.state == "unknown"
    assert refinement.left_operand == str(ODRL.resolution)


def test_c1_conditioned_permission_returns_its_duty_for_the_assignee():
    graph = load_jsonld("policyC1.json") + Graph().parse(CORPUS / "stateC12.ttl")
    d = decide(graph, target="http://example.com/music/1999.mp3", action="play",
               party="http://example.com/party/billie")
    assert d.outcome == "permit"
    (duty,) = d.duties
    assert duty.action == str(ODRL.compensate)
    # The duty keeps its IRI, so it can be matched with the state of the world's payment.
    assert URIRef(duty.duty) in set(graph.objects(None, SOTW.conditionID))
    assert [(c.left_operand, c.state) for c in duty.constraints] == [
        (str(ODRL.payAmount), "unknown")]


def test_c1_permission_does_not_apply_to_another_party():
    d = decide(load_jsonld("policyC1.json"), target="http://example.com/music/1999.mp3",
               action="play", party="http://example.com/party/sony")
    assert d.outcome == "deny"
    assert "is not its assignee" in rule_step(d, "http://example.com/rule/C1").message


def test_c2_duty_with_undecidable_constraint_is_still_returned():
    d = decide(load_jsonld("policyC2.json"), target="http://example.com/music/1999.mp3",
               action="play", party="http://example.com/party/billie")
    assert d.outcome == "permit"
    (duty,) = d.duties
    states = {c.constraint: c.state for c in leaves(duty.constraints)}
    assert states == {"http://example.com/constraint/1": "unknown",
                      "http://example.com/refinement/1": "unknown"}


# ---------------------------------------------------------- describing


def test_describe_policy_in_plain_english(sales):
    assert describe_policy(sales, EX["sales-policy"]) == [
        "Anyone may use this product for the purpose Service Provision "
        "(or narrower purposes) until 2027-12-31.",
        "Duty: attribute this product.",
        "No one may distribute this product.",
    ]


def test_describe_policy_names_assignees_and_logical_constraints(dprod):
    sentences = describe_policy(dprod, DPROD_EX + "policies/compensation-access")
    assert sentences[0] == (
        "Human Resources Division may read this product (for one of the purposes compliance, "
        "operations (or narrower purposes) and when legal basis equal to legitimate interest).")
    assert "Obligation: delete this product when retention period greater than P7Y." in sentences


def test_describe_policy_rejects_a_non_policy(sales):
    with pytest.raises(UsageError, match="not an ODRL policy"):
        describe_policy(sales, EX.sales)
