"""A product's lineage: every product upstream and downstream, with levels for a picture.

(The module is not named `lineage`, so that `kg.catalog.lineage` stays the function.)
"""

from __future__ import annotations

from collections import defaultdict, deque

from kg.catalog._labels import _Labels, _unique
from kg.catalog._query import _iri, _run
from kg.catalog.model import Lineage
from kg.store.base import Store


def lineage(store: Store, iri: str, lang: str = "en") -> Lineage:
    """Return everything upstream and downstream of a product, with levels for a picture."""
    node = _iri(iri)
    res, ran = _run(store, "catalog_lineage", {"product": node})
    labels = _Labels(lang)
    edges = set()
    for row in res.rows:
        labels.add(row["from"], row.get("fromLabel"))
        labels.add(row["to"], row.get("toLabel"))
        edges.add((str(row["from"]), str(row["to"])))
    up: dict[str, set[str]] = defaultdict(set)
    down: dict[str, set[str]] = defaultdict(set)
    for derived, source in edges:
        up[derived].add(source)
        down[source].add(derived)
    depth = {str(node): 0}
    for graph, sign in ((up, -1), (down, 1)):
        queue = deque([str(node)])
        seen = {str(node)}
        while queue:
            here = queue.popleft()
            for nxt in sorted(graph.get(here, ())):
                if nxt not in seen:
                    seen.add(nxt)
                    depth.setdefault(nxt, depth[here] + sign)
                    queue.append(nxt)
    upstream = _unique(labels.ref(n) for n, d in depth.items() if d < 0)
    downstream = _unique(labels.ref(n) for n, d in depth.items() if d > 0)
    all_labels = {n: labels.ref(n).label for n in depth}
    return Lineage(upstream, downstream, sorted(edges), all_labels, depth, ran)
