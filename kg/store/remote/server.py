"""RemoteStore: the Store interface over one SPARQL 1.1 server (its query, update and,
optionally, Graph Store Protocol endpoints), made of the parts in this package."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import requests
from rdflib import URIRef

from kg.errors import UsageError
from kg.namespaces import STAGING_PREFIX
from kg.sparqlsafety import check_query, check_update, tokens
from kg.store.base import Result, Store, Term
from kg.store.oxigraph.updates import may_write
from kg.store.remote.answers import cap_rows, parse_ntriples, parse_results
from kg.store.remote.client import DIALECTS, BearerAuth, HttpClient, ServerSession
from kg.store.remote.dataset import GRAPHS, UnionDataset
from kg.store.remote.dumps import PagedDumps
from kg.store.remote.rewrite import inject_values, query_form, split_data_ops, wrap_values_branches
from kg.store.remote.terms import sparql_iri
from kg.store.remote.writes import StagedWrites


class RemoteStore(StagedWrites, PagedDumps, UnionDataset, HttpClient, Store):
    """A SPARQL 1.1 server: query, update and (optionally) Graph Store Protocol endpoints."""

    kind = "sparql"

    def __init__(self, query_url: str, *, update_url: str | None = None,
                 gsp_url: str | None = None, auth: requests.auth.AuthBase | None = None,
                 timeout: float = 30.0, dialect: str | None = None,
                 inline_limit: int = 250_000, gsp_chunk: int = 50_000,
                 page_rows: int = 10_000, system_graphs: Iterable[str] = (),
                 graph_ttl: float = 2.0):
        super().__init__()
        if dialect is not None and dialect not in DIALECTS:
            raise UsageError(f"unknown SPARQL server dialect {dialect!r}; "
                             f"known: {', '.join(DIALECTS)}")
        self.query_url = query_url
        self.update_url = update_url or query_url
        self.gsp_url = gsp_url
        self.timeout = timeout
        self.inline_limit = inline_limit
        self.gsp_chunk = gsp_chunk
        self.page_rows = page_rows
        self._dialect = dialect
        self._extra_system = tuple(system_graphs)
        self._session = ServerSession()
        self._session.auth = auth
        self._recovered = False
        self._row_cap: int | None = None  # the server's row cap, once an answer shows it
        # the graphs a query's dataset lists, kept `graph_ttl` seconds and forgotten at
        # every write this store sends (others' new graphs show within that time)
        self.graph_ttl = graph_ttl
        self._names: tuple[float, list[str]] | None = None

    @classmethod
    def from_settings(cls, settings) -> RemoteStore:
        """Open the server named by `settings.store` (`sparql+http(s)://…[#dialect]`)."""
        url = settings.store.removeprefix("sparql+")
        url, _, dialect = url.partition("#")
        auth = None
        if settings.remote_auth == "bearer":
            if settings.remote_token:
                auth = BearerAuth(settings.remote_token)
        elif settings.remote_user is not None:
            kinds = {"basic": requests.auth.HTTPBasicAuth, "digest": requests.auth.HTTPDigestAuth}
            if settings.remote_auth not in kinds:
                raise UsageError(f"remote_auth must be basic, digest or bearer, "
                                 f"not {settings.remote_auth!r}")
            auth = kinds[settings.remote_auth](settings.remote_user,
                                               settings.remote_password or "")
        return cls(url, update_url=settings.update_url, gsp_url=settings.gsp_url, auth=auth,
                   timeout=settings.remote_timeout, dialect=dialect.removeprefix("dialect=")
                   or None, graph_ttl=settings.remote_graph_ttl)

    def query(self, sparql: str, *, bindings: Mapping[str, Term] | None = None,
              default_graphs: Iterable[str] | None = None,
              named_graphs: Iterable[str] | None = None,
              timeout: float | None = None, max_rows: int | None = None) -> Result:
        check_query(sparql, known_graphs=lambda: set(self.graphs()))
        form = query_form(sparql)
        text = inject_values(sparql, bindings, subselect=self.dialect == "virtuoso")
        if self.dialect == "virtuoso":
            text = wrap_values_branches(text)
        with self.lock.read():
            dataset = self._dataset(sparql, default_graphs, named_graphs)
            resp = self._post_query(text, form, dataset=dataset, timeout=timeout, budget=True)
        capped = resp.headers.get("X-SPARQL-MaxRows")
        if form in ("CONSTRUCT", "DESCRIBE"):
            triples = parse_ntriples(resp.content)
            return Result("graph", triples=cap_rows(triples, max_rows, capped),
                          truncated=max_rows is not None and len(triples) > max_rows)
        answer = parse_results(resp)
        if isinstance(answer, bool):
            return Result("ask", boolean=answer)
        names, rows = answer
        if form == "ASK" and names == ["__ASK_RETVAL"]:
            # Virtuoso answers ASK as one row (true) or none (false).
            return Result("ask", boolean=any(str(r.get("__ASK_RETVAL", "")) != "0"
                                             for r in rows))
        return Result("select", vars=names, rows=cap_rows(rows, max_rows, capped),
                      truncated=max_rows is not None and len(rows) > max_rows)

    def graphs(self) -> dict[str, int]:
        rows = self._select(GRAPHS)
        out = {str(r["g"]): int(r["n"]) for r in rows if isinstance(r.get("g"), URIRef)}
        return {g: out[g] for g in sorted(out) if not self._hidden(g)}

    def has_graph(self, graph: str) -> bool:
        resp = self._post_query(f"ASK {{ GRAPH {sparql_iri(graph)} {{ ?s ?p ?o }} }}", "ASK")
        answer = parse_results(resp)
        return answer if isinstance(answer, bool) else bool(answer[1])

    def update(self, sparql: str, *, timeout: float | None = None) -> None:
        check_update(sparql)
        with self._write_mutex, self.lock.write():
            text = split_data_ops(self._expand_drop_all(sparql))
            if self.dialect == "virtuoso":
                text = wrap_values_branches(text)
            self._post_update(text, timeout)

    def _expand_drop_all(self, sparql: str) -> str:
        """Rewrite DROP/CLEAR ALL|NAMED into the graphs meshkg sees (never system graphs)."""
        toks = list(tokens(sparql))
        out, last = [], 0
        for i, (kind, tok, pos) in enumerate(toks):
            if kind != "word" or tok.upper() not in ("DROP", "CLEAR"):
                continue
            j = i + 1
            if j < len(toks) and toks[j][1].upper() == "SILENT":
                j += 1
            if j < len(toks) and toks[j][1].upper() in ("ALL", "NAMED"):
                end = toks[j][2] + len(toks[j][1])
                names = list(self.graphs()) or [STAGING_PREFIX + "none"]
                out += [sparql[last:pos],
                        " ;\n".join(f"{tok.upper()} SILENT GRAPH {sparql_iri(g)}" for g in names)]
                last = end
        if not out:
            return sparql
        # dropping every graph transactionally is slow on Virtuoso (see _row_autocommit)
        return self._row_autocommit() + "".join(out) + sparql[last:]

    def may_write(self, sparql: str) -> set[str] | None:
        return may_write(sparql)

    def close(self) -> None:
        self._session.close()
        self.closed = True
