"""The files meshkg keeps in an embedded store's folder, and the folder's fingerprint.

Shared by kg.store.oxigraph (which writes them) and kg.store.sandbox (which takes a
checkpoint again only when the fingerprint changed); stdlib only.
"""

from __future__ import annotations

import os
from pathlib import Path

#: the graphs a bulk load into new graphs is writing; left behind, it did not finish
PENDING_FILE = "meshkg-pending-load.json"
#: the N-Triples of large graphs as last written (kg.store.oxigraph.GraphText)
GRAPH_TEXT_FOLDER = "meshkg-graph-text"


def files_fingerprint(path: Path) -> tuple:
    """Describe a store folder's files; any committed write changes it (WAL, SST files).

    The info log, the lock and meshkg's own files in the folder are left out."""
    out = []
    with os.scandir(path) as it:
        for e in it:
            if e.name.startswith(("LOG", "LOCK")) or e.name in (GRAPH_TEXT_FOLDER,
                                                                  PENDING_FILE):
                continue
            try:
                st = e.stat()
            except FileNotFoundError:  # removed by a compaction while we looked: the
                continue               # folder changed, and the fingerprint says so
            out.append((e.name, st.st_size, st.st_mtime_ns))
    return tuple(sorted(out))
