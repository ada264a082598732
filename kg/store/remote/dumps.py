"""A named graph read from a server whole, or in pages below the server's row cap
(Virtuoso cuts CONSTRUCT and Graph Store answers there without a signal).

`PagedDumps` is a part of RemoteStore (kg.store.remote.server): it reads gsp_url,
page_rows, _row_cap, dialect, _send, _select and _post_query.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pyoxigraph as ox

from kg.errors import ResultTooLarge, StoreError, UsageError
from kg.formats import rdf_format
from kg.store.remote.answers import NTRIPLES, ox_triples, server_host
from kg.store.remote.terms import sparql_iri

# A hash of a whole triple, to split a graph into pages without ORDER BY.
_HASH = ('MD5(CONCAT(COALESCE(STR(?s), "_"), " ", STR(?p), " ", COALESCE(STR(?o), "_"), '
         'COALESCE(LANG(?o), "")))')


class PagedDumps:
    """Graphs read back from the server (a part of RemoteStore)."""

    def _graph_triples(self, graph: str, expected: int | None = None) -> list[ox.Triple]:
        """Fetch one graph whole, or in hash-bucket pages when the server cuts it short."""
        where = f"GRAPH {sparql_iri(graph)} {{ ?s ?p ?o }}"
        if expected is None:
            rows = self._select(f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}")
            expected = int(rows[0]["n"]) if rows else 0
        if expected == 0:
            return []
        if expected <= (self._row_cap or self.page_rows) or self.dialect != "virtuoso":
            if self.gsp_url:
                resp = self._send("GET", self.gsp_url, params={"graph": graph},
                                  headers={"Accept": NTRIPLES})
            else:
                resp = self._post_query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {where} }}",
                                        "CONSTRUCT")
            triples = ox_triples(resp.content)
            if len(triples) == expected:
                return triples
            if 0 < len(triples) < expected:  # cut short: the server's row cap
                self._row_cap = len(triples)
        # Virtuoso cuts CONSTRUCT and GSP answers at ResultSetMaxRows without a
        # signal, and refuses ORDER BY … OFFSET past MaxSortedTopRows: pages are sets
        # of predicates (index lookups), a predicate larger than a page split by a
        # hash of each triple. Pages stay below the cap last seen; a page cut short
        # shows a lower cap, and paging starts again below it.
        for _ in range(3):
            triples, cut = [], False
            limit = self._row_cap or self.page_rows // 2
            for where_page, size in self._pages(graph, expected, limit):
                got = ox_triples(self._post_query(
                    f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {where_page} }}", "CONSTRUCT").content)
                if 0 < len(got) < size:
                    self._row_cap, cut = len(got), True
                    break
                triples += got
            if not cut:
                break
        if len(triples) != expected:
            raise StoreError(f"{server_host(self.query_url)} returned {len(triples):,} of the "
                             f"{expected:,} triples of <{graph}> (a server row limit below "
                             f"{limit:,}, or a concurrent write)")
        return triples

    def _pages(self, graph: str, expected: int, limit: int) -> Iterator[tuple[str, int]]:
        """Yield WHERE clauses that together select a graph, each of at most `limit` triples."""
        where = f"GRAPH {sparql_iri(graph)} {{ ?s ?p ?o }}"
        try:
            rows = self._select(f"SELECT ?p (COUNT(*) AS ?n) WHERE {{ {where} }} GROUP BY ?p")
        except ResultTooLarge:  # more predicates than rows in an answer
            for page, size in self._hash_pages(where, expected, limit):
                yield f"{where} {page}", size
            return
        page: list[str] = []
        size = 0
        for pred, n in sorted((str(r["p"]), int(r["n"])) for r in rows):
            if n > limit:
                one = f"{where} FILTER(?p = {sparql_iri(pred)})"
                for hashes, m in self._hash_pages(one, n, limit):
                    yield f"{one} {hashes}", m
                continue
            if page and size + n > limit:
                yield f"{where} FILTER(?p IN ({', '.join(page)}))", size
                page, size = [], 0
            page.append(sparql_iri(pred))
            size += n
        if page:
            yield f"{where} FILTER(?p IN ({', '.join(page)}))", size

    def _hash_pages(self, where: str, expected: int,
                    limit: int) -> Iterator[tuple[str, int]]:
        """Split a pattern by hash prefixes of its triples into filters of at most `limit`."""
        digits = 1
        while digits < 3 and expected / 16 ** digits > limit / 2:
            digits += 1
        bind = f"BIND(SUBSTR({_HASH}, 1, {digits}) AS ?h)"
        rows = self._select(f"SELECT ?h (COUNT(*) AS ?n) WHERE {{ {where} {bind} }} GROUP BY ?h")
        page: list[str] = []
        size = 0
        for h, n in sorted((str(r["h"]), int(r["n"])) for r in rows if "h" in r):
            if page and size + n > limit:
                yield f"{bind} FILTER(?h IN ({', '.join(page)}))", size
                page, size = [], 0
            page.append(json.dumps(h))
            size += n
        if page:
            yield f"{bind} FILTER(?h IN ({', '.join(page)}))", size

    def dump(self, graph: str | None = None, fmt: str = "nquads") -> bytes:
        info = rdf_format(fmt)
        with self.lock.read():
            if graph is None:
                if not info.quads:
                    raise UsageError(f"{info.name} holds one graph; name one, or use trig/nquads")
                items = []
                for name, count in self.graphs().items():
                    g = ox.NamedNode(name)
                    items += [ox.Quad(t.subject, t.predicate, t.object, g)
                              for t in self._graph_triples(name, count)]
            else:
                triples = self._graph_triples(graph)
                if info.quads:
                    g = ox.NamedNode(graph)
                    items = [ox.Quad(t.subject, t.predicate, t.object, g) for t in triples]
                else:
                    items = triples
        return ox.serialize(items, format=info.ox) or b""
