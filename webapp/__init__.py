"""The meshkg web app: browser, SPARQL endpoint, Graph Store and Linked Data."""

from __future__ import annotations

import logging

from flask import Flask, g

from kg.config import Settings, load_settings

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, store=None) -> Flask:
    """Build the Flask app over one store (opened from the settings unless given)."""
    from kg import open_store

    settings = settings or load_settings()
    app = Flask(__name__)
    app.config["MESHKG"] = settings
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body
    app.config["SECRET_KEY"] = settings.secret_key or _ephemeral_secret()
    app.jinja_env.autoescape = True
    from webapp.fairness import ClientLimiter  # before the store: a bad setting opens nothing
    app.extensions["meshkg.limiter"] = ClientLimiter(
        settings.client_queries, settings.queue_wait, retry_after=settings.query_timeout,
        trusted_proxies=settings.trusted_proxies)
    from kg.loading import context_map, mapped_contexts
    contexts = context_map(settings.jsonld_contexts)  # a bad entry stops serve (exit 2)
    app.extensions["meshkg.store"] = store if store is not None else open_store(settings)
    if getattr(app.extensions["meshkg.store"], "gate_policy", None) is None:
        from kg.validation import GatePolicy  # a store handed in gets the settings' gate too
        app.extensions["meshkg.store"].gate_policy = GatePolicy.from_settings(settings)
    if contexts:
        # every request reads the remote JSON-LD contexts the settings map from local files
        # (uploads, Graph Store and update bodies alike), as the CLI does
        @app.before_request
        def _map_contexts():
            cm = mapped_contexts(contexts)
            cm.__enter__()
            g._meshkg_contexts = cm

        @app.teardown_request
        def _unmap_contexts(_exc):
            cm = g.pop("_meshkg_contexts", None)
            if cm is not None:
                cm.__exit__(None, None, None)
    from kg.inference import recover
    recover(app.extensions["meshkg.store"])  # what a stopped write left underived, first

    from webapp import errors
    errors.init_app(app)
    for name in ("browse", "sparql", "graph_store", "linkeddata", "governance", "curation",
                 "imports"):
        module = _optional_module(name)
        if module is not None and hasattr(module, "bp"):
            app.register_blueprint(module.bp)
    return app


def _optional_module(name: str):
    import importlib.util
    if importlib.util.find_spec(f"webapp.{name}") is None:
        return None
    return importlib.import_module(f"webapp.{name}")


def _ephemeral_secret() -> str:
    import secrets
    return secrets.token_hex(32)


def get_store():
    """Return the store of the current app."""
    from flask import current_app
    return current_app.extensions["meshkg.store"]


def get_settings() -> Settings:
    """Return the settings of the current app."""
    from flask import current_app
    return current_app.config["MESHKG"]
