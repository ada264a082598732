"""Root fixtures shared by every test.

- `store`: a fresh, empty Store, once per backend: "embedded" (pyoxigraph on disk),
  "oxigraph-server" and "virtuoso" (RemoteStore on the servers .ci/run starts). Use it
  for anything that must behave the same on every backend.
- `store_factory`: open an empty store of a named backend (several per test: migrations).
- `embedded_store`: the embedded backend only.
- `settings`: Settings with the store under tmp_path and updates disabled.
- `chromium`: the path of a headless Chromium (for browser tests).

Servers and Chromium are named by environment variables (MESHKG_TEST_VIRTUOSO,
MESHKG_TEST_OXIGRAPH with _UPDATE and _GSP, MESHKG_TEST_CHROMIUM; `.ci/servers.sh start
DIR` writes them to DIR/env). Where one is unset the test skips with a reason containing
NEEDS (.ci/run fails on such skips); with MESHKG_REQUIRE_SERVERS=1 it fails instead.
"""

from __future__ import annotations

import os

import pytest

from kg.config import Settings
from kg.store.oxigraph import OxigraphStore

#: The word in every skip reason that means "a server or browser is absent".
NEEDS = "[needs-server]"


def _absent(what: str, var: str) -> None:
    message = f"{NEEDS} {what} absent: set {var} (.ci/run starts it)"
    if os.environ.get("MESHKG_REQUIRE_SERVERS") == "1":
        pytest.fail(f"{message}; MESHKG_REQUIRE_SERVERS=1 forbids skipping", pytrace=False)
    pytest.skip(message)


def _remote(backend: str):
    from kg.store.remote import RemoteStore
    if backend == "virtuoso":
        url = os.environ.get("MESHKG_TEST_VIRTUOSO") or _absent("Virtuoso",
                                                                "MESHKG_TEST_VIRTUOSO")
        return RemoteStore(url, gsp_url=os.environ.get("MESHKG_TEST_VIRTUOSO_GSP"),
                           timeout=60)
    url = os.environ.get("MESHKG_TEST_OXIGRAPH") or _absent("Oxigraph server",
                                                            "MESHKG_TEST_OXIGRAPH")
    return RemoteStore(url, update_url=os.environ.get("MESHKG_TEST_OXIGRAPH_UPDATE"),
                       gsp_url=os.environ.get("MESHKG_TEST_OXIGRAPH_GSP"), timeout=60)


def open_backend(backend: str, tmp_path):
    """Open an empty store of one backend ("embedded", "oxigraph-server", "virtuoso")."""
    if backend == "embedded":
        return OxigraphStore(tmp_path / f"store-{backend}")
    remote = _remote(backend)
    for graph in remote.graphs():  # the servers outlive tests: start each one clean
        remote.drop(graph)
    remote.drop_staging()
    return remote


BACKENDS = [
    pytest.param("embedded"),
    pytest.param("oxigraph-server", marks=pytest.mark.oxigraph_server),
    pytest.param("virtuoso", marks=pytest.mark.virtuoso),
]


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path):
    """A fresh empty Store of each backend in turn."""
    s = open_backend(request.param, tmp_path)
    yield s
    s.close()


@pytest.fixture
def store_factory(tmp_path):
    """Return a function opening an empty store of a named backend; closed after the test."""
    opened = []

    def factory(backend: str):
        s = open_backend(backend, tmp_path / f"n{len(opened)}")
        opened.append(s)
        return s

    yield factory
    for s in opened:
        s.close()


@pytest.fixture
def embedded_store(tmp_path):
    """A fresh empty embedded (pyoxigraph, on disk) store."""
    s = OxigraphStore(tmp_path / "store")
    yield s
    s.close()


@pytest.fixture
def settings(tmp_path):
    """Settings with the store in tmp_path and updates disabled."""
    return Settings(store=str(tmp_path / "store"), updates_enabled=False)


@pytest.fixture
def chromium():
    """The path of a headless Chromium, or a [needs-server] skip."""
    path = os.environ.get("MESHKG_TEST_CHROMIUM")
    if not path or not os.path.exists(path):
        _absent("Chromium", "MESHKG_TEST_CHROMIUM")
    return path
