"""The embedded store: pyoxigraph, on disk by default, in memory for tests.

One job per module:

- `embedded`: OxigraphStore, the Store interface over a pyoxigraph store
- `graphtext`: the N-Triples of large graphs kept beside the store as last written
- `updates`: update texts: the graphs an update may write, and operations that carry
  the store's own blank nodes
- `convert`: pyoxigraph terms to rdflib terms and back
"""

from kg.namespaces import STAGING_PREFIX
from kg.store._files import PENDING_FILE
from kg.store.oxigraph.convert import to_oxigraph, to_rdflib
from kg.store.oxigraph.embedded import OxigraphStore
from kg.store.oxigraph.graphtext import GraphText
from kg.store.oxigraph.updates import may_write

__all__ = ["PENDING_FILE", "STAGING_PREFIX", "GraphText", "OxigraphStore", "may_write",
           "to_oxigraph", "to_rdflib"]
