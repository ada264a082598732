"""Run a SPARQL Update on a copy of some graphs, within a time budget.

The SHACL gate runs an update on a scratch copy of the asserted graphs and writes
back only what changed (`kg.gate.apply_update`). pyoxigraph cannot interrupt an
update, so an update with a time budget runs in a child process that is killed at
the deadline: a cartesian `INSERT { … } WHERE { ?a ?b ?c . ?d ?e ?f . … }` sent to the
endpoint stops with QueryTimeout (503) instead of holding a core and a request
thread for ever, and the store is untouched (the child only ever had a copy).

The child reads one pickled request on stdin (the graphs as N-Triples, the default
graph's N-Triples, the update) and writes one pickled answer on stdout: the graphs
after the update, or the error it raised. With a memory budget the child's address
space is capped (RLIMIT_AS) at the budget plus what its copy of the graphs takes
(COPY_FACTOR times their N-Triples: 911,164 triples, 116 MB, peaked at 673 MB): an
update whose solutions outgrow it stops with OverBudget (503) instead of taking the
machine's memory, and nothing is written.
"""

from __future__ import annotations

import io
import pickle
import subprocess
import sys
from collections.abc import Mapping

import pyoxigraph as ox

from kg.errors import OverBudget, QuerySyntaxError, QueryTimeout, StoreError

Dumps = dict[str, bytes]

#: the child's copy of the graphs (input, store, output, answer) in bytes per byte of
#: their N-Triples, added to the update's own memory budget
COPY_FACTOR = 8


def run(graphs: Mapping[str, bytes], default: bytes, sparql: str, *,
        timeout: float | None = None, memory_mb: int | None = None) -> tuple[Dumps, bytes]:
    """Return the named graphs and the default graph (N-Triples) after the update."""
    if timeout is None and memory_mb is None:
        return _apply(dict(graphs), default, sparql)
    request = pickle.dumps((dict(graphs), default, sparql), protocol=pickle.HIGHEST_PROTOCOL)
    cap = 0
    if memory_mb and memory_mb > 0:  # 0 or less: no cap
        cap = memory_mb * 2**20 + COPY_FACTOR * (sum(map(len, graphs.values())) + len(default))
    try:
        proc = subprocess.run([sys.executable, "-m", "kg.scratchupdate", str(cap)],
                              input=request, capture_output=True, timeout=timeout,
                              check=False)
    except subprocess.TimeoutExpired:
        raise QueryTimeout(f"the update was stopped at its time budget of {timeout:g} s; "
                           "nothing was changed") from None
    if cap and proc.returncode != 0 and _out_of_memory(proc):
        raise OverBudget(f"the update needed more than its memory budget of {memory_mb:,} MB "
                         "(update_memory_mb, beside its copy of the graphs) and was stopped; "
                         "nothing was changed")
    if proc.returncode != 0 or not proc.stdout:
        detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["?"]
        raise StoreError(f"the update failed, nothing was changed: {detail[0]}")
    answer = pickle.loads(proc.stdout)  # noqa: S301 - our own child's answer
    if answer[0] == "syntax":
        raise QuerySyntaxError(answer[1])
    if answer[0] == "error":
        raise StoreError(answer[1])
    return answer[1], answer[2]


def _out_of_memory(proc: subprocess.CompletedProcess) -> bool:
    """Whether the child died of its address-space cap: Rust prints "memory allocation
    of … failed" and aborts, Python raises MemoryError (any other death is not that)."""
    err = proc.stderr[-2000:]
    return b"memory allocation of" in err or b"MemoryError" in err


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
    cap = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    if cap > 0:
        try:
            import resource
            _, hard = resource.getrlimit(resource.RLIMIT_AS)
            if hard != resource.RLIM_INFINITY:
                cap = min(cap, hard)
            resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
        except (ImportError, ValueError, OSError):
            pass  # no address-space limits here (not POSIX): the time budget still holds
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
