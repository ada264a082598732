"""A real meshkg server on waitress over the demo mesh, the tiny hostile mesh and the
UAT thesaurus, and a real headless Chromium driven by Playwright (never downloaded:
MESHKG_TEST_CHROMIUM or the system's chromium)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from kg.config import Settings
from kg.loading import parse_file
from kg.store.oxigraph import OxigraphStore

DATA = Path(__file__).resolve().parents[1] / "data"
OUTPUT = Path(__file__).resolve().parents[1] / "output"
NEEDS = "[needs-server]"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """The path of a headless Chromium, or a [needs-server] skip."""
    path = os.environ.get("MESHKG_TEST_CHROMIUM") or shutil.which("chromium")
    if not path or not os.path.exists(path):
        pytest.skip(f"{NEEDS} Chromium absent: set MESHKG_TEST_CHROMIUM or install chromium "
                    "(.ci/run installs it)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip(f"{NEEDS} the playwright package is absent (pip install playwright)")
    return path


@pytest.fixture(scope="session")
def base_url(tmp_path_factory, _demo_template):
    """Serve the browser on a free loopback port for the whole session, over the demo
    (the session's template, as `load_demo` leaves it) and the extra graphs."""
    from kg.inference import infer
    from webapp.serve import make_server, start_in_thread

    path = tmp_path_factory.mktemp("browser") / "store"
    shutil.copytree(_demo_template[0], path)
    store = OxigraphStore(path)
    for name, graph in (("catalog/mini-mesh.ttl", "urn:test:mini-mesh"),
                        ("corpora/uat/UAT.rdf", "urn:test:uat")):
        store.write_quads({graph: parse_file(DATA / name, graph=graph).quads})
    # as a load would: entailments and the search index cover the extra graphs too
    infer(store, changed=["urn:test:mini-mesh", "urn:test:uat"])
    server = make_server(Settings(store=str(path), load_demo=False), store,
                         host="127.0.0.1", port=0, threads=4)
    stop = start_in_thread(server, "meshkg-browser-test")
    yield f"http://127.0.0.1:{server.effective_port}"
    stop()
    store.close()


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, base_url):
    """A fresh page that records console errors, dialogs and requests leaving the server."""
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    p = context.new_page()
    p.errors, p.dialogs, p.foreign = [], [], []
    p.on("console", lambda m: p.errors.append(m.text) if m.type == "error" else None)
    p.on("pageerror", lambda e: p.errors.append(str(e)))
    p.on("dialog", lambda d: (p.dialogs.append(d.message), d.dismiss()))
    p.on("request", lambda r: None if r.url.startswith(base_url) else p.foreign.append(r.url))
    yield p
    context.close()


@pytest.fixture(scope="session")
def output() -> Path:
    """Where screenshots go (tests/output, not committed)."""
    OUTPUT.mkdir(exist_ok=True)
    return OUTPUT
