"""Steward bearer tokens: configured only as hashes, checked in constant time."""

from __future__ import annotations

import hashlib
import hmac

from flask import request

from kg.config import Settings
from kg.errors import Forbidden, ManagedGraph, Unauthorized
from kg.namespaces import is_managed_graph

SCHEME = "sha256:"


def hash_token(token: str) -> str:
    """Return the form a token is configured in: `sha256:<hex>`."""
    return SCHEME + hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_matches(token: str, configured: tuple[str, ...] | list[str]) -> bool:
    """Tell whether a token hashes to one of the configured hashes (constant time)."""
    digest = hash_token(token).encode("ascii")
    found = False
    for entry in configured:  # compare with every entry: timing says nothing about which
        found |= hmac.compare_digest(digest, entry.strip().lower().encode("ascii", "replace"))
    return found


def bearer_token(header: str | None) -> str | None:
    """Return the token of an `Authorization: Bearer …` header, or None."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def require_steward(settings: Settings, fallback: str | None = None) -> None:
    """Allow a write only when updates are on and the request carries a steward token:
    `Authorization: Bearer …`, else `fallback` (an upload form's token field). Any other
    Authorization header (a Basic password a browser adds on its own) is no token."""
    if not settings.updates_enabled:
        raise Forbidden("updates are disabled on this server (set updates_enabled)")
    token = bearer_token(request.headers.get("Authorization")) or fallback or None
    if token is None:
        raise Unauthorized("this write needs a steward token: "
                           "send 'Authorization: Bearer <token>'")
    if not token_matches(token, settings.steward_tokens):
        raise Unauthorized("the steward token is not valid")


def refuse_managed(graphs) -> None:
    """Refuse a write that would touch one of meshkg's own graphs, whoever asks (403)."""
    for graph in sorted(set(graphs)):
        if is_managed_graph(graph):
            raise ManagedGraph(f"<{graph}> is one of meshkg's own graphs (history, meta, "
                               "findings, entailments, index, vocabularies): only meshkg "
                               "writes it; nothing was written")
