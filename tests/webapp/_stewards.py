"""A web app with steward accounts over a small store, for the curation, CSRF and
own-graph tests (each module gives its own data and token)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from kg import accounts
from kg.config import Settings
from kg.loading import parse_bytes
from kg.sources import ensure_vocabularies
from kg.store.oxigraph import OxigraphStore
from webapp import create_app
from webapp.auth import hash_token


def template(tmp_path_factory, name: str, data: str) -> Path:
    """Build once per module: the vocabularies plus `data` (Turtle) in <urn:test:c>."""
    path = tmp_path_factory.mktemp(name) / "store"
    store = OxigraphStore(path)
    ensure_vocabularies(store)
    store.write_quads({"urn:test:c": parse_bytes(data.encode(), "turtle", graph="urn:test:c",
                                                 source="test").quads})
    store.close()
    return path


def steward_app(template_path: Path, tmp_path: Path, token: str, **settings):
    """A fresh copy of the template served by an app with the steward `token`, the
    steward account alice and the admin account root."""
    shutil.copytree(template_path, tmp_path / "store")
    store = OxigraphStore(tmp_path / "store")
    app = create_app(Settings(**{"store": str(tmp_path / "store"), "load_demo": False,
                                 "secret_key": "test", "steward_tokens": (hash_token(token),),
                                 **settings}), store)
    app.config["MESHKG_ACCOUNTS_FILE"] = str(tmp_path / "accounts.toml")
    accounts.add(app.config["MESHKG_ACCOUNTS_FILE"], "alice", "alice-password", "steward")
    accounts.add(app.config["MESHKG_ACCOUNTS_FILE"], "root", "root-password", "admin")
    return app


def steward_fixtures(name: str, data: str, token: str, **settings):
    """Return the module's `_template` and `app` fixtures: `data` built once as `name`,
    a fresh steward app over a copy of it per test (closed after)."""

    @pytest.fixture(scope="module")
    def _template(tmp_path_factory):
        return template(tmp_path_factory, name, data)

    @pytest.fixture
    def app(_template, tmp_path):
        app = steward_app(_template, tmp_path, token, **settings)
        yield app
        app.extensions["meshkg.store"].close()

    return _template, app


def csrf_token(client, url: str = "/signin") -> str:
    """Return the CSRF token of the form on the page at `url`."""
    html = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
