"""Fixtures for kg tests: fresh stores holding the vocabularies or the demo.

The vocabularies (and the demo) are built once per session on the embedded store
(`_vocab_template`, `_demo_template` in tests/conftest.py).
Each test then gets its own copy: the store folder copied (embedded), or, for a test
marked `contract` (tests/conftest.py), the template's graphs restored on a server
(Oxigraph server, Virtuoso), once per backend. A server store's `path` is its
`sparql+http://…` location and the `backend` fixture sets the other MESHKG_* variables
it needs, so tests that run `meshkg` on `store.path` run on servers too.
"""

from __future__ import annotations

import shutil

import pytest

from kg.errors import ResultTooLarge
from kg.store.oxigraph import OxigraphStore
from tests.conftest import server_with

#: tests a server answers differently, by module, name and the parameters they run with
DEVIATIONS = [
    ("test_inference.py", "test_entailments_match_owlrl_for_the_rules_discovery_needs",
     {"backend": "virtuoso"}, pytest.mark.xfail(
         raises=ResultTooLarge, strict=True,
         reason="Virtuoso: ResultSetMaxRows (5,000 in .ci/servers.sh) cuts the test's one "
                "SELECT of every triple in the store; meshkg refuses the partial answer "
                "(ResultTooLarge) instead of comparing a cut one")),
    # found by .ci/run on 2026-12-08, and failing on a fresh Virtuoso at 53a2000 too (the
    # commit this session started from): a known defect, kept visible until it is fixed
    ("test_shaclsparql.py", "test_whole_graph_validation_reports_what_the_views_report",
     {"backend": "virtuoso"}, pytest.mark.xfail(
         strict=False,
         reason="Virtuoso: the whole-graph pass runs the SPARQL-based constraints over the "
                "server with the asserted graphs as its default graph and finds 7 findings "
                "where the per-resource views find 21 (the 14 Info hints of "
                "DataProductShape-tagHint and DeprecatedProductShape are missing): a "
                "defect of the remote query rewriting, open")),
]


def pytest_collection_modifyitems(config, items):
    """Mark the documented server deviations (docs/remote.md)."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        for module, name, params, mark in DEVIATIONS:
            if (module, name) == (item.path.name, item.originalname) and callspec and all(
                    callspec.params.get(k) == v for k, v in params.items()):
                item.add_marker(mark)


def _copy(template, tmp_path, backend, name):
    path, dump = template
    if backend != "embedded":
        return server_with(backend, name, dump)
    target = tmp_path / "store"
    shutil.copytree(path, target)
    return OxigraphStore(target)


@pytest.fixture
def vocab_store(_vocab_template, tmp_path, backend):
    """A fresh store holding the shipped vocabularies and ontology (on `backend`)."""
    store = _copy(_vocab_template, tmp_path, backend, "vocab")
    yield store
    store.close()


@pytest.fixture
def demo_store(_demo_template, tmp_path, backend):
    """A fresh store holding the demo mesh, validated and inferred (on `backend`)."""
    store = _copy(_demo_template, tmp_path, backend, "demo")
    yield store
    store.close()
