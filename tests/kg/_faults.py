"""Faults injected into a remote store's writes, for the journal and recovery tests."""

from __future__ import annotations


def cut_updates_containing(monkeypatch, marker: str) -> None:
    """Make every SPARQL update of a RemoteStore whose text holds `marker` fail as a lost
    connection would (StoreError), as if the server went away mid-write; `monkeypatch.undo()`
    lets the writes through again."""
    from kg.errors import StoreError
    from kg.store.remote import RemoteStore
    post = RemoteStore._post_update

    def cut(self, text, timeout=None):
        if marker in text:
            raise StoreError("connection reset (simulated)")
        return post(self, text, timeout)

    monkeypatch.setattr(RemoteStore, "_post_update", cut)
