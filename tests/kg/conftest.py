"""Fixtures for kg tests: fresh stores holding the vocabularies or the demo, per backend.

The vocabularies (and the demo) are built once per session on the embedded store
(`_vocab_template`, `_demo_template` in tests/conftest.py).
Each test then gets its own copy: the store folder copied (embedded), or the
template's graphs restored on a server (Oxigraph server, Virtuoso), so `vocab_store`
and `demo_store` run every test that uses them on every backend. A server store's
`path` is its `sparql+http://…` location and the fixture sets the other MESHKG_*
variables it needs, so tests that run `meshkg` on `store.path` run on servers too.

Two tests are about the embedded store's folder itself and run only there
(EMBEDDED_ONLY).
"""

from __future__ import annotations

import shutil

import pytest

from kg.errors import ResultTooLarge
from kg.store.oxigraph import OxigraphStore
from tests.conftest import BACKENDS, server_env, server_with

#: tests about the embedded store's folder, by module and name (parameters aside)
EMBEDDED_ONLY = {
    # a second process is refused by the folder's lock; a server has no such lock
    "test_cli.py": {"test_second_process_is_told_the_store_is_in_use"},
    # reopens the folder with OxigraphStore between two `meshkg check` runs
    "test_governance.py": {"test_check_cli_on_the_store_exits_by_violations"},
}


#: tests a server answers differently, by module, name and the parameters they run with
DEVIATIONS = [
    ("test_inference.py", "test_entailments_match_owlrl_for_the_rules_discovery_needs",
     {"backend": "virtuoso"}, pytest.mark.xfail(
         raises=ResultTooLarge, strict=True,
         reason="Virtuoso: ResultSetMaxRows (5,000 in .ci/servers.sh) cuts the test's one "
                "SELECT of every triple in the store; meshkg refuses the partial answer "
                "(ResultTooLarge) instead of comparing a cut one")),
]


def pytest_collection_modifyitems(config, items):
    """Deselect the server variants of tests about the embedded store's folder, and mark
    the documented server deviations (docs/remote.md)."""
    keep, drop = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("backend") if callspec else None
        if backend not in (None, "embedded") and \
                item.originalname in EMBEDDED_ONLY.get(item.path.name, ()):
            drop.append(item)
            continue
        for module, name, params, mark in DEVIATIONS:
            if (module, name) == (item.path.name, item.originalname) and callspec and all(
                    callspec.params.get(k) == v for k, v in params.items()):
                item.add_marker(mark)
        keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(params=BACKENDS)
def backend(request, monkeypatch):
    """The backend a template fixture opens: embedded, oxigraph-server or virtuoso."""
    if request.param != "embedded":
        for name, value in server_env(request.param).items():
            if name != "MESHKG_STORE":
                monkeypatch.setenv(name, value)
    return request.param


def _copy(template, tmp_path, backend, name):
    path, dump = template
    if backend != "embedded":
        return server_with(backend, name, dump)
    target = tmp_path / "store"
    shutil.copytree(path, target)
    return OxigraphStore(target)


@pytest.fixture
def vocab_store(_vocab_template, tmp_path, backend):
    """A fresh store holding the shipped vocabularies and ontology, on each backend."""
    store = _copy(_vocab_template, tmp_path, backend, "vocab")
    yield store
    store.close()


@pytest.fixture
def demo_store(_demo_template, tmp_path, backend):
    """A fresh store holding the demo mesh, validated and inferred, on each backend."""
    store = _copy(_demo_template, tmp_path, backend, "demo")
    yield store
    store.close()
