"""Steward rule files run within a time and a memory budget (issue 21, finding 3).

A rule file's SPARQL constraints run in a worker process (kg.store.sandbox.Evaluator):
a cartesian rule stops at `rule_timeout`, a rule whose solutions grow without bound at
`rule_memory_mb`, each with a message naming the budget, within the budget + 1 s.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from kg.errors import OverBudget, QueryTimeout
from kg.governance import check_files, check_shapes

RULES = Path(__file__).resolve().parents[1] / "data" / "rules"


def test_cartesian_rule_stops_at_its_time_budget():
    started = time.monotonic()  # the same check with a rule that ends: its set-up time
    check_files([RULES / "pass"], check_shapes([RULES / "steward" / "modified.ttl"]))
    setup = time.monotonic() - started
    shapes = check_shapes([RULES / "runaway" / "cartesian.ttl"])
    started = time.monotonic()
    with pytest.raises(QueryTimeout) as err:
        check_files([RULES / "pass"], shapes, rule_timeout=2.0)
    assert time.monotonic() - started - setup < 2.0 + 1.0  # the budget + 1 s
    assert err.value.exit_code == 3 and err.value.http_status == 503
    assert "time budget of 2 s (rule_timeout)" in err.value.message


def test_rule_that_grows_without_bound_stops_at_its_memory_budget():
    shapes = check_shapes([RULES / "runaway" / "sorting.ttl"])
    started = time.monotonic()
    with pytest.raises(OverBudget) as err:
        check_files([RULES / "pass"], shapes, rule_timeout=120.0, rule_memory_mb=300)
    assert time.monotonic() - started < 60  # the memory cap stopped it, not the clock
    assert err.value.exit_code == 3
    assert "memory budget of 300 MB (rule_memory_mb)" in err.value.message


def test_rules_within_their_budgets_still_report_their_violations():
    run = check_files([RULES / "pass"], check_shapes([RULES / "steward" / "modified.ttl"]),
                      rule_timeout=30.0, rule_memory_mb=1024)
    assert {f.message for f in run.report.results if f.severity == "Violation"} == {
        "Steward rule: a product must say when it last changed (dct:modified)."}
