"""Fixtures for kg tests: fresh on-disk stores copied from session-built templates.

Building the vocabularies (and the demo) once per session and copying the
store folder per test keeps every test on its own real on-disk store.
"""

from __future__ import annotations

import shutil

import pytest

from kg.sources import ensure_vocabularies, load_demo
from kg.store.oxigraph import OxigraphStore


def _template(tmp_path_factory, name, build):
    path = tmp_path_factory.mktemp(name) / "store"
    store = OxigraphStore(path)
    build(store)
    store.close()
    return path


@pytest.fixture(scope="session")
def _vocab_template(tmp_path_factory):
    return _template(tmp_path_factory, "vocab", ensure_vocabularies)


@pytest.fixture(scope="session")
def _demo_template(tmp_path_factory):
    return _template(tmp_path_factory, "demo", load_demo)


def _copy(template, tmp_path):
    target = tmp_path / "store"
    shutil.copytree(template, target)
    store = OxigraphStore(target)
    return store


@pytest.fixture
def vocab_store(_vocab_template, tmp_path):
    """A fresh on-disk store holding the shipped vocabularies and ontology."""
    store = _copy(_vocab_template, tmp_path)
    yield store
    store.close()


@pytest.fixture
def demo_store(_demo_template, tmp_path):
    """A fresh on-disk store holding the demo mesh, validated and inferred."""
    store = _copy(_demo_template, tmp_path)
    yield store
    store.close()
