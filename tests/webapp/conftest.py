"""A real meshkg server on waitress, over a fresh on-disk store, for each test."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from kg.config import Settings
from kg.formats import format_for_path
from kg.store.oxigraph import OxigraphStore
from kg.store.sandbox import close_sandbox
from webapp.auth import hash_token
from webapp.serve import make_server, start_in_thread

DATA = Path(__file__).resolve().parents[1] / "data" / "endpoint"
STEWARD_TOKEN = "steward-secret-for-tests"
FIXTURE_GRAPH = "urn:meshkg:test:"


@dataclass
class Server:
    """A running server: its base URL, store and settings."""

    url: str
    store: OxigraphStore
    settings: Settings

    @property
    def sparql(self) -> str:
        return self.url + "/sparql"

    @property
    def graph_store(self) -> str:
        return self.url + "/graph-store"


def graph_name(path: Path) -> str:
    """Return the named graph a fixture file is loaded into."""
    return FIXTURE_GRAPH + path.stem


@pytest.fixture
def start_server(tmp_path):
    """Start a server with some settings and fixture files; stop it after the test."""
    running = []

    def start(*, data=("mesh.ttl",), **overrides) -> Server:
        base = {"store": str(tmp_path / f"store{len(running)}"), "load_demo": False,
                "query_timeout": 10.0, "max_rows": 1000, "max_body": 1024 * 1024,
                "steward_tokens": (hash_token(STEWARD_TOKEN),)}
        settings = Settings(**{**base, **overrides})
        store = OxigraphStore(settings.store, query_memory_mb=settings.query_memory_mb)
        for name in data:
            path = DATA / name
            store.put_graph(graph_name(path), path.read_bytes(), format_for_path(path).name)
        server = make_server(settings, store, host="127.0.0.1", port=0, threads=6)
        running.append((start_in_thread(server, "meshkg-test-server"), store))
        return Server(f"http://127.0.0.1:{server.effective_port}", store, settings)

    yield start
    for stop, store in running:
        stop()
        close_sandbox(store)
        store.close()


@pytest.fixture
def server(start_server) -> Server:
    """A read-only server over tests/data/endpoint/mesh.ttl."""
    return start_server()


@pytest.fixture
def steward_server(start_server) -> Server:
    """A server that takes updates from stewards, over data no shape targets."""
    return start_server(updates_enabled=True, data=("notes.ttl",))


@pytest.fixture
def bearer():
    """Return a function giving the Authorization header of a steward (or of a token)."""
    def header(token: str = STEWARD_TOKEN) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}
    return header
