"""The same meshkg on every backend: load through the SHACL gate, inference, validation
and discovery, on the embedded store and on the SPARQL servers .ci/run starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.errors import ShapeViolation, StoreError
from kg.sources import ensure_vocabularies, load_files
from kg.validation import validate_store

DATA = Path(__file__).parent.parent / "data" / "core"
GOOD = DATA / "product-ok.ttl"
NO_OWNER = DATA / "product-no-owner.ttl"
PRODUCT = "https://example.org/id/web-orders"
SKOS = "http://www.w3.org/2004/02/skos/core#"


@pytest.fixture
def loaded(store, request):
    """The store with vocabularies and one product (loaded in the test's own call phase)."""
    return lambda: _load(store, request)


def _load(store, request):
    if request.node.callspec.params.get("store") == "virtuoso":
        request.applymarker(pytest.mark.xfail(
            raises=StoreError, strict=True,
            reason="Virtuoso refuses the unbounded ownership paths of validation views "
                   "('transitive start not given'); see docs/remote.md"))
    ensure_vocabularies(store)
    load_files(store, [GOOD])
    return store


def test_load_infers_the_concept_hierarchy(loaded):
    loaded = loaded()
    assert loaded.ask(f"ASK {{ <https://example.org/id/online-sale> <{SKOS}broaderTransitive> "
                      "<https://example.org/id/sale> }")
    assert loaded.ask("ASK { ?p <http://purl.org/dc/terms/subject> ?c . "
                      f"?c <{SKOS}broaderTransitive> <https://example.org/id/sale> }}")


def test_gate_refuses_a_violation_and_keeps_the_store(loaded):
    loaded = loaded()
    before = sorted(loaded.dump(GOOD.resolve().as_uri(), "ntriples").splitlines())
    with pytest.raises(ShapeViolation) as info:
        load_files(loaded, [NO_OWNER], graph=GOOD.resolve().as_uri())
    assert any(r.focus == PRODUCT for r in info.value.report.results)
    assert sorted(loaded.dump(GOOD.resolve().as_uri(), "ntriples").splitlines()) == before


def test_validation_finds_the_same_on_every_backend(loaded):
    loaded = loaded()
    report = validate_store(loaded, save=False)
    assert report.conforms
    assert {(f.focus, f.path) for f in report.results if f.severity == "Warning"} >= {
        (PRODUCT, "http://www.w3.org/ns/dcat#contactPoint")}
