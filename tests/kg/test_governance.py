"""Tests for kg.governance and its CLI (`meshkg may`, `meshkg check`), named after the
rule each pins: decisions on a store, built-in rules, rule files, recorded runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from kg.errors import NotFound, ParseError, QueryRefused, UsageError
from kg.governance import (
    GOVERNANCE_GRAPH,
    MayRequest,
    check_files,
    check_shapes,
    check_store,
    dashboard,
    may,
    plain_words,
    split_paths,
)
from kg.loading import parse_file
from kg.store.oxigraph import OxigraphStore

RULES = Path(__file__).resolve().parents[1] / "data" / "rules"
EX = "https://example.org/mesh/"
P = "https://demo.meshkg.org/id/product/"
EUROPE = "http://publications.europa.eu/resource/authority/continent/EUROPE"
CARD_PARTNER = "https://demo.meshkg.org/id/agent/hanseatic-card-services"
IN_2026 = date(2026, 6, 1)


def meshkg(store: Path | str, *args: str) -> subprocess.CompletedProcess:
    """Run the real meshkg command line against one store."""
    env = dict(os.environ, MESHKG_STORE=str(store))
    return subprocess.run([sys.executable, "-m", "kg.cli", *args], env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def tiny(vocab_store):
    """The vocabularies plus tests/data/rules/decisions/policies.ttl."""
    parsed = parse_file(RULES / "decisions" / "policies.ttl", graph="urn:test:decisions")
    vocab_store.write_quads({"urn:test:decisions": parsed.quads})
    return vocab_store


# ------------------------------------------------------------------ decisions


def test_purpose_narrower_in_dpv_hierarchy_is_permitted_with_duty(tiny):
    d = may(tiny, MayRequest(EX + "sales", "use", "RequestedServiceProvision", at=IN_2026))
    assert d.outcome == "permit"
    assert d.explanation[-1].message.startswith("Permitted by")
    assert [duty.action for duty in d.duties] == ["http://www.w3.org/ns/odrl/2/attribute"]
    words = plain_words(d)
    assert words[0] == "Permitted." and any(w.startswith("Duty:") for w in words)


def test_prohibited_action_is_denied_by_the_prohibition(tiny):
    d = may(tiny, MayRequest(EX + "sales", "distribute", "ServiceProvision", at=IN_2026))
    assert d.outcome == "deny"
    assert d.explanation[-1].message == f"Denied by {EX}sales-no-distribution."


def test_purpose_outside_the_permission_is_denied_by_default(tiny):
    d = may(tiny, MayRequest(EX + "sales", "use", "Marketing", at=IN_2026))
    assert d.outcome == "deny"
    assert d.explanation[-1].message == "Denied by default: no permission applies."
    assert "does not match" in d.explanation[0].message


def test_product_without_policy_is_not_applicable(tiny):
    d = may(tiny, MayRequest(EX + "open", "use", "Marketing", at=IN_2026))
    assert d.outcome == "not-applicable"
    assert plain_words(d)[0].startswith("Not applicable")


@pytest.mark.contract
def test_collection_policy_and_party_membership_come_from_the_store(tiny):
    req = MayRequest(EX + "shelf-prices", "read", party=EX + "analyst", at=IN_2026)
    assert may(tiny, req).outcome == "permit"
    assert may(tiny, MayRequest(EX + "shelf-prices", "read", party=EX + "x")).outcome == "deny"


def test_unknown_product_is_not_found(tiny):
    with pytest.raises(NotFound, match="unknown product"):
        may(tiny, MayRequest(EX + "nothing", "use", "Marketing"))


@pytest.mark.parametrize("field, value, words", [
    ("action", "fly", "unknown action"),
    ("purpose", "Nonsense", "unknown purpose"),
    ("product", "not an iri", "IRI"),
    ("product", "demo:sales", "unknown prefix 'demo'"),
])
def test_bad_request_values_are_usage_errors(tiny, field, value, words):
    values = {"product": EX + "sales", "action": "use", "purpose": "Marketing", field: value}
    with pytest.raises(UsageError, match=words):
        may(tiny, MayRequest(**values))


@pytest.mark.parametrize("body, words", [
    ([], "JSON object"), ({"action": "use"}, "product is required"),
    ({"product": "x", "action": 3}, "must be a string"),
    ({"product": "x", "action": "use", "at": "June"}, "ISO date"),
    ({"product": "x", "action": "use", "who": "me"}, "unknown field"),
])
def test_request_from_json_names_the_bad_field(body, words):
    with pytest.raises(UsageError, match=words):
        MayRequest.from_json(body)


DEMO_CASES = [
    (MayRequest(P + "customer-master", "use", "CustomerCare", spatial=EUROPE, at=IN_2026),
     "permit", "Permitted by permission 'Use for account management"),
    (MayRequest(P + "customer-master", "distribute", "CustomerCare", at=IN_2026),
     "deny", "Denied by prohibition 'No sale or transfer"),
    (MayRequest(P + "customer-master", "use", "Marketing", spatial=EUROPE, at=IN_2026),
     "deny", "Denied by default"),
    (MayRequest(P + "loyalty-membership", "read", "PersonalisedBenefits", party=CARD_PARTNER,
                at=IN_2026), "permit", "Permitted by permission 'Card partner"),
    (MayRequest(P + "churn-risk-scores", "derive", "CustomerRelationshipManagement",
                at=IN_2026), "deny", "Denied by prohibition 'No derived products"),
    (MayRequest(P + "customer-segments", "use", "Marketing", at=IN_2026),
     "not-applicable", "No policy targets"),
    # an isAnyOf purpose list on a stored policy (its rdf:List must be pulled too)
    (MayRequest(P + "marketing-consents", "read", "DirectMarketing", at=IN_2026),
     "permit", "Permitted by permission 'Read to check sends"),
    (MayRequest(P + "marketing-consents", "read", "LegalCompliance", at=IN_2026),
     "permit", "Permitted by permission 'Read to check sends"),
]


@pytest.mark.parametrize("request_, outcome, message", DEMO_CASES)
def test_demo_mesh_decisions_with_explanations(demo_store, request_, outcome, message):
    d = may(demo_store, request_)
    assert d.outcome == outcome
    assert d.explanation[-1].message.startswith(message), d.explanation[-1].message


def test_may_cli_exit_codes_and_json_match_the_library(demo_store):
    expected = [may(demo_store, r).to_dict() for r, _, _ in DEMO_CASES]
    path = demo_store.path
    demo_store.close()
    codes = {"permit": 0, "deny": 1, "not-applicable": 4}
    for (request, outcome, _), answer in zip(DEMO_CASES, expected, strict=True):
        args = ["may", "--product", request.product, "--action", request.action,
                "--purpose", request.purpose, "--at", request.at.isoformat(), "--json"]
        for name in ("party", "spatial"):
            if getattr(request, name):
                args += [f"--{name}", getattr(request, name)]
        proc = meshkg(path, *args)
        assert proc.returncode == codes[outcome], proc.stderr
        assert json.loads(proc.stdout) == answer
    proc = meshkg(path, "may", "--product", P + "nothing", "--action", "use")
    assert proc.returncode == 2 and "unknown product" in proc.stderr
    proc = meshkg(path, "may", "--product", "demo:customer-master", "--action", "use")
    assert proc.returncode == 2 and "unknown prefix 'demo'" in proc.stderr
    proc = meshkg(path, "may", "--product", P + "customer-master", "--action", "use",
                  "--purpose", "CustomerCare", "--spatial", EUROPE, "--at", "2026-06-01")
    assert proc.returncode == 0
    assert proc.stdout.startswith("permit: Permitted.") and "Duty:" in proc.stdout


# --------------------------------------------------------------- built-in rules


def _shapes_of(run, focus: str) -> set[str]:
    return {f.shape for f in run.report.results
            if f.focus == EX + focus and f.severity == "Violation"}


@pytest.mark.parametrize("fixture, shape", [
    ("consumed.ttl", "https://w3id.org/meshkg/rules#ConsumedProductShape"),
    ("deprecated.ttl", "https://w3id.org/meshkg/rules#DeprecatedConceptUseShape"),
    ("personal.ttl", "https://w3id.org/meshkg/ontology#PersonalDataPolicyShape"),
    ("special.ttl", "https://w3id.org/meshkg/ontology#SpecialCategoryLegalBasisShape"),
])
def test_builtin_rule_fails_its_failing_fixture(fixture, shape):
    run = check_files([RULES / "fail" / fixture], check_shapes())
    assert not run.conforms
    assert _shapes_of(run, "a") == {shape}


def test_builtin_rules_pass_the_passing_fixtures():
    run = check_files([RULES / "pass"], check_shapes())
    assert run.conforms, run.report.to_text()
    assert [(d.label, d.products, d.passing) for d in run.domains] == [("Test domain", 4, 4)]


def test_consumed_product_without_owner_and_port_reports_both():
    run = check_files([RULES / "fail" / "consumed.ttl"], check_shapes())
    messages = [f.message for f in run.report.results
                if f.shape and f.shape.endswith("ConsumedProductShape")]
    assert len(messages) == 1 and "output port" in messages[0] and EX + "b" in messages[0]


# ------------------------------------------------------------------ rule files


def test_split_paths_tells_rule_files_from_data():
    rules, data = split_paths([RULES / "steward", RULES / "pass"])
    assert [r.name for r in rules] == ["modified.ttl"]
    assert sorted(d.name for d in data) == ["mesh.ttl", "privacy.ttl"]


def test_steward_rule_file_adds_its_violations():
    run = check_files([RULES / "pass"], check_shapes([RULES / "steward" / "modified.ttl"]))
    assert {f.message for f in run.report.results if f.severity == "Violation"} == {
        "Steward rule: a product must say when it last changed (dct:modified)."}


def test_unparseable_rule_file_names_file_and_line():
    with pytest.raises(ParseError) as err:
        split_paths([RULES / "broken"])
    assert err.value.source.endswith("bad-rule.ttl") and err.value.line == 18


def test_rule_with_service_is_refused_naming_the_file():
    with pytest.raises(QueryRefused, match="service-rule.ttl: SERVICE is not allowed"):
        check_shapes([RULES / "service" / "service-rule.ttl"])


@pytest.mark.parametrize("paths, code, words", [
    (["pass"], 0, "Conforms"),
    (["pass", "steward"], 1, "Steward rule"),
    (["fail"], 1, "ConsumedProductShape"),
    (["broken", "pass"], 2, "bad-rule.ttl:18:1"),
    (["service", "pass"], 2, "SERVICE is not allowed"),
])
def test_check_cli_on_folders_of_turtle(tmp_path, paths, code, words):
    proc = meshkg("memory", "check", *[str(RULES / p) for p in paths])
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert words in proc.stdout + proc.stderr


# -------------------------------------------------------------- recorded runs


@pytest.mark.contract
def test_check_of_a_store_records_a_run_per_domain_for_the_dashboard(demo_store):
    assert dashboard(demo_store).domains == []
    parsed = parse_file(RULES / "fail" / "deprecated.ttl", graph="urn:test:deprecated")
    demo_store.write_quads({"urn:test:deprecated": parsed.quads})
    first = check_store(demo_store, check_shapes())
    second = check_store(demo_store, check_shapes([RULES / "steward" / "modified.ttl"]))
    assert demo_store.has_graph(GOVERNANCE_GRAPH) and first.run != second.run
    board = dashboard(demo_store)
    assert board.runs == 2
    test = next(d for d in board.domains if d.label == "Test domain")
    assert (test.latest.products, test.latest.passing) == (1, 0)
    assert [p for p, violations, _ in test.with_findings if violations] == [EX + "a"]
    customer = next(d for d in board.domains if d.label == "Customer")
    assert [h.products for h in customer.history] == [6, 6]
    assert customer.history[0].violations == 0


def test_check_cli_on_the_store_exits_by_violations(demo_store):
    path = demo_store.path
    demo_store.close()
    proc = meshkg(path, "check", str(RULES / "steward"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Customer: 6/6 products pass" in proc.stdout and "1 rule file(s)" in proc.stdout
    with OxigraphStore(path) as store:
        parsed = parse_file(RULES / "fail" / "consumed.ttl", graph="urn:test:consumed")
        store.write_quads({"urn:test:consumed": parsed.quads})
    proc = meshkg(path, "check", "--format", "json")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = json.loads(proc.stdout)
    assert out["violations"] == 1 and out["run"].startswith("urn:meshkg:governance:run:")
    with OxigraphStore(path) as store:
        assert dashboard(store).runs == 2


def test_a_product_in_two_domains_fails_in_both_and_skos_domains_are_named(vocab_store):
    """An import's placeholder domain beside a real one: the product is counted, and fails,
    in each (the dashboard said "1 of 9 passing" where all 9 failed); a domain that is a
    SKOS concept (DPROD leaves its class open) is named by its prefLabel."""
    data = """
@prefix dprod: <https://www.omg.org/spec/DPROD/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix ex: <https://example.org/g/> .
ex:p a dprod:DataProduct ; dprod:domain ex:sales , <urn:meshkg:placeholder:domain> .
ex:q a dprod:DataProduct ; dprod:domain <urn:meshkg:placeholder:domain> .
ex:sales a skos:Concept ; skos:prefLabel "Sales"@en .
"""
    from kg.loading import parse_bytes
    parsed = parse_bytes(data.encode(), "turtle", graph="urn:test:two", source="test")
    vocab_store.write_quads({"urn:test:two": parsed.quads})
    run = check_store(vocab_store, check_shapes())
    by_label = {d.label: d for d in run.domains}
    assert (by_label["Sales"].products, by_label["Sales"].passing) == (1, 0)
    placeholder = next(d for d in run.domains if d.domain == "urn:meshkg:placeholder:domain")
    assert (placeholder.products, placeholder.passing) == (2, 0)
