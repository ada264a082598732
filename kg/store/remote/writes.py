"""Graph writes on a server: one atomic request where the server applies requests
atomically, else staged, journaled and applied one operation per request, and an
interrupted write rolled forward by the next (docs/remote.md says what is atomic where).

`StagedWrites` is a part of RemoteStore (kg.store.remote.server): it reads gsp_url,
inline_limit, gsp_chunk, dialect, lock, _write_mutex, _recovered, _send, _select and
_post_update.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence

import pyoxigraph as ox
from rdflib import URIRef

from kg.errors import StoreError
from kg.namespaces import STAGING_PREFIX
from kg.store.remote.answers import NTRIPLES
from kg.store.remote.dataset import GRAPHS
from kg.store.remote.terms import (
    TRIPLES_PER_OP,
    chunk_quads,
    insert_ops,
    sparql_iri,
    sparql_literal,
)

log = logging.getLogger(__name__)


# Journals of writes on servers without atomic update requests (see _write_journaled);
# hidden like every staging graph.
JOURNAL_PREFIX = STAGING_PREFIX + "journal:"
_JOURNAL_STEP = "urn:meshkg:journal:step"
#: seconds after which a staging graph no journal names counts as left by a crash
STALE_STAGING = 6 * 3600.0
_STAGED_AT = re.compile(r"(\d{10,})-")


def staging_name(prefix: str = STAGING_PREFIX) -> str:
    """Return a fresh staging graph name that records when it was made."""
    return f"{prefix}{int(time.time())}-{uuid.uuid4()}"


def _staged_at(graph: str) -> float:
    """When a staging graph was made (0 for names without a time: older versions)."""
    m = _STAGED_AT.match(graph.removeprefix(JOURNAL_PREFIX).removeprefix(STAGING_PREFIX))
    return float(m.group(1)) if m else 0.0


class StagedWrites:
    """Replacing, adding and dropping graphs (a part of RemoteStore)."""

    @property
    def atomic_requests(self) -> bool:
        """Whether the server applies a multi-operation update request all or nothing."""
        return self.dialect in ("oxigraph", "fuseki")

    def write_quads(self, replace: Mapping[str, list], add: list | None = None,
                    drop: Iterable[str] = ()) -> None:
        """Replace graphs, add quads and drop graphs as one write.

        On a server that applies an update request atomically (Oxigraph, Fuseki) the
        write is one request: up to `inline_limit` triples inline (no staging graph,
        which such servers would show in their union default graph meanwhile), larger
        writes uploaded to staging graphs first and moved into place by that one request.
        Elsewhere (Virtuoso, generic) every write is staged, journaled and applied
        one operation per request, and an interrupted write is rolled forward by the
        next write (`recover`). docs/remote.md says what each server makes atomic.
        """
        added: dict[str, list] = {}
        for q in add or ():
            added.setdefault(q.graph_name.value, []).append(q)
        drop = list(drop)
        for g in (*replace, *added, *drop):
            sparql_iri(g)  # refuse a bad name before anything is written (or journaled)
        with self._write_mutex, self.lock.write():
            self._recover(drop_orphans=False)
            if self.atomic_requests:
                self._write_atomic(replace, added, drop)
            else:
                self._write_journaled(replace, added, drop)

    def _write_atomic(self, replace: Mapping[str, list], added: dict[str, list],
                      drop: Iterable[str]) -> None:
        drops = [f"DROP SILENT GRAPH {sparql_iri(g)}" for g in dict.fromkeys((*drop, *replace))]
        total = sum(map(len, replace.values())) + sum(map(len, added.values()))
        if total <= self.inline_limit:
            quads = [q for group in (replace, added) for qs in group.values() for q in qs]
            self._post_update(" ;\n".join(drops + list(insert_ops(quads))))
            return
        staged: list[tuple[str, str, str]] = []
        try:
            for op, group in (("MOVE", replace), ("ADD", added)):
                for name, quads in group.items():
                    tmp = staging_name()
                    staged.append((op, tmp, name))
                    self._upload(tmp, quads)
            ops = drops + [f"{op} SILENT GRAPH {sparql_iri(tmp)} TO GRAPH {sparql_iri(g)}"
                           for op, tmp, g in staged]
            self._post_update(" ;\n".join(ops))
        finally:
            for _, tmp, _ in staged:
                self._drop_quietly(tmp)

    def _write_journaled(self, replace: Mapping[str, list], added: dict[str, list],
                         drop: Iterable[str]) -> None:
        """Stage every graph, record the steps in a journal graph, then apply them.

        Virtuoso neither applies a multi-operation request atomically nor survives
        several MOVEs in one request (its indexes disagree afterwards), so each step
        is its own request. Until the journal is written nothing is visible; after
        it, the steps are idempotent and `recover` finishes them: a replace or an add
        whose staging graph still exists is redone from it, the rest were applied.
        """
        steps: list[tuple[str, ...]] = [("DROP", g) for g in dict.fromkeys(drop)
                                        if g not in replace]
        staged: list[str] = []
        journal = None
        try:
            for op, group in (("REPLACE", replace), ("ADD", added)):
                for name, quads in group.items():
                    if not quads:
                        if op == "REPLACE":
                            steps.append(("DROP", name))
                        continue
                    tmp = staging_name()
                    staged.append(tmp)
                    self._upload(tmp, quads)
                    steps.append((op, tmp, name))
            if not steps:
                return
            journal = staging_name(JOURNAL_PREFIX)
            lines = " ".join(f"{sparql_iri(journal)} <{_JOURNAL_STEP}> "
                             f"{sparql_literal(f'{i} ' + ' '.join(step), None, None)} ."
                             for i, step in enumerate(steps))
            self._post_update(f"INSERT DATA {{ GRAPH {sparql_iri(journal)} {{ {lines} }} }}")
        except BaseException:
            for tmp in staged:
                self._drop_quietly(tmp)
            raise
        try:
            self._apply(journal, steps, resume=False)
        except StoreError as exc:
            raise StoreError(f"{exc}; the write was staged completely and is finished by "
                             f"the next write to this store (journal <{journal}>)") from exc

    def _apply(self, journal: str, steps: list[tuple[str, ...]], *, resume: bool) -> None:
        """Run journaled steps in order, each its own request; then drop the journal.

        Resuming, a step whose staging graph is gone was already applied, and a DROP
        is skipped when a later step into the same graph was already applied.
        """
        applied = set()
        if resume:
            present = set(self._select_graphs())
            applied = {i for i, s in enumerate(steps) if s[0] != "DROP" and s[1] not in present}
        for i, step in enumerate(steps):
            if i in applied:
                continue
            if step[0] == "DROP":
                later = any(j in applied and s[2] == step[1]
                            for j, s in enumerate(steps[i + 1:], i + 1) if s[0] != "DROP")
                if not later:
                    self._drop_one(step[1])
            else:
                # ADD, not MOVE: the staging graph stays whole until the copy is done, so
                # a step cut short is redone from it; row autocommit (see _drop_one)
                # keeps a large copy within Virtuoso's transaction limits
                _, tmp, graph = step
                if step[0] == "REPLACE":
                    self._drop_one(graph)
                self._post_update(f"{self._row_autocommit()}ADD SILENT GRAPH {sparql_iri(tmp)} "
                                  f"TO GRAPH {sparql_iri(graph)}")
                self._drop_one(tmp)
        self._drop_one(journal)

    def _select_graphs(self) -> list[str]:
        """Every graph on the server with triples, hidden ones included."""
        return [str(r["g"]) for r in self._select(GRAPHS) if isinstance(r.get("g"), URIRef)]

    def _journal_steps(self, journal: str) -> list[tuple[str, ...]]:
        rows = self._select(f"SELECT ?step WHERE {{ GRAPH {sparql_iri(journal)} "
                            f"{{ ?j <{_JOURNAL_STEP}> ?step }} }}")
        numbered = sorted((int(n), tuple(rest.split(" ")))
                          for n, _, rest in (str(r["step"]).partition(" ") for r in rows))
        return [step for _, step in numbered]

    def _recover(self, *, drop_orphans: bool) -> dict[str, list[str]]:
        """Finish journaled writes an interruption left, and drop stale staging graphs."""
        if self.atomic_requests and self._recovered and not drop_orphans:
            return {"finished": [], "dropped": []}
        names = [g for g in self._select_graphs() if g.startswith(STAGING_PREFIX)]
        journals = [g for g in names if g.startswith(JOURNAL_PREFIX)]
        for journal in journals:
            log.warning("finishing a write an interruption left half applied (%s)", journal)
            self._apply(journal, self._journal_steps(journal), resume=True)
        live = set(self._select_graphs()) if journals else set(names)
        now = time.time()
        dropped = [g for g in names if g in live and not g.startswith(JOURNAL_PREFIX)
                   and (drop_orphans or now - _staged_at(g) > STALE_STAGING)]
        for g in dropped:
            self._drop_one(g)
        self._recovered = True
        return {"finished": journals, "dropped": dropped}

    def recover(self) -> dict[str, list[str]]:
        """Finish interrupted writes and drop every staging graph; return what was done.

        Only for when no other meshkg process is writing to the server: staging
        graphs of a write still uploading would be dropped too.
        """
        with self._write_mutex, self.lock.write():
            return self._recover(drop_orphans=True)

    def _upload(self, graph: str, quads: Sequence) -> None:
        """Add quads to one graph in chunks that never split a blank-node component."""
        target = ox.NamedNode(graph)
        if self.gsp_url:
            for chunk in chunk_quads(quads, self.gsp_chunk):
                body = ox.serialize([q.triple for q in chunk], format=ox.RdfFormat.N_TRIPLES)
                self._send("POST", self.gsp_url, params={"graph": graph}, data=body,
                           headers={"Content-Type": NTRIPLES})
            return
        moved = [ox.Quad(q.subject, q.predicate, q.object, target) for q in quads]
        if self.atomic_requests:
            per_request = max(self.inline_limit, TRIPLES_PER_OP)
            for chunk in chunk_quads(moved, per_request):
                self._post_update(" ;\n".join(insert_ops(chunk)))
        else:
            for op in insert_ops(moved):  # one operation per request, as journaled writes
                self._post_update(op)

    def drop(self, graph: str) -> None:
        with self._write_mutex, self.lock.write():
            self._drop_one(graph)

    def _row_autocommit(self) -> str:
        # In its default transactional mode Virtuoso took 52 s to drop 50,000 triples,
        # and a copy of 455,000 triples passed its TransactionAfterImageLimit; row
        # autocommit with the transaction log kept (log-enable 3) took 0.6 s for the
        # drop and is as durable, but readers may see a graph half changed meanwhile.
        return "define sql:log-enable 3 " if self.dialect == "virtuoso" else ""

    def _drop_one(self, graph: str) -> None:
        self._post_update(f"{self._row_autocommit()}DROP SILENT GRAPH {sparql_iri(graph)}")

    def _drop_quietly(self, graph: str) -> None:
        try:
            self._drop_one(graph)
        except StoreError:
            log.warning("could not drop staging graph %s", graph)
