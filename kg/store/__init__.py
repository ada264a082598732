"""Open the store named by the settings: embedded on disk, in memory, or remote."""

from __future__ import annotations

from kg.config import Settings
from kg.store.base import Result, Store

__all__ = ["Result", "Store", "open_store"]


def open_store(settings: Settings) -> Store:
    """Open the store the settings name (`memory`, a folder, or `sparql+http(s)://…`)."""
    location = settings.store
    if location.startswith(("sparql+http://", "sparql+https://")):
        from kg.store.remote import RemoteStore
        return RemoteStore.from_settings(settings)
    from kg.store.oxigraph import OxigraphStore
    if location in ("memory", ":memory:"):
        return OxigraphStore(None)
    return OxigraphStore(location, query_memory_mb=settings.query_memory_mb)
