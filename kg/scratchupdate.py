"""Run a SPARQL Update on a copy of some graphs, within a time budget.

The SHACL gate runs an update on a scratch copy of the asserted graphs and writes
back only what changed (`kg.gate.apply_update`). pyoxigraph cannot interrupt an
update, so an update with a time budget runs in a child process that is killed at
the deadline: a cartesian `INSERT { … } WHERE { ?a ?b ?c . ?d ?e ?f . … }` sent to the
endpoint stops with QueryTimeout (503) instead of holding a core and a request
thread for ever, and the store is untouched (the child only ever had a copy).

The child reads one pickled request on stdin (the graphs as N-Triples, the default
graph's N-Triples, the update) and writes one pickled answer on stdout: the graphs
after the update, or the error it raised.
"""

from __future__ import annotations

import io
import pickle
import subprocess
import sys
from collections.abc import Mapping

import pyoxigraph as ox

from kg.errors import QuerySyntaxError, QueryTimeout, StoreError

Dumps = dict[str, bytes]


def run(graphs: Mapping[str, bytes], default: bytes, sparql: str, *,
        timeout: float | None = None) -> tuple[Dumps, bytes]:
    """Return the named graphs and the default graph (N-Triples) after the update."""
    if timeout is None:
        return _apply(dict(graphs), default, sparql)
    request = pickle.dumps((dict(graphs), default, sparql), protocol=pickle.HIGHEST_PROTOCOL)
    try:
        proc = subprocess.run([sys.executable, "-m", "kg.scratchupdate"], input=request,
                              capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise QueryTimeout(f"the update was stopped at its time budget of {timeout:g} s; "
                           "nothing was changed") from None
    if proc.returncode != 0 or not proc.stdout:
        detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["?"]
        raise StoreError(f"the update failed, nothing was changed: {detail[0]}")
    answer = pickle.loads(proc.stdout)  # noqa: S301 - our own child's answer
    if answer[0] == "syntax":
        raise QuerySyntaxError(answer[1])
    if answer[0] == "error":
        raise StoreError(answer[1])
    return answer[1], answer[2]


def _apply(graphs: Dumps, default: bytes, sparql: str) -> tuple[Dumps, bytes]:
    store = ox.Store()
    for name, text in graphs.items():
        if text.strip():
            store.load(text, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(name))
    if default.strip():
        store.load(default, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.DefaultGraph())
    try:
        store.update(sparql)
    except SyntaxError as exc:
        raise QuerySyntaxError(f"SPARQL update syntax error: {exc}") from exc
    except OSError as exc:
        raise StoreError(f"update failed, nothing was changed: {exc}") from exc
    after = {g.value: _dump(store, g) for g in store.named_graphs()
             if isinstance(g, ox.NamedNode)}
    return after, _dump(store, ox.DefaultGraph())


def _dump(store: ox.Store, graph) -> bytes:
    out = io.BytesIO()
    store.dump(out, format=ox.RdfFormat.N_TRIPLES, from_graph=graph)
    return out.getvalue()


def _main() -> int:
    graphs, default, sparql = pickle.loads(sys.stdin.buffer.read())  # noqa: S301
    try:
        after, dflt = _apply(graphs, default, sparql)
        answer = ("ok", after, dflt)
    except QuerySyntaxError as exc:
        answer = ("syntax", exc.message)
    except StoreError as exc:
        answer = ("error", exc.message)
    sys.stdout.buffer.write(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))
    return 0


if __name__ == "__main__":
    sys.exit(_main())
