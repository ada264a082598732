"""kg.validation: the SHACL engine is the one the settings name, passed in explicitly."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph

from kg.config import SHACL_ENGINES
from kg.errors import UsageError
from kg.validation import load_shapes, validate_graph

FIXTURE = Path(__file__).parent.parent / "data" / "shapes" / "data-product-requires-label-bad.ttl"


def _findings(engine: str) -> set[tuple]:
    report = validate_graph(Graph().parse(FIXTURE), load_shapes(), engine=engine)
    return {(f.severity, f.focus, f.shape) for f in report.results}


@pytest.mark.parametrize("engine", SHACL_ENGINES)
def test_each_shacl_engine_flags_the_violation(engine):
    assert ("Violation", "https://example.org/product",
            "https://w3id.org/meshkg/ontology#DataProductShape-label") in _findings(engine)


def test_shacl_engines_agree():
    assert _findings("turbo") == _findings("pyshacl")


def test_an_unknown_shacl_engine_is_refused():
    with pytest.raises(UsageError, match="unknown SHACL engine 'jena'"):
        validate_graph(Graph().parse(FIXTURE), load_shapes(), engine="jena")
