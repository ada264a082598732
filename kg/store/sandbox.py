"""Evaluate SPARQL in worker processes that are killed at their budget.

pyoxigraph has no timeout and no cancellation: a query runs inside one call
that Python cannot interrupt. So queries with a time budget run in a small
pool of worker processes instead. Each worker opens a read-only checkpoint of
the on-disk store (`Store.backup`, hard links, taken again only when the store
directory changed since the last one) and the parent waits on the pipe until
the deadline; past it the worker is killed (its memory and CPU come back at
once), the caller gets QueryTimeout, and a fresh worker takes its place.

A SPARQL Update is evaluated the same way, in a worker of its own (`evaluate_update`;
the sandbox keeps the next one started): on a writable checkpoint of the on-disk store,
or on a copy of the graphs for other stores, with its address space capped. The worker
answers with the graphs the update changed, nothing else; blank nodes keep the labels
the store gave them, so the caller writes back exactly those graphs, the very same nodes.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from kg.errors import (
    Busy,
    OverBudget,
    QuerySyntaxError,
    QueryTimeout,
    StoreError,
    UsageError,
)

# The workers run kg/store/_workers.py, loaded alone; heavy imports (rdflib, the store
# package) stay inside the functions here that need them.

log = logging.getLogger(__name__)

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_ATTACH = threading.Lock()


# -- terms across the pipe: plain tuples, so nothing but data is pickled -------
def _decode(t: tuple):
    from rdflib import BNode, Literal, URIRef
    if t[0] == "u":
        return URIRef(t[1])
    if t[0] == "b":
        return BNode(t[1])
    _, value, lang, dt = t
    if lang:
        return Literal(value, lang=lang)
    if dt == _XSD_STRING:
        return Literal(value)
    from kg.formats import rdflib_literal  # a huge integer without int(): no traceback
    return rdflib_literal(value, URIRef(dt))


def _encode_rdflib(term) -> tuple:
    from rdflib import BNode, Literal, URIRef
    if isinstance(term, URIRef):
        return ("u", str(term))
    if isinstance(term, BNode):
        return ("b", str(term))
    if isinstance(term, Literal):
        return ("l", str(term), term.language,
                str(term.datatype) if term.datatype else _XSD_STRING)
    raise TypeError(f"cannot bind {term!r}")


def _child_command(entry: str) -> tuple[list[str], dict]:
    """The command and environment that run `entry` of kg/store/_workers.py in a fresh
    Python (that file alone is loaded: the child imports neither rdflib nor the kg
    package). The child skips the site module (-S): it gets this process's sys.path,
    site-packages included, as PYTHONPATH, and reading the .pth files again took
    ≈ 90 ms of each start (a third of a one-triple update's evaluation)."""
    workers = str(Path(__file__).resolve().with_name("_workers.py"))
    root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, sys.path)])
    env["RUST_BACKTRACE"] = "0"  # an allocation failure is then one line on stderr
    code = ("import importlib.util as u, sys; "
            f"s = u.spec_from_file_location('meshkg_sandbox_worker', {workers!r}); "
            "m = sys.modules['meshkg_sandbox_worker'] = u.module_from_spec(s); "
            f"s.loader.exec_module(m); m.{entry}")
    return [sys.executable, "-S", "-c", code], env


#: what a worker stopped by its address-space cap prints: Rust's allocator, RocksDB's
#: C++ (std::bad_alloc) or Python; read in all of stderr (a backtrace comes after it)
_OUT_OF_MEMORY = (b"memory allocation of", b"bad_alloc", b"MemoryError")

#: an update worker's address space beside its budget: the interpreter, pyoxigraph and
#: RocksDB's own reservations (threads, caches), plus per byte of a copied graph
_UPDATE_BASE = 768 * 2**20
_COPY_FACTOR = 8


def evaluate_update(sparql: str, *, default_graph: str, checkpoint: str | None = None,
                    graphs: dict[str, bytes] | None = None, default: bytes = b"",
                    skip_prefixes: tuple[str, ...] = (), timeout: float | None = None,
                    memory_mb: int | None = None, may_change: Iterable[str] | None = None,
                    worker: subprocess.Popen | None = None) -> dict[str, bytes]:
    """Run an update in a worker on a checkpoint (a folder the worker may change) or on
    a copy of `graphs` and `default`, and return the N-Triples of every named graph it
    changed (empty bytes: the graph is gone). `default_graph` is the graph the update's
    default graph stands for (the update may also name it); graphs under
    `skip_prefixes` are not compared. `may_change` names the graphs the update's text
    may write (None: any): only those are compared line for line, the others by their
    size (kg.store._workers._update_main). Past `timeout` seconds the worker is killed
    (QueryTimeout); past `memory_mb` MB of its own it fails (OverBudget); either way
    nothing was written anywhere. `worker` is a started update worker (Sandbox keeps one
    ready); without it one is started here."""
    import pickle
    cap = 0
    if memory_mb and memory_mb > 0:  # 0 or less: no cap
        copied = sum(map(len, (graphs or {}).values())) + len(default)
        cap = memory_mb * 2**20 + _UPDATE_BASE + _COPY_FACTOR * copied
    task = {"sparql": sparql, "default_graph": default_graph, "checkpoint": checkpoint,
            "graphs": graphs or {}, "default": default, "skip_prefixes": list(skip_prefixes),
            "cap": cap, "may_change": None if may_change is None else sorted(may_change)}
    proc = worker or _update_worker()
    try:
        stdout, stderr = proc.communicate(pickle.dumps(task, protocol=pickle.HIGHEST_PROTOCOL),
                                          timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise QueryTimeout(f"the update was stopped at its time budget of {timeout:g} s "
                           "(update_timeout); nothing was changed") from None
    status, payload = "died", None
    if proc.returncode == 0 and stdout:
        status, payload = pickle.loads(stdout)  # noqa: S301 - our own child's answer
    if status == "ok":
        if payload["unforeseen"]:
            # the update's text was read as writing fewer graphs than it did: those were
            # found by their size (kg.store.oxigraph.updates.may_write should name them)
            log.warning("an update changed graphs its text was not read as writing: %s",
                        ", ".join(payload["unforeseen"]))
        return payload["changed"]
    if status == "syntax":
        raise QuerySyntaxError(f"SPARQL update syntax error: {payload}")
    if status == "refused":
        raise UsageError(f"the update cannot be applied, nothing was changed: {payload}")
    if cap and (status == "memory" or any(sign in stderr for sign in _OUT_OF_MEMORY)):
        raise OverBudget(f"the update needed more than its memory budget of {memory_mb:,} MB "
                         "(update_memory_mb) and was stopped; nothing was changed")
    if status == "error":
        raise StoreError(f"the update failed, nothing was changed: {payload}")
    detail = stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["?"]
    log.warning("update worker died (%s): %s", proc.returncode, detail[0])
    raise StoreError("the update failed, nothing was changed: its worker stopped "
                     f"({detail[0][:200]})")


def _update_worker() -> subprocess.Popen:
    """Start an update worker: it imports pyoxigraph, then waits for its one task."""
    cmd, env = _child_command("_update_main()")
    return subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)


def _stop(proc: subprocess.Popen) -> None:
    proc.kill()
    proc.communicate()  # reaps it and closes its pipes


class Evaluator:
    """A worker of its own that answers queries over a copy of some N-Triples, each
    within a time budget, its address space capped: SPARQL from outside the code that
    runs on data handed to it (a steward's rule files over the resources `meshkg check`
    validates). Past `timeout` seconds a query raises QueryTimeout, past `memory_mb` MB
    OverBudget; the worker is then replaced by a fresh one for the next query."""

    def __init__(self, *, timeout: float, memory_mb: int | None, what: str = "query",
                 settings_names: tuple[str, str] = ("query_timeout", "memory_mb")) -> None:
        self.timeout = timeout
        self.memory_mb = memory_mb if memory_mb and memory_mb > 0 else None
        self.what = what
        self.names = settings_names
        self._worker: _Worker | None = None
        self._held: str | None = None

    def _start(self) -> _Worker:
        import tempfile
        if self._worker is None:
            cap = self.memory_mb * 2**20 + _UPDATE_BASE if self.memory_mb else 0
            self._worker, self._held = _Worker(cap, stderr=tempfile.TemporaryFile()), None
        return self._worker

    def query(self, ntriples: bytes, sparql: str, *, graph: str,
              max_rows: int | None = None):
        """Answer one query over `ntriples` loaded into `graph` (its default graph)."""
        import hashlib
        key = hashlib.sha256(ntriples).hexdigest()
        worker = self._start()
        task = {"snapshot": None, "sparql": sparql, "max_rows": max_rows, "bindings": {},
                "data": (key, None if key == self._held else ntriples, graph),
                "default_graphs": [graph], "named_graphs": None}
        try:
            worker.send.send(task)
            if not worker.recv.poll(self.timeout):
                self._stop()
                log.warning("%s stopped at its %.1f s budget: %.200s", self.what,
                            self.timeout, sparql)
                raise QueryTimeout(
                    f"a {self.what} was stopped at its time budget of {self.timeout:g} s "
                    f"({self.names[0]}); make it more selective or raise the budget")
            status, payload = worker.recv.recv()
        except (EOFError, OSError, BrokenPipeError):
            err = self._stop()
            if self.memory_mb and (not err or any(x in err for x in _OUT_OF_MEMORY)):
                raise OverBudget(f"a {self.what} needed more than its memory budget of "
                                 f"{self.memory_mb:,} MB ({self.names[1]}) and was "
                                 "stopped") from None
            raise StoreError(f"the worker answering a {self.what} died: "
                             f"{err.decode('utf-8', 'replace')[-200:]}") from None
        self._held = key
        if status == "syntax":
            raise QuerySyntaxError(f"SPARQL syntax error in a {self.what}: {payload}")
        if status == "error":
            raise StoreError(f"a {self.what} failed: {payload}")
        return _result(payload)

    def _stop(self) -> bytes:
        err = b""
        if self._worker is not None:
            err = self._worker.kill()
            self._worker = None
        return err

    def close(self) -> None:
        """Stop the worker."""
        self._stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _Worker:
    """One worker process and its two pipes.

    A plain subprocess rather than multiprocessing's spawn, which re-imports
    the caller's __main__ and breaks scripts without a main guard.
    """

    def __init__(self, cap: int = 0, stderr=None) -> None:
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        self.stderr = stderr
        cmd, env = _child_command(f"_worker_main({to_child_r}, {from_child_w}, {int(cap)})")
        try:
            self.proc = subprocess.Popen(
                cmd, pass_fds=(to_child_r, from_child_w), stderr=stderr,
                stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        self.send = Connection(to_child_w, readable=False)
        self.recv = Connection(from_child_r, writable=False)

    def kill(self) -> bytes:
        """Stop the worker; return the end of what it wrote to stderr, if that was kept."""
        self.proc.kill()
        self.proc.wait(5)
        self.send.close()
        self.recv.close()
        err = b""
        if self.stderr is not None:
            self.stderr.seek(0)
            err = self.stderr.read()[-20000:]
            self.stderr.close()
            self.stderr = None
        return err


@dataclass
class _Snapshot:
    path: Path
    fingerprint: tuple
    refs: int = 0
    retired: bool = False


def _fingerprint(path: Path) -> tuple:
    """Describe the store directory; any committed write changes it (WAL, SST files);
    the info log, the lock and meshkg's kept graph texts change without one."""
    from kg.store._files import files_fingerprint
    return files_fingerprint(path)


class Sandbox:
    """A pool of killable query workers over checkpoints of one on-disk store."""

    #: how long a query waits for a free worker before it is answered Busy (503 with
    #: Retry-After) instead of holding a request thread while others' queries run
    QUEUE_WAIT = 2.0

    def __init__(self, store_path: str | os.PathLike, *, workers: int = 2,
                 memory_mb: int | None = None) -> None:
        self.store_path = Path(store_path)
        #: each worker's address space: its budget beside what opening the store takes
        self.memory_mb = memory_mb if memory_mb and memory_mb > 0 else None
        self._cap = self.memory_mb * 2**20 + _UPDATE_BASE if self.memory_mb else 0
        self.dir = self.store_path.with_name(self.store_path.name + ".sandbox")
        # Only the process holding the store's lock gets here, so what is left
        # in this folder is from a crashed run.
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True)
        self._slots = threading.BoundedSemaphore(workers)
        self._size = workers
        self._idle: list[_Worker] = []
        self._mutex = threading.Lock()
        self._snap: _Snapshot | None = None
        self._generation = 0
        self._closed = False
        self._spare: subprocess.Popen | None = None

    def start(self) -> None:
        """Start every worker now instead of at the first query."""
        with self._mutex:
            while len(self._idle) < self._size:
                self._idle.append(self._spawn())
            if self._spare is None:
                self._spare = _update_worker()

    # -- snapshots ----------------------------------------------------------
    def _acquire_snapshot(self, store) -> _Snapshot:
        with store.lock.read():  # no write is half done while we look
            with self._mutex:
                fp = _fingerprint(self.store_path)
                if self._snap is None or self._snap.fingerprint != fp:
                    self._generation += 1
                    path = self.dir / f"gen-{self._generation}"
                    store.raw.backup(str(path))
                    # backup() may flush the memtable, which changes the directory
                    fp = _fingerprint(self.store_path)
                    old, self._snap = self._snap, _Snapshot(path, fp)
                    if old is not None:
                        old.retired = True
                        self._remove_if_unused(old)
                self._snap.refs += 1
                return self._snap

    def _release_snapshot(self, snap: _Snapshot) -> None:
        with self._mutex:
            snap.refs -= 1
            self._remove_if_unused(snap)

    @staticmethod
    def _remove_if_unused(snap: _Snapshot) -> None:
        if snap.retired and snap.refs == 0:
            shutil.rmtree(snap.path, ignore_errors=True)

    # -- workers ------------------------------------------------------------
    def _take(self) -> _Worker:
        with self._mutex:
            if self._closed:
                raise StoreError("the store is closed")
            if self._idle:
                return self._idle.pop()
        return self._spawn()

    def _spawn(self) -> _Worker:
        import tempfile
        return _Worker(self._cap, stderr=tempfile.TemporaryFile() if self._cap else None)

    def _give_back(self, worker: _Worker) -> None:
        with self._mutex:
            if not self._closed:
                self._idle.append(worker)
                return
        worker.kill()

    def query(self, store, sparql: str, *, bindings=None, default_graphs=None,
              named_graphs=None, timeout: float, max_rows: int | None = None):
        """Run one query in a worker; raise QueryTimeout past `timeout` seconds."""
        deadline = time.monotonic() + timeout
        snap = self._acquire_snapshot(store)
        try:
            wait = min(self.QUEUE_WAIT, max(0.0, deadline - time.monotonic()))
            if not self._slots.acquire(timeout=wait):
                raise Busy(f"all {self._size} query workers stayed busy for {wait:g} s; "
                           "try again in a moment", retry_after=min(timeout, 10))
            try:
                return self._run(snap, sparql, bindings, default_graphs, named_graphs,
                                 deadline, timeout, max_rows)
            finally:
                self._slots.release()
        finally:
            self._release_snapshot(snap)

    def _run(self, snap, sparql, bindings, default_graphs, named_graphs, deadline,
             timeout, max_rows):
        task = {
            "snapshot": str(snap.path), "sparql": sparql, "max_rows": max_rows,
            "default_graphs": None if default_graphs is None else list(default_graphs),
            "named_graphs": None if named_graphs is None else list(named_graphs),
            "bindings": {k: _encode_rdflib(v) for k, v in (bindings or {}).items()},
        }
        worker = self._take()
        try:
            worker.send.send(task)
            if not worker.recv.poll(max(0.0, deadline - time.monotonic())):
                worker.kill()
                log.warning("query stopped at its %.1f s budget: %.200s", timeout, sparql)
                raise self._timeout(timeout, "the query ran past it")
            status, payload = worker.recv.recv()
        except (EOFError, OSError, BrokenPipeError) as exc:
            err = worker.kill()
            if self.memory_mb and (not err or any(x in err for x in _OUT_OF_MEMORY)):
                raise OverBudget(f"the query needed more than its memory budget of "
                                 f"{self.memory_mb:,} MB (query_memory_mb) and was "
                                 "stopped") from None
            raise StoreError("the query worker died (out of memory?); "
                             "the query was not answered") from exc
        self._give_back(worker)
        if status == "syntax":
            raise QuerySyntaxError(f"SPARQL syntax error: {payload}")
        if status == "error":
            raise StoreError(f"query failed: {payload}")
        return _result(payload)

    @staticmethod
    def _timeout(timeout: float, why: str) -> QueryTimeout:
        return QueryTimeout(
            f"query stopped at its time budget of {timeout:g} s ({why}); "
            "make it more selective (LIMIT, fewer unbound patterns) or raise query_timeout")

    def checkpoint(self, store) -> Path:
        """Take a checkpoint of the store that its caller may change and must remove."""
        import uuid
        path = self.dir / f"update-{uuid.uuid4().hex}"
        with store.lock.read():  # no write is half done while it is taken
            store.raw.backup(str(path))
        return path

    def update_worker(self) -> subprocess.Popen:
        """A started update worker for `evaluate_update`, and the next one started: a
        fresh Python importing pyoxigraph took ≈ 50 ms of a one-triple update, now
        spent while no update waits."""
        with self._mutex:
            if self._closed:
                raise StoreError("the store is closed")
            proc, self._spare = self._spare, _update_worker()
        return proc if proc is not None and proc.poll() is None else _update_worker()

    def close(self) -> None:
        """Stop every worker and remove the checkpoints."""
        with self._mutex:
            self._closed = True
            idle, self._idle = self._idle, []
            spare, self._spare = self._spare, None
        for w in idle:
            w.kill()
        if spare is not None:
            _stop(spare)
        shutil.rmtree(self.dir, ignore_errors=True)


def _result(p: dict):
    from kg.store.result import Result
    if p["kind"] == "ask":
        return Result("ask", boolean=p["boolean"])
    if p["kind"] == "select":
        rows = [{k: _decode(v) for k, v in row.items()} for row in p["rows"]]
        return Result("select", vars=p["vars"], rows=rows, truncated=p["truncated"])
    triples = [(_decode(s), _decode(pr), _decode(o)) for s, pr, o in p["triples"]]
    return Result("graph", triples=triples, truncated=p["truncated"])


def default_workers() -> int:
    """Return the pool size: six at least, so that two clients' runaway queries (each
    client may run two at a time: webapp.fairness) leave workers for everyone else;
    idle workers cost memory only (a read-only view of the checkpoint each)."""
    return max(6, min(8, 2 * (os.cpu_count() or 2)))


def sandbox_for(store) -> Sandbox:
    """Return the sandbox of an on-disk store, creating it on first use."""
    sb = getattr(store, "_sandbox", None)
    if sb is None:
        with _ATTACH:
            sb = getattr(store, "_sandbox", None)
            if sb is None:
                sb = Sandbox(store.path, workers=default_workers(),
                             memory_mb=getattr(store, "query_memory_mb", None))
                store._sandbox = sb
                weakref.finalize(store, sb.close)
    return sb


def close_sandbox(store) -> None:
    """Stop the workers of a store's sandbox, if it has one."""
    sb = getattr(store, "_sandbox", None)
    if sb is not None:
        sb.close()
        store._sandbox = None
