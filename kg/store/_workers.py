"""What runs inside an evaluation worker: the child side of kg.store.sandbox.

A worker process loads this file alone (kg.store.sandbox._child_command), so it imports
nothing of meshkg's and nothing heavy but pyoxigraph: it answers queries over a
read-only checkpoint or a copy of some N-Triples (`_worker_main`), or evaluates one
update on a writable checkpoint or a copy and reports the graphs it changed
(`_update_main`). Terms cross the pipe as plain tuples, so nothing but data is pickled.
"""

from __future__ import annotations

import sys
from multiprocessing.connection import Connection

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def _encode_ox(term) -> tuple:
    import pyoxigraph as ox
    if isinstance(term, ox.NamedNode):
        return ("u", term.value)
    if isinstance(term, ox.BlankNode):
        return ("b", term.value)
    if isinstance(term, ox.Literal):
        return ("l", term.value, term.language, term.datatype.value)
    return ("l", str(term), None, _XSD_STRING)  # RDF-star triple terms: shown as text


def _to_ox(t: tuple):
    import pyoxigraph as ox
    if t[0] == "u":
        return ox.NamedNode(t[1])
    if t[0] == "b":
        return ox.BlankNode(t[1])
    _, value, lang, dt = t
    if lang:
        return ox.Literal(value, language=lang)
    return ox.Literal(value, datatype=ox.NamedNode(dt))


# -- the worker ------------------------------------------------------------------
def _answer(store, task: dict):
    import pyoxigraph as ox
    kwargs = {}
    if task["default_graphs"] is None:
        kwargs["use_default_graph_as_union"] = True
    else:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in task["default_graphs"]]
    if task["named_graphs"] is not None:
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in task["named_graphs"]]
    if task["bindings"]:
        kwargs["substitutions"] = {ox.Variable(k): _to_ox(v)
                                   for k, v in task["bindings"].items()}
    return collect(store.query(task["sparql"], **kwargs), task["max_rows"], _encode_ox)


def collect(res, cap: int | None, convert) -> dict:
    """A pyoxigraph answer as plain data: its boolean, or its solutions or triples with
    each term through `convert`, at most `cap` of them (then `truncated`). The fields
    are those of kg.store.result.Result (the embedded store builds one from them)."""
    import pyoxigraph as ox
    if isinstance(res, ox.QueryBoolean):
        return {"kind": "ask", "boolean": bool(res)}
    if isinstance(res, ox.QuerySolutions):
        names = [v.value for v in res.variables]
        rows, truncated = [], False
        for sol in res:
            if cap is not None and len(rows) >= cap:
                truncated = True
                break
            row = {}
            for n in names:
                val = sol[n]
                if val is not None:
                    row[n] = convert(val)
            rows.append(row)
        return {"kind": "select", "vars": names, "rows": rows, "truncated": truncated}
    triples, truncated = [], False
    for t in res:
        if cap is not None and len(triples) >= cap:
            truncated = True
            break
        triples.append((convert(t.subject), convert(t.predicate), convert(t.object)))
    return {"kind": "graph", "triples": triples, "truncated": truncated}


def _cap_address_space(cap: int) -> None:
    """Cap this process's address space at `cap` bytes (0: no cap), within the hard limit."""
    if cap <= 0:
        return
    try:
        import resource
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except (ImportError, ValueError, OSError):
        pass  # no address-space limits here (not POSIX): the time budget still holds


def _worker_main(read_fd: int, write_fd: int, cap: int = 0) -> None:
    """Answer tasks from the parent until the pipe closes (runs in the worker).

    A task names a checkpoint to read (`snapshot`), or carries its data (`data`: a key,
    N-Triples or None when the worker holds that key already, and the graph to load
    them into)."""
    import signal

    import pyoxigraph as ox
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when we stop
    _cap_address_space(cap)
    inbox = Connection(read_fd, writable=False)
    outbox = Connection(write_fd, readable=False)
    store, opened = None, None
    while True:
        try:
            task = inbox.recv()
        except (EOFError, OSError):
            return
        try:
            data = task.get("data")
            if data is not None and data[0] != opened:
                store = None
                store = ox.Store()
                store.load(data[1], format=ox.RdfFormat.N_TRIPLES,
                           to_graph=ox.NamedNode(data[2]))
                opened = data[0]
            elif data is None and task["snapshot"] != opened:
                store = None
                store = ox.Store.read_only(task["snapshot"])
                opened = task["snapshot"]
            outbox.send(("ok", _answer(store, task)))
        except SyntaxError as exc:
            outbox.send(("syntax", str(exc)))
        except Exception as exc:  # reported to the parent, which raises StoreError
            outbox.send(("error", f"{type(exc).__name__}: {exc}"))


def _update_main() -> None:
    """Evaluate one update read from stdin and write the changed graphs to stdout
    (runs in an update worker; the parent kills it at the time budget).

    Which graphs changed is found without reading every graph twice. A graph the
    update's text may write (`may_change`; every graph when None) is dumped before and
    after and compared, so a change that keeps its size is seen; any other graph only
    has its triples counted before and after: it changes only if that reading of the
    text was wrong, and is then reported too, and named in `unforeseen`. The update's
    default graph stands for `default_graph`, which it may also name (_default_after).
    """
    import pickle
    import signal

    import pyoxigraph as ox
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    request = sys.stdin.buffer.read()  # a worker kept ready waits here
    if not request:  # its store was closed before it got a task
        return
    task = pickle.loads(request)  # noqa: S301 - our parent's request
    _cap_address_space(task["cap"])
    named = ox.NamedNode(task["default_graph"])
    skip = tuple(task["skip_prefixes"])
    may_change = None if task.get("may_change") is None else set(task["may_change"])

    def compared(store) -> list:
        return [g for g in store.named_graphs()
                if isinstance(g, ox.NamedNode) and g != named and not g.value.startswith(skip)]

    try:
        store = _update_store(task, named)
        graphs = compared(store)
        # an unchanged graph dumps to the same bytes (one store, one index order)
        before = {g.value: _dump(store, g) for g in graphs
                  if may_change is None or g.value in may_change}
        sizes = {g.value: _count(store, g) for g in graphs if g.value not in before}
        original = _dump(store, named)
        store.update(task["sparql"])
        changed: dict[str, bytes] = {}
        unforeseen: list[str] = []
        for g in compared(store):
            if g.value in before:
                text = _dump(store, g)
                if text != before.pop(g.value):
                    changed[g.value] = text
                continue
            if g.value in sizes and _count(store, g) == sizes.pop(g.value):
                continue
            # a new graph, or one the text does not name that changed size
            changed[g.value] = _dump(store, g)
            if may_change is not None and g.value not in may_change:
                unforeseen.append(g.value)
        for name in before:  # dropped by the update
            changed[name] = b""
        for name in sizes:
            changed[name] = b""
            unforeseen.append(name)
        default = _default_after(original, _dump(store, ox.DefaultGraph()),
                                 _dump(store, named) if store.contains_named_graph(named)
                                 else b"")
        if default is not None:
            changed[named.value] = default
        answer = ("ok", {"changed": changed, "unforeseen": sorted(unforeseen)})
    except SyntaxError as exc:
        answer = ("syntax", str(exc))
    except MemoryError:
        answer = ("memory", "")
    except OSError as exc:  # the disk or the checkpoint: the parent raises StoreError
        answer = ("error", f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # the engine refused what the update asks (a missing graph)
        answer = ("refused", str(exc))
    sys.stdout.buffer.write(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()


def _update_store(task: dict, named):
    """The store an update runs on: the writable checkpoint, or a store holding a copy
    of the graphs. The graph `named` (meshkg's home of the update's default graph) is
    both the engine's default graph and a named graph: the update may write either."""
    import pyoxigraph as ox
    if task["checkpoint"] is not None:
        store = ox.Store(task["checkpoint"])
        if store.contains_named_graph(named):
            store.update(f"COPY SILENT <{named.value}> TO DEFAULT")
        return store
    store = ox.Store()
    for name, text in (*task["graphs"].items(), (named.value, task["default"])):
        g = ox.NamedNode(name)
        # ox.parse keeps blank-node labels (Store.load renames them)
        store.extend(ox.Quad(t.subject, t.predicate, t.object, g)
                     for t in ox.parse(text, format=ox.RdfFormat.N_TRIPLES))
        if name != named.value or text:
            store.add_graph(g)
    store.extend(ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph())
                 for t in ox.parse(task["default"], format=ox.RdfFormat.N_TRIPLES))
    return store


def _default_after(original: bytes, default: bytes, named: bytes) -> bytes | None:
    """The N-Triples of the update's default graph after it, or None if unchanged.

    The update saw that graph twice, as its default graph and by its name, both
    holding `original`; what it changed through either is kept: a line is in the
    result if it was in both copies, or if it is new in one of them."""
    if _same(default, original):
        return None if _same(named, original) else named
    if _same(named, original):
        return default
    old, by_name = set(original.splitlines()), set(named.splitlines())
    as_default = set(default.splitlines())
    kept = [line for line in default.splitlines() if line not in old or line in by_name]
    kept += [line for line in named.splitlines() if line not in old and line not in as_default]
    return b"".join(line + b"\n" for line in kept)


def _same(a: bytes, b: bytes) -> bool:
    """Tell whether two N-Triples dumps hold the same lines (the default graph and a
    named graph are read from different indexes)."""
    return a == b or (len(a) == len(b) and sorted(a.splitlines()) == sorted(b.splitlines()))


def _dump(store, graph) -> bytes:
    import io

    import pyoxigraph as ox
    out = io.BytesIO()
    store.dump(out, format=ox.RdfFormat.N_TRIPLES, from_graph=graph)
    return out.getvalue()


def _count(store, graph) -> int:
    """The number of triples in a named graph (one range of the store's graph index)."""
    import pyoxigraph as ox
    rows = list(store.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } "
                            "GROUP BY ?g", substitutions={ox.Variable("g"): graph}))
    return int(rows[0]["n"].value) if rows else 0
