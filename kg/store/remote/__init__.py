"""The remote store: a SPARQL 1.1 server over the Protocol and the Graph Store Protocol.

Queries and updates are pushed down whole; bulk writes go by Graph Store Protocol
chunks (or SPARQL Update chunks) and never triple by triple. The default graph of
a query is the union of all named graphs, as in the embedded store; each server
gets there its own way (see `DIALECTS` and docs/remote.md).

One job per module:

- `server`: RemoteStore, the Store interface over one server (query, update, graphs)
- `client`: HTTP: one session per server, deadlines, status codes, the server's family
- `answers`: SPARQL results and N-Triples answers read into rdflib terms
- `dataset`: the Protocol dataset that makes the default graph the union of meshkg's graphs
- `rewrite`: query texts rewritten for servers' quirks (bound values, Virtuoso's VALUES)
- `terms`: terms and INSERT operations written for a server, quads chunked whole
- `dumps`: a graph read whole, or in pages below a server's row cap
- `writes`: graph writes, staged and journaled where a server is not atomic, and recovery
"""

from kg.namespaces import STAGING_PREFIX
from kg.store.remote.client import DIALECTS
from kg.store.remote.dataset import VIRTUOSO_SYSTEM_GRAPHS
from kg.store.remote.rewrite import (
    inject_values,
    query_form,
    split_data_ops,
    wrap_values_branches,
)
from kg.store.remote.server import RemoteStore
from kg.store.remote.terms import chunk_quads, sparql_term
from kg.store.remote.writes import JOURNAL_PREFIX, STALE_STAGING, staging_name

__all__ = [
    "DIALECTS",
    "JOURNAL_PREFIX",
    "STAGING_PREFIX",
    "STALE_STAGING",
    "VIRTUOSO_SYSTEM_GRAPHS",
    "RemoteStore",
    "chunk_quads",
    "inject_values",
    "query_form",
    "sparql_term",
    "split_data_ops",
    "staging_name",
    "wrap_values_branches",
]
