"""Serve generated files with rdflib-endpoint on uvicorn: the baseline SPARQL endpoint.

Usage: python -m bench._endpoint_worker PORT FILE.nt [FILE.nt ...]
Everything is parsed into one rdflib Graph before the port opens, so a
successful answer on /sparql means the data is in.
"""

from __future__ import annotations

import sys
import time


def main(argv: list[str]) -> int:
    """Parse the files into an rdflib Graph and serve it on 127.0.0.1:PORT/sparql."""
    import uvicorn
    from rdflib import Graph
    from rdflib_endpoint import SparqlEndpoint

    port, files = int(argv[0]), argv[1:]
    start = time.perf_counter()
    graph = Graph()
    for f in files:
        graph.parse(f, format="nt")
    print(f"rdflib-endpoint: {len(graph):,} triples parsed in "
          f"{time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
    app = SparqlEndpoint(graph=graph, path="/sparql", title="bench baseline")
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
