"""The N-Triples of large graphs as last written whole, kept beside the embedded store."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import uuid
import zlib
from collections.abc import Iterable
from pathlib import Path

from kg.errors import StoreError
from kg.store._files import GRAPH_TEXT_FOLDER

log = logging.getLogger(__name__)


class GraphText:
    """The N-Triples of large graphs as last written whole, kept beside the store.

    Reading a graph's text back from the store decodes every term (0.2 s for a
    45,000-triple file at 10,000 products, 2 s for one at 100,000), and a re-loaded
    file needs its old text twice (the gate's diff and the write's). An entry is
    removed before any write that may change its graph (and every entry before an
    update whose graphs the text does not tell) and written after the write is
    committed, so a crash in between leaves no entry, never a stale one; a read also
    checks the graph's triple count. Only the process holding the store's lock writes
    to the store, so nothing else changes a graph behind an entry. Entries are
    zlib-compressed (5.7 MB of text → 0.5 MB, 12 ms; read back in 7 ms).
    """

    FOLDER = GRAPH_TEXT_FOLDER
    #: smaller graphs are read from the store (a few ms)
    MIN_TRIPLES = 5_000

    STATE = "closed-at.json"

    def __init__(self, folder: Path | None):
        self.folder = folder
        self.writable = folder is not None

    def opened(self, fingerprint: tuple | None) -> None:
        """At open, before any write: keep the entries only if the store's files are
        as the last process left them when it closed the store (anything else, an older
        meshkg, another program, a crash, and every entry goes); then mark the store as
        open, so that a crash from now on also leaves no trusted entry."""
        if not self.writable:
            return
        state = self.folder / self.STATE
        try:
            trusted = json.loads(state.read_text(encoding="utf-8")) == _jsonable(fingerprint)
        except (OSError, ValueError):
            trusted = False
        if trusted:
            state.unlink(missing_ok=True)
        else:
            self.forget(None)

    def closed(self, fingerprint: tuple) -> None:
        """At close, after the store is: record what its files are now."""
        if not self.writable or not self.folder.is_dir():
            return
        state = self.folder / self.STATE
        tmp = state.with_suffix(f".{uuid.uuid4().hex}.tmp")
        try:
            tmp.write_text(json.dumps(_jsonable(fingerprint)), encoding="utf-8")
            os.replace(tmp, state)
        except OSError as exc:
            log.warning("could not record the state of the kept graph texts: %s", exc)
            tmp.unlink(missing_ok=True)

    def _file(self, graph: str) -> Path:
        return self.folder / (hashlib.sha256(graph.encode("utf-8")).hexdigest()[:40] + ".nt.z")

    def get(self, graph: str, count) -> bytes | None:
        """The kept text of a graph, if any and if `count()` still agrees with it."""
        if self.folder is None:
            return None
        try:
            blob = self._file(graph).read_bytes()
            head, _, body = blob.partition(b"\n")
            meta = json.loads(head)
            if meta.get("graph") != graph or meta.get("triples") != count():
                return None
            return zlib.decompress(body)
        except (OSError, ValueError, zlib.error):
            return None

    def put(self, graph: str, text: bytes) -> None:
        triples = text.count(b"\n")
        if not self.writable or triples < self.MIN_TRIPLES:
            return
        path = self._file(graph)
        tmp = path.with_suffix(f".{uuid.uuid4().hex}.tmp")  # readers put from many threads
        try:
            self.folder.mkdir(exist_ok=True)
            head = json.dumps({"graph": graph, "triples": triples}).encode("utf-8")
            tmp.write_bytes(head + b"\n" + zlib.compress(text, 1))
            os.replace(tmp, path)
        except OSError as exc:  # only a cache: the store is right either way
            log.warning("could not keep the text of %s: %s", graph, exc)
            tmp.unlink(missing_ok=True)

    def forget(self, graphs: Iterable[str] | None) -> None:
        """Remove the entries of these graphs (None: every entry)."""
        if not self.writable:
            return
        try:
            kept = list(self.folder.iterdir())
        except FileNotFoundError:
            return
        if graphs is not None and kept:
            names = {self._file(g).name for g in graphs}
            kept = [f for f in kept if f.name in names]
        for f in kept:
            try:
                f.unlink(missing_ok=True)
            except OSError as exc:
                # a stale entry would be served: better to fail the write than that
                raise StoreError(f"cannot remove {f} before writing: {exc}") from exc


def _jsonable(fingerprint) -> list | None:
    return None if fingerprint is None else [list(x) for x in fingerprint]
