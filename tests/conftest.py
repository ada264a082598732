"""Root fixtures shared by every test.

- `store`: a fresh, empty Store: the embedded one (pyoxigraph on disk), or, for a test
  marked `contract`, once per backend: "embedded", "oxigraph-server" and "virtuoso"
  (RemoteStore on the servers .ci/run starts). `vocab_store` and `demo_store`
  (tests/kg/conftest.py) follow the same `backend`.
- `backend`: the backend's name ("embedded" unless the test is marked `contract`).
- `store_factory`: open an empty store of a named backend (several per test: migrations).
- `embedded_store`: the embedded backend only.
- `settings`: Settings with the store under tmp_path and updates disabled.
- `chromium`: the path of a headless Chromium (for browser tests).
- `_vocab_template`, `_demo_template`: the vocabularies / the demo built once per session.

The contract (`@pytest.mark.contract`) is what must hold on every backend: what a Store
does (query, update, graphs, dumps, drops, blank nodes, errors, atomicity, timeouts) and
the load -> gate -> inference -> validation path over it. Every other test that merely
needs a store runs on the embedded one; tests of one server's behaviour carry its marker
(`virtuoso`, `oxigraph_server`), as the BACKENDS parameters do.

Servers and Chromium are named by environment variables (MESHKG_TEST_VIRTUOSO with
_GSP and _AUTH, MESHKG_TEST_OXIGRAPH with _UPDATE and _GSP, MESHKG_TEST_CHROMIUM;
`.ci/servers.sh start DIR` writes them to DIR/env). Where one is unset the test skips
with a reason containing NEEDS (.ci/run fails on such skips); with
MESHKG_REQUIRE_SERVERS=1 it fails instead.

The servers outlive the tests, so each test starts from a known dataset: the empty
one, or a template (the vocabularies, the demo) restored by `server_with`. Restoring
is skipped when the server still holds the template it was last given and nothing
wrote to it since (every request that can write goes through `RemoteStore._send`,
which counts them; a store's `path`, the location a subprocess would write through,
and `server_touched` mark it as changed). A server changed only in graphs the requests
name (`_dirty`) gets just those graphs back (and those two templates hold differently):
a Virtuoso test no longer uploads the 58,000 triples of the vocabularies after each write.

Under pytest-xdist (`-n 2 --dist loadgroup`) every test carrying the `virtuoso` marker
is in the xdist_group "virtuoso", every `oxigraph_server` one in "oxigraph-server", and
every browser test in "chromium" (one Chromium, one served demo), so one worker holds
each server and the `_held` record of what it holds stays true in that worker. A test
that opens a server without its marker fails (it could run beside another worker's).
"""

from __future__ import annotations

import os

import pytest

from kg.config import Settings
from kg.store.oxigraph import OxigraphStore
from kg.store.remote import RemoteStore

#: The word in every skip reason that means "a server or browser is absent".
NEEDS = "[needs-server]"

SERVERS = ("oxigraph-server", "virtuoso")

#: xdist_group of the tests carrying each marker: one worker per server, one for Chromium
GROUPS = {"virtuoso": "virtuoso", "oxigraph_server": "oxigraph-server", "chromium": "chromium"}
#: fixtures that mean a test drives Chromium (tests/browser/conftest.py, `chromium`)
CHROMIUM_FIXTURES = {"chromium", "chromium_path", "browser", "page"}


def pytest_configure(config):
    config.addinivalue_line("markers", "contract: run on every backend (embedded, Oxigraph "
                            "server, Virtuoso): the Store contract and load -> gate -> "
                            "inference -> validation")
    # pytest-xdist registers it; without xdist the marker is still known (filterwarnings)
    config.addinivalue_line("markers", "xdist_group(name): tests that run on one xdist worker")


def pytest_generate_tests(metafunc):
    """Run a `contract` test that uses `backend` (through `store`, `vocab_store`,
    `demo_store`) once per backend; every other test gets the embedded store."""
    if "backend" not in metafunc.fixturenames \
            or metafunc.definition.get_closest_marker("contract") is None:
        return
    for mark in metafunc.definition.iter_markers("parametrize"):
        names = mark.args[0]
        if "backend" in ([n.strip() for n in names.split(",")] if isinstance(names, str)
                         else names):
            return  # the test names its own backends (store_factory tests)
    metafunc.parametrize("backend", BACKENDS, indirect=True)


def _group(item) -> str | None:
    if CHROMIUM_FIXTURES & set(getattr(item, "fixturenames", ())):
        item.add_marker(pytest.mark.chromium)
    groups = {group for marker, group in GROUPS.items() if item.get_closest_marker(marker)}
    if len(groups) > 1:
        # xdist would join the names into a third group, run beside both
        raise pytest.UsageError(f"{item.nodeid} carries the markers of {sorted(groups)}: "
                                "a test may hold one server (or Chromium), not several")
    return groups.pop() if groups else None


@pytest.hookimpl(tryfirst=True)  # before xdist's hook reads the groups
def pytest_collection_modifyitems(config, items):
    """Give every test that touches a server (or Chromium) that one's xdist_group."""
    for item in items:
        group = _group(item)
        if group:
            item.add_marker(pytest.mark.xdist_group(group))


_running = None  # the test being run in this process


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    global _running
    _running = item


def _check_marked(backend: str) -> None:
    """Fail a test that opens a server without that server's marker (and so xdist group)."""
    marker = backend.replace("-", "_")
    if _running is not None and _running.get_closest_marker(marker) is None:
        pytest.fail(f"{_running.nodeid} opens the {backend} test server without "
                    f"@pytest.mark.{marker} (or the BACKENDS parameters, which carry it): "
                    "under pytest-xdist it could run beside another test on that server",
                    pytrace=False)


def _absent(what: str, var: str) -> None:
    message = f"{NEEDS} {what} absent: set {var} (.ci/run starts it)"
    if os.environ.get("MESHKG_REQUIRE_SERVERS") == "1":
        pytest.fail(f"{message}; MESHKG_REQUIRE_SERVERS=1 forbids skipping", pytrace=False)
    pytest.skip(message)


def server_settings(backend: str, **overrides) -> Settings:
    """Settings that open one test server as the store (`MESHKG_STORE=sparql+…`)."""
    _check_marked(backend)
    if backend == "virtuoso":
        url = os.environ.get("MESHKG_TEST_VIRTUOSO") or _absent("Virtuoso",
                                                                "MESHKG_TEST_VIRTUOSO")
        base = {"store": f"sparql+{url}", "gsp_url": os.environ.get("MESHKG_TEST_VIRTUOSO_GSP")}
    else:
        url = os.environ.get("MESHKG_TEST_OXIGRAPH") or _absent("Oxigraph server",
                                                                "MESHKG_TEST_OXIGRAPH")
        base = {"store": f"sparql+{url}",
                "update_url": os.environ.get("MESHKG_TEST_OXIGRAPH_UPDATE"),
                "gsp_url": os.environ.get("MESHKG_TEST_OXIGRAPH_GSP")}
    # the tests write to a server from several processes at once (the test, `meshkg`
    # commands, a served app), so no store keeps the server's graph list for a moment
    return Settings(**{"remote_timeout": 60.0, "remote_graph_ttl": 0.0, **base, **overrides})


def server_env(backend: str) -> dict[str, str]:
    """Environment variables that point the `meshkg` command at one test server."""
    s = server_settings(backend)
    env = {"MESHKG_STORE": s.store, "MESHKG_REMOTE_TIMEOUT": "60", "MESHKG_REMOTE_GRAPH_TTL": "0"}
    for key, name in (("update_url", "MESHKG_UPDATE_URL"), ("gsp_url", "MESHKG_GSP_URL")):
        if getattr(s, key):
            env[name] = getattr(s, key)
    return env


# -- what each server holds --------------------------------------------------------
_held: dict[str, tuple[str, int] | None] = {}  # backend -> (dataset name, writes seen)
#: backend -> the named graphs written since its dataset was put there (None: any)
_dirty: dict[str, set[str] | None] = {}


_write_requests = 0


def _writes() -> int:
    return _write_requests


def _backend_of(url: str) -> str | None:
    """The test server a request goes to (by host and port), or None (a stub, another)."""
    from urllib.parse import urlsplit
    netloc = urlsplit(url).netloc
    for backend, var in (("virtuoso", "MESHKG_TEST_VIRTUOSO"),
                         ("oxigraph-server", "MESHKG_TEST_OXIGRAPH")):
        if os.environ.get(var) and urlsplit(os.environ[var]).netloc == netloc:
            return backend
    return None


def _graphs_written(method: str, kw: dict) -> set[str] | None:
    """The named graphs one write request may change, or None when it does not tell: a
    Graph Store request names its graph; an update's graphs are read from its text as
    the embedded store reads them (`may_write`), and one naming none (the default
    graph) may be anything."""
    from urllib.parse import parse_qs

    from kg.store.oxigraph import may_write
    params = kw.get("params") or {}
    if "graph" in params:
        return {params["graph"]}
    data = kw.get("data")
    if method != "POST" or not isinstance(data, bytes):
        return None
    form = parse_qs(data.decode("ascii", "replace"))
    if "update" not in form:
        return set() if "query" in form else None
    graphs: set[str] = set()
    for text in form["update"]:
        named = may_write(text)
        if not named:
            return None
        graphs |= named
    return graphs


@pytest.fixture(autouse=True, scope="session")
def _count_server_writes():
    """Count requests that may write to a server, so unchanged datasets are kept, and
    note the graphs they write, so a changed one is repaired graph by graph."""
    send = RemoteStore._send

    def counting(self, method, url, **kw):
        global _write_requests
        data = kw.get("data")
        if method != "GET" and not (isinstance(data, bytes) and data.startswith(b"query=")):
            _write_requests += 1
            backend = _backend_of(url)
            if backend is not None and _dirty.get(backend) is not None:
                graphs = _graphs_written(method, kw)
                if graphs is None:
                    _dirty[backend] = None
                else:
                    _dirty[backend] |= graphs
        return send(self, method, url, **kw)

    RemoteStore._send = counting
    yield
    RemoteStore._send = send


def server_touched(backend: str) -> None:
    """Forget what a server holds (after writing to it other than through this process)."""
    _held[backend] = None
    _dirty[backend] = None


class ServerStore(RemoteStore):
    """A test server, which names its location like an embedded store names its folder."""

    backend = ""

    @property
    def path(self) -> str:
        """The MESHKG_STORE that reopens this server (with `server_env`), so tests that
        run the command line on `store.path` run unchanged; the server may then be
        written by a subprocess, so it is restored before the next test."""
        server_touched(self.backend)
        return server_settings(self.backend).store


def _open_remote(backend: str) -> ServerStore:
    store = ServerStore.from_settings(server_settings(backend))
    store.backend = backend
    return store


def server_with(backend: str, name: str, dump: bytes | None):
    """Open a server holding exactly one dataset: `dump` (N-Quads), or nothing.

    A server that holds it unchanged is kept; one that holds a dataset this process put
    there and changed only in graphs it can name (`_dirty`) is repaired: those graphs
    and the ones the two datasets hold differently are put back or dropped; any other
    is emptied and restored whole.
    """
    remote = _open_remote(backend)
    expected = _counts(name, dump) if dump else {}
    held = _held.get(backend)
    if held == (name, _writes()) and remote.graphs() == expected:
        return remote
    target = _by_graph(name, dump)
    dirty = _dirty.get(backend)
    _held[backend], _dirty[backend] = None, None
    if held is not None and dirty is not None and held[0] in _BY_GRAPH:
        _repair(remote, _BY_GRAPH[held[0]], target, dirty)
        if remote.graphs() == expected:
            _held[backend], _dirty[backend] = (name, _writes()), set()
            return remote
    remote.update("DROP ALL")  # meshkg's graphs only: a server's own graphs stay
    remote.recover()
    _put(remote, target, target)
    _held[backend], _dirty[backend] = (name, _writes()), set()
    return remote


def _repair(remote, held: dict[str, bytes], target: dict[str, bytes], dirty: set[str]):
    """Turn a server holding `held` changed in the graphs `dirty` into one holding `target`."""
    drop = sorted((dirty | set(held)) - set(target))
    if drop:
        remote.update(" ; ".join(f"DROP SILENT GRAPH <{g}>" for g in drop))
    remote.recover()  # staging left by an interrupted write
    _put(remote, target, {g for g in target if g in dirty or held.get(g) != target[g]})


def _put(remote, target: dict[str, bytes], graphs) -> None:
    """Put graphs of a dataset on the server, each by one GSP PUT.

    Test set-up only: not meshkg's staged write, which is slower and not needed here.
    """
    for graph in sorted(graphs):
        remote._send("PUT", remote.gsp_url, params={"graph": graph}, data=target[graph],
                     headers={"Content-Type": "text/turtle"})


_BY_GRAPH: dict[str, dict[str, bytes]] = {"empty": {}}


def _by_graph(name: str, dump: bytes | None) -> dict[str, bytes]:
    """Each graph of a dataset as Turtle (Virtuoso reads it faster than N-Triples)."""
    if not dump:
        return {}
    if name not in _BY_GRAPH:
        import pyoxigraph as ox
        triples: dict[str, list] = {}
        for q in ox.parse(dump, format=ox.RdfFormat.N_QUADS):
            triples.setdefault(q.graph_name.value, []).append(q.triple)
        _BY_GRAPH[name] = {g: ox.serialize(t, format=ox.RdfFormat.TURTLE)
                           for g, t in triples.items()}
    return _BY_GRAPH[name]


_COUNTS: dict[str, dict[str, int]] = {}


def _counts(name: str, dump: bytes) -> dict[str, int]:
    if name not in _COUNTS:
        import pyoxigraph as ox
        counts: dict[str, int] = {}
        for q in ox.parse(dump, format=ox.RdfFormat.N_QUADS):
            counts[q.graph_name.value] = counts.get(q.graph_name.value, 0) + 1
        _COUNTS[name] = dict(sorted(counts.items()))
    return _COUNTS[name]


def open_backend(backend: str, tmp_path):
    """Open an empty store of one backend ("embedded", "oxigraph-server", "virtuoso")."""
    if backend == "embedded":
        return OxigraphStore(tmp_path / f"store-{backend}")
    return server_with(backend, "empty", None)


BACKENDS = [
    pytest.param("embedded"),
    pytest.param("oxigraph-server", marks=pytest.mark.oxigraph_server),
    pytest.param("virtuoso", marks=pytest.mark.virtuoso),
]
SERVER_BACKENDS = [p for p in BACKENDS if p.values[0] in SERVERS]


@pytest.fixture
def backend(request, monkeypatch):
    """The backend the store fixtures open: "embedded", or each of BACKENDS in turn for
    a `contract` test; on a server, the MESHKG_* variables `meshkg` commands need."""
    name = getattr(request, "param", "embedded")
    if name != "embedded":
        for var, value in server_env(name).items():
            if var != "MESHKG_STORE":
                monkeypatch.setenv(var, value)
    return name


@pytest.fixture
def store(backend, tmp_path):
    """A fresh empty Store (embedded; of each backend in turn for a `contract` test)."""
    s = open_backend(backend, tmp_path)
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


def _template(tmp_path_factory, name, build):
    path = tmp_path_factory.mktemp(name) / "store"
    store = OxigraphStore(path)
    build(store)
    dump = store.dump(None, "nquads")
    store.close()
    return path, dump


@pytest.fixture(scope="session")
def _vocab_template(tmp_path_factory):
    """The shipped vocabularies and ontology, built once: (store folder, N-Quads dump)."""
    from kg.sources import ensure_vocabularies
    return _template(tmp_path_factory, "vocab", ensure_vocabularies)


@pytest.fixture(scope="session")
def _demo_template(tmp_path_factory):
    """The demo mesh, validated and inferred, built once: (store folder, N-Quads dump)."""
    from kg.sources import load_demo
    return _template(tmp_path_factory, "demo", load_demo)


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
