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


def test_shapes_the_engine_cannot_compile_are_a_usage_error_naming_the_engine(tmp_path):
    """A steward's rule file or a profile's shapes that pyshacl-turbo cannot compile (DCAT-AP
    3.0.1's own SHACL: a property shape without sh:path) say so, exit 2, no traceback."""
    import subprocess
    import sys

    bad = tmp_path / "rules.ttl"
    bad.write_text("""
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <https://example.org/> .
ex:S a sh:NodeShape ; sh:targetClass ex:Thing ; sh:property ex:NoPath .
ex:NoPath sh:minCount 1 .
""", encoding="utf-8")
    data = Graph().parse(data="<https://example.org/x> a <https://example.org/Thing> .",
                         format="turtle")
    with pytest.raises(UsageError, match="cannot use these shapes"):
        validate_graph(data, load_shapes([bad]), engine="turbo")
    proc = subprocess.run([sys.executable, "-m", "kg.cli", "--store", "memory", "validate",
                           "--rules", str(bad)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "SHACL engine (turbo) cannot use these shapes" in proc.stderr
