"""The discovery and search index, materialised in its own named graphs.

Bookkeeping, not data model: its terms live in the `urn:meshkg:index:` space.
`refresh(store, changed)` keeps it in step with the store; inference calls it
after every run.
"""

from __future__ import annotations

from kg.namespaces import INFERRED_PREFIX
from kg.store.base import Store

INDEX = "urn:meshkg:index:"
DISCOVERY_GRAPH = INFERRED_PREFIX + "index:discovery"
LABELS_GRAPH = INFERRED_PREFIX + "index:labels"
#: the graphs the index owns (not per-source entailment graphs)
GRAPHS = (DISCOVERY_GRAPH, LABELS_GRAPH)


def refresh(store: Store, changed: list[str] | None = None) -> int:
    """Bring the index up to date: everything (None) or what the changed graphs affect."""
    return 0
