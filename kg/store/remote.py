"""The remote store: a SPARQL 1.1 server over the Protocol and the Graph Store Protocol.

Queries and updates are pushed down whole; bulk writes go by Graph Store Protocol
chunks (or SPARQL Update chunks) and never triple by triple. The default graph of
a query is the union of all named graphs, as in the embedded store; each server
gets there its own way (see `DIALECTS` and docs/remote.md).
"""

from __future__ import annotations

import http.client
import json
import logging
import re
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from urllib.parse import urlsplit

import pyoxigraph as ox
import requests
from rdflib import BNode, Literal, URIRef

from kg.errors import (
    QuerySyntaxError,
    QueryTimeout,
    RemoteTimeout,
    ResultTooLarge,
    StoreError,
    UsageError,
)
from kg.formats import rdf_format
from kg.namespaces import STAGING_PREFIX
from kg.sparqlsafety import check_query, check_update, tokens
from kg.store.base import Result, Store, Term
from kg.store.oxigraph import to_rdflib

log = logging.getLogger(__name__)

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
_JSON_RESULTS = "application/sparql-results+json"
_XML_RESULTS = "application/sparql-results+xml"
_NTRIPLES = "application/n-triples"
_FORM = "application/x-www-form-urlencoded; charset=utf-8"
_CONNECT_TIMEOUT = 5.0
# Graphs with their sizes; on Virtuoso this is fast (the GS index) where
# SELECT DISTINCT ?g took 28 s over 50,000 triples.
_GRAPHS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
# A hash of a whole triple, to split a graph into pages without ORDER BY.
_HASH = ('MD5(CONCAT(COALESCE(STR(?s), "_"), " ", STR(?p), " ", COALESCE(STR(?o), "_"), '
         'COALESCE(LANG(?o), "")))')

#: How each server is made to read the default graph as the union of all named graphs.
DIALECTS = ("virtuoso", "oxigraph", "fuseki", "generic")

# Graphs a fresh Virtuoso holds for itself: never listed, dumped, migrated or dropped,
# and excluded from the default and named graphs of every query.
VIRTUOSO_SYSTEM_GRAPHS = (
    "http://www.openlinksw.com/schemas/virtrdf#",
    "http://www.w3.org/ns/ldp#",
    "http://www.w3.org/2002/07/owl#",
    "http://localuriqaserver/sparql",
    "urn:activitystreams-owl:map",
    "urn:core:services:sparql",
)

# Virtuoso echoes every graph of a request's dataset as a response header
# (X-SPARQL-default-graph, X-SPARQL-named-graph); Python's http.client refuses an
# answer with more than 100 headers, so a store of ~100 graphs could not be read.
http.client._MAXHEADERS = max(getattr(http.client, "_MAXHEADERS", 100), 1_000_000)

# Virtuoso's SPARQL compiler runs out of parser memory near 5,000 triples in one
# INSERT DATA, so updates carry at most this many triples per operation; with blank
# nodes (INSERT … WHERE {}) its generated SQL passes 10,000 lines near 2,000 triples.
_TRIPLES_PER_OP = 2_000
_BLANK_TRIPLES_PER_OP = 500

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


class _Bearer(requests.auth.AuthBase):
    def __init__(self, token: str):
        self.token = token

    def __call__(self, r):
        r.headers["Authorization"] = f"Bearer {self.token}"
        return r


class _Session(requests.Session):
    """A session that reads the proxy and CA settings of the environment once per
    server (requests reads every environment variable on every request: 0.3 ms a query).
    Proxies and NO_PROXY are chosen per scheme and host, so that is the key."""

    def __init__(self):
        super().__init__()
        self._env: dict[tuple[str, bool], dict] = {}

    def merge_environment_settings(self, url, proxies, stream, verify, cert):
        if proxies or verify is not None or cert is not None:
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        parts = urlsplit(url)
        server = f"{parts.scheme}://{parts.netloc}/"
        key = (server, bool(stream))
        if key not in self._env:
            self._env[key] = super().merge_environment_settings(server, {}, stream, None,
                                                                None)
        hit = self._env[key]
        return {**hit, "proxies": dict(hit["proxies"])}


class RemoteStore(Store):
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
        self._session = _Session()
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
                auth = _Bearer(settings.remote_token)
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

    # -- HTTP ---------------------------------------------------------------
    def _send(self, method: str, url: str, *, timeout: float | None = None,
              budget: bool = False, **kw) -> requests.Response:
        """Send one request and read the whole answer before the deadline."""
        limit = self.timeout if timeout is None else min(timeout, self.timeout)
        slow = QueryTimeout if budget and limit < self.timeout else RemoteTimeout
        data = kw.get("data")
        if method != "GET" and not (isinstance(data, bytes) and data.startswith(b"query=")):
            self._names = None  # a write may add or drop graphs
        start = time.monotonic()
        try:
            try:
                resp = self._session.request(
                    method, url, timeout=(min(_CONNECT_TIMEOUT, limit), limit), stream=True,
                    **kw)
            except requests.exceptions.ConnectionError as exc:
                if "Connection aborted" not in str(exc):
                    raise
                # the server closed a kept-alive connection before reading the request
                # (Virtuoso's KeepAliveTimeout): once more, on a new connection
                resp = self._session.request(
                    method, url, stream=True, timeout=(
                        min(_CONNECT_TIMEOUT, limit),
                        max(limit - (time.monotonic() - start), 0.001)), **kw)
            chunks = []
            for chunk in resp.iter_content(1 << 16):
                chunks.append(chunk)
                if time.monotonic() - start > limit:
                    resp.close()
                    raise slow(f"{_host(url)} did not answer within {limit:g} s")
            resp._content = b"".join(chunks)
        except requests.exceptions.ConnectTimeout as exc:
            raise StoreError(f"cannot connect to the SPARQL server {_host(url)} "
                             f"within {min(_CONNECT_TIMEOUT, limit):g} s") from exc
        except requests.exceptions.RequestException as exc:
            if (isinstance(exc, requests.exceptions.ReadTimeout)
                    or time.monotonic() - start >= limit):
                raise slow(f"{_host(url)} did not answer within {limit:g} s") from exc
            raise StoreError(f"cannot reach the SPARQL server {_host(url)}: "
                             f"{_reason(exc)}") from exc
        self._check_status(resp, url)
        if resp.headers.get("X-SQL-State") == "S1TAT":
            # Virtuoso's answer to a query stopped at a time limit: 200 with whatever
            # rows it had, marked only by this header; never a result
            raise slow(f"{_host(url)} stopped the query at its time limit and sent an "
                       "incomplete answer (Virtuoso X-SQL-State S1TAT)")
        return resp

    def _check_status(self, resp: requests.Response, url: str) -> None:
        if resp.status_code == 206:
            # Virtuoso's "anytime" answer: a partial result at a time or row limit.
            raise ResultTooLarge(f"{_host(url)} answered with a partial result (206): its "
                                 "row or time limit was reached; narrow the query or add "
                                 "LIMIT")
        if resp.status_code < 300:
            return
        text = _server_text(resp)
        if resp.status_code == 400:
            raise QuerySyntaxError("the SPARQL server refused the request as malformed "
                                   f"(a syntax error or a feature it lacks): {text}")
        if resp.status_code in (401, 403):
            raise StoreError(f"{_host(url)} refused the credentials "
                             f"({resp.status_code}): {text}")
        raise StoreError(f"{_host(url)} failed ({resp.status_code}): {text}")

    @property
    def dialect(self) -> str:
        """The server family, from the setting or from the Server header of one request."""
        if self._dialect is None:
            resp = self._send("GET", self.query_url, params={"query": "ASK {}"},
                              headers={"Accept": _JSON_RESULTS})
            server = resp.headers.get("Server", "").lower()
            if "virtuoso" in server:
                self._dialect = "virtuoso"
            elif "oxigraph" in server:
                self._dialect = "oxigraph"
            elif "fuseki" in server or "Fuseki-Request-Id" in resp.headers:
                self._dialect = "fuseki"
            else:
                self._dialect = "generic"
        return self._dialect

    def _system_graphs(self) -> tuple[str, ...]:
        if self.dialect != "virtuoso":
            return self._extra_system
        parts = urlsplit(self.query_url)
        return (VIRTUOSO_SYSTEM_GRAPHS + self._extra_system
                + (f"{parts.scheme}://{parts.netloc}/sparql",))

    def _hidden(self, graph: str) -> bool:
        if graph.startswith(STAGING_PREFIX) or graph in self._system_graphs():
            return True
        return self.dialect == "virtuoso" and graph.startswith("http://www.openlinksw.com/")

    # -- reading -------------------------------------------------------------
    def _post_query(self, text: str, form: str, *, dataset: Sequence[tuple[str, str]] = (),
                    timeout: float | None = None, budget: bool = False):
        if form in ("CONSTRUCT", "DESCRIBE"):
            accept = _NTRIPLES
        elif self.dialect == "virtuoso":
            # Virtuoso writes SPARQL XML results 4x faster than JSON (10,000 products,
            # 174 rows: 3.0 against 11.8 ms), and its XML says booleans as true/false
            accept = _XML_RESULTS
        else:
            accept = _JSON_RESULTS
        # Form-encoded POST: Virtuoso never answers a direct application/sparql-query POST.
        body = [("query", text), *dataset]
        if self.dialect == "virtuoso":
            # Virtuoso stops the query itself at this deadline (an "anytime" query), so
            # a query meshkg gave up on does not keep running on the server.
            limit = self.timeout if timeout is None else min(timeout, self.timeout)
            body.append(("timeout", str(max(int(limit * 1000), 1))))
        return self._send("POST", self.query_url, data=_form(body), timeout=timeout,
                          budget=budget, headers={"Accept": accept, "Content-Type": _FORM})

    def _dataset(self, sparql: str, default_graphs, named_graphs) -> list[tuple[str, str]]:
        """Protocol parameters that make the default graph the union of meshkg's graphs."""
        if default_graphs is None and named_graphs is None and _has_dataset_clause(sparql):
            return []  # the query names its own dataset
        params: list[tuple[str, str]] = []
        # Oxigraph refuses union-default-graph beside named-graph-uri: then it lists too
        listed = self.dialect in ("virtuoso", "generic") or (
            self.dialect == "oxigraph" and default_graphs is None and named_graphs is not None)
        # the named graphs matter only to a query that says GRAPH (Virtuoso is slow to
        # set up a dataset of many named graphs: 5 s instead of 0.02 s for one lookup)
        constants, graph_var = _graph_targets(sparql)
        name_them = listed and named_graphs is None and graph_var
        if listed and named_graphs is None and constants and not graph_var:
            # only `GRAPH <iri>`: those graphs are all the named graphs it can see
            named_graphs = sorted(constants)
            if default_graphs is None and not _reads_default_graph(sparql):
                # and nothing outside them: the default graph is never read, so it is
                # not listed (discovery on Virtuoso at 10,000 products: 7.0 -> 3.4 ms)
                default_graphs = named_graphs
        if listed and (default_graphs is None or name_them):
            # Virtuoso's own union also holds its system graphs (and its
            # input:*-graph-exclude pragmas empty the named graphs), so both the default
            # and the named graphs are listed: a SPARQL dataset names both or loses one.
            visible = self._graph_names() or [STAGING_PREFIX + "none"]
        if default_graphs is not None:
            params += [("default-graph-uri", g) for g in default_graphs]
        elif self.dialect == "oxigraph" and not listed:
            params.append(("union-default-graph", ""))
        elif self.dialect == "fuseki":
            params.append(("default-graph-uri", "urn:x-arq:UnionGraph"))
        else:
            params += [("default-graph-uri", g) for g in visible]
        if named_graphs is not None:
            params += [("named-graph-uri", g) for g in named_graphs]
        elif name_them:
            # Virtuoso matches `GRAPH <g> { … }` once, with nothing bound, when <g> is
            # not among the named graphs (an absent graph made ASK true): the graphs a
            # query names are always in the list
            named = set(visible) | _graph_constants(sparql)
            params += [("named-graph-uri", g) for g in sorted(named)]
        return params

    def _graph_names(self) -> list[str]:
        now = time.monotonic()
        if self._names is not None and now - self._names[0] < self.graph_ttl:
            return self._names[1]
        rows = self._select(_GRAPHS)
        names = sorted(str(r["g"]) for r in rows
                       if isinstance(r.get("g"), URIRef) and not self._hidden(str(r["g"])))
        self._names = (now, names)
        return names

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
            triples = _parse_ntriples(resp.content)
            return Result("graph", triples=_cap(triples, max_rows, capped),
                          truncated=max_rows is not None and len(triples) > max_rows)
        answer = _parse_results(resp)
        if isinstance(answer, bool):
            return Result("ask", boolean=answer)
        names, rows = answer
        if form == "ASK" and names == ["__ASK_RETVAL"]:
            # Virtuoso answers ASK as one row (true) or none (false).
            return Result("ask", boolean=any(str(r.get("__ASK_RETVAL", "")) != "0"
                                             for r in rows))
        return Result("select", vars=names, rows=_cap(rows, max_rows, capped),
                      truncated=max_rows is not None and len(rows) > max_rows)

    def _select(self, text: str) -> list[dict[str, Term]]:
        resp = self._post_query(text, "SELECT")
        if resp.headers.get("X-SPARQL-MaxRows"):
            raise ResultTooLarge(f"{_host(self.query_url)} cut an internal query at its row "
                                 f"limit of {resp.headers['X-SPARQL-MaxRows']}")
        answer = _parse_results(resp)
        return [] if isinstance(answer, bool) else answer[1]

    def graphs(self) -> dict[str, int]:
        rows = self._select(_GRAPHS)
        out = {str(r["g"]): int(r["n"]) for r in rows if isinstance(r.get("g"), URIRef)}
        return {g: out[g] for g in sorted(out) if not self._hidden(g)}

    def has_graph(self, graph: str) -> bool:
        resp = self._post_query(f"ASK {{ GRAPH {_iri(graph)} {{ ?s ?p ?o }} }}", "ASK")
        answer = _parse_results(resp)
        return answer if isinstance(answer, bool) else bool(answer[1])

    def _graph_triples(self, graph: str, expected: int | None = None) -> list[ox.Triple]:
        """Fetch one graph whole, or in hash-bucket pages when the server cuts it short."""
        where = f"GRAPH {_iri(graph)} {{ ?s ?p ?o }}"
        if expected is None:
            rows = self._select(f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}")
            expected = int(rows[0]["n"]) if rows else 0
        if expected == 0:
            return []
        if expected <= (self._row_cap or self.page_rows) or self.dialect != "virtuoso":
            if self.gsp_url:
                resp = self._send("GET", self.gsp_url, params={"graph": graph},
                                  headers={"Accept": _NTRIPLES})
            else:
                resp = self._post_query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {where} }}",
                                        "CONSTRUCT")
            triples = _ox_triples(resp.content)
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
                got = _ox_triples(self._post_query(
                    f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {where_page} }}", "CONSTRUCT").content)
                if 0 < len(got) < size:
                    self._row_cap, cut = len(got), True
                    break
                triples += got
            if not cut:
                break
        if len(triples) != expected:
            raise StoreError(f"{_host(self.query_url)} returned {len(triples):,} of the "
                             f"{expected:,} triples of <{graph}> (a server row limit below "
                             f"{limit:,}, or a concurrent write)")
        return triples

    def _pages(self, graph: str, expected: int, limit: int) -> Iterator[tuple[str, int]]:
        """Yield WHERE clauses that together select a graph, each of at most `limit` triples."""
        where = f"GRAPH {_iri(graph)} {{ ?s ?p ?o }}"
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
                one = f"{where} FILTER(?p = {_iri(pred)})"
                for hashes, m in self._hash_pages(one, n, limit):
                    yield f"{one} {hashes}", m
                continue
            if page and size + n > limit:
                yield f"{where} FILTER(?p IN ({', '.join(page)}))", size
                page, size = [], 0
            page.append(_iri(pred))
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

    # -- writing ---------------------------------------------------------------
    def _post_update(self, text: str, timeout: float | None = None) -> None:
        self._send("POST", self.update_url, data=_form([("update", text)]), timeout=timeout,
                   headers={"Content-Type": _FORM})

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
                        " ;\n".join(f"{tok.upper()} SILENT GRAPH {_iri(g)}" for g in names)]
                last = end
        if not out:
            return sparql
        # dropping every graph transactionally is slow on Virtuoso (see _row_autocommit)
        return self._row_autocommit() + "".join(out) + sparql[last:]

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
            _iri(g)  # refuse a bad name before anything is written (or journaled)
        with self._write_mutex, self.lock.write():
            self._recover(drop_orphans=False)
            if self.atomic_requests:
                self._write_atomic(replace, added, drop)
            else:
                self._write_journaled(replace, added, drop)

    def _write_atomic(self, replace: Mapping[str, list], added: dict[str, list],
                      drop: Iterable[str]) -> None:
        drops = [f"DROP SILENT GRAPH {_iri(g)}" for g in dict.fromkeys((*drop, *replace))]
        total = sum(map(len, replace.values())) + sum(map(len, added.values()))
        if total <= self.inline_limit:
            quads = [q for group in (replace, added) for qs in group.values() for q in qs]
            self._post_update(" ;\n".join(drops + list(_insert_ops(quads))))
            return
        staged: list[tuple[str, str, str]] = []
        try:
            for op, group in (("MOVE", replace), ("ADD", added)):
                for name, quads in group.items():
                    tmp = staging_name()
                    staged.append((op, tmp, name))
                    self._upload(tmp, quads)
            ops = drops + [f"{op} SILENT GRAPH {_iri(tmp)} TO GRAPH {_iri(g)}"
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
            lines = " ".join(f"{_iri(journal)} <{_JOURNAL_STEP}> "
                             f"{_literal(f'{i} ' + ' '.join(step), None, None)} ."
                             for i, step in enumerate(steps))
            self._post_update(f"INSERT DATA {{ GRAPH {_iri(journal)} {{ {lines} }} }}")
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
                self._post_update(f"{self._row_autocommit()}ADD SILENT GRAPH {_iri(tmp)} "
                                  f"TO GRAPH {_iri(graph)}")
                self._drop_one(tmp)
        self._drop_one(journal)

    def _select_graphs(self) -> list[str]:
        """Every graph on the server with triples, hidden ones included."""
        return [str(r["g"]) for r in self._select(_GRAPHS) if isinstance(r.get("g"), URIRef)]

    def _journal_steps(self, journal: str) -> list[tuple[str, ...]]:
        rows = self._select(f"SELECT ?step WHERE {{ GRAPH {_iri(journal)} "
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
                           headers={"Content-Type": _NTRIPLES})
            return
        moved = [ox.Quad(q.subject, q.predicate, q.object, target) for q in quads]
        if self.atomic_requests:
            per_request = max(self.inline_limit, _TRIPLES_PER_OP)
            for chunk in chunk_quads(moved, per_request):
                self._post_update(" ;\n".join(_insert_ops(chunk)))
        else:
            for op in _insert_ops(moved):  # one operation per request, as journaled writes
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
        self._post_update(f"{self._row_autocommit()}DROP SILENT GRAPH {_iri(graph)}")

    def _drop_quietly(self, graph: str) -> None:
        try:
            self._drop_one(graph)
        except StoreError:
            log.warning("could not drop staging graph %s", graph)

    def close(self) -> None:
        self._session.close()
        self.closed = True


# -- SPARQL text ----------------------------------------------------------------
_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
_VAR = re.compile(r"[A-Za-z0-9_]+\Z")
_LANG = re.compile(r"[A-Za-z]+(-[A-Za-z0-9]+)*\Z")
_BAD_IRI = re.compile(r'[<>"{}|^`\\\x00-\x20]')
_ESCAPES = {ord("\\"): "\\\\", ord('"'): '\\"', ord("\n"): "\\n", ord("\r"): "\\r",
            ord("\t"): "\\t", ord("\b"): "\\b", ord("\f"): "\\f"}


def query_form(sparql: str) -> str:
    """Return SELECT, ASK, CONSTRUCT or DESCRIBE for a query text."""
    for kind, tok, _ in tokens(sparql):
        if kind == "word" and tok.upper() in _FORMS:
            return tok.upper()
    raise QuerySyntaxError("not a SPARQL query: no SELECT, ASK, CONSTRUCT or DESCRIBE")


def _where_brace(sparql: str) -> int | None:
    """Return the offset just after the `{` that opens the WHERE clause, if any."""
    depth, started, template = 0, False, False
    for kind, tok, pos in tokens(sparql):
        if not started:
            if kind == "word" and tok.upper() in _FORMS:
                started = True
                template = tok.upper() == "CONSTRUCT"
            continue
        if kind != "other":
            if kind == "word":
                template = False
            continue
        if tok in "({":
            if tok == "{" and depth == 0 and not template:
                return pos + 1
            depth += 1
        elif tok in ")}":
            depth -= 1
            if depth == 0:
                template = False
    return None


def inject_values(sparql: str, bindings: Mapping[str, Term] | None, *,
                  subselect: bool = False) -> str:
    """Bind variables by a VALUES block at the start of the WHERE clause.

    At the start, not after the query (kg.store.base.bind_values), so that LIMIT,
    ORDER BY and aggregates see the bound values, and every server can push them down.
    With `subselect` the block is wrapped in `{ SELECT * WHERE { VALUES … } }`, the
    same solutions, which Virtuoso accepts as the given start of a `*`/`+` path where
    it refuses a plain VALUES ("transitive start not given").
    Values are serialized by `sparql_term`, which refuses anything that could
    escape its term: user text is never pasted.
    """
    if not bindings:
        return sparql
    for name in bindings:
        if not _VAR.match(name):
            raise UsageError(f"not a SPARQL variable name: {name!r}")
    head = " ".join(f"?{n}" for n in bindings)
    row = " ".join(sparql_term(v) for v in bindings.values())
    block = f" VALUES ({head}) {{ ({row}) }} "
    if subselect:
        block = f" {{ SELECT {head} WHERE {{{block}}} }} "
    at = _where_brace(sparql)
    if at is None:
        return f"{sparql}\nVALUES ({head}) {{ ({row}) }}"
    return sparql[:at] + block + sparql[at:]


def wrap_values_branches(sparql: str) -> str:
    """Wrap each UNION branch made only of a VALUES block in a sub-SELECT.

    Virtuoso answers no rows for such a branch (`{ VALUES ?s { <a> } } UNION { … }`
    drops <a>) and the right rows for `{ SELECT * WHERE { VALUES … } }`.
    """
    toks = list(tokens(sparql))
    edits: list[tuple[int, str]] = []
    for i, (kind, tok, pos) in enumerate(toks):
        if not (kind == "other" and tok == "{" and i + 1 < len(toks)
                and toks[i + 1][0] == "word" and toks[i + 1][1].upper() == "VALUES"):
            continue
        end = _values_end(toks, i + 2)
        if end is None or toks[end][1] != "}":
            continue
        before = toks[i - 1][1].upper() if i else ""
        after = toks[end + 1][1].upper() if end + 1 < len(toks) else ""
        if "UNION" in (before, after):
            edits += [(pos + 1, " SELECT * WHERE {"), (toks[end][2], "} ")]
    for at, text in reversed(edits):
        sparql = sparql[:at] + text + sparql[at:]
    return sparql


def _values_end(toks: list, at: int) -> int | None:
    """Return the index of the token after a VALUES block whose variables start at `at`."""
    i = at
    if i < len(toks) and toks[i][1] == "(":
        while i < len(toks) and toks[i][1] != ")":
            i += 1
    i += 1
    if i >= len(toks) or toks[i][1] != "{":
        return None
    while i < len(toks) and toks[i][1] != "}":
        i += 1
    return i + 1 if i + 1 < len(toks) else None


def _iri(value: str) -> str:
    if not value or _BAD_IRI.search(value):
        raise UsageError(f"not a valid IRI: {value!r}")
    return f"<{value}>"


def _literal(value: str, lang: str | None, datatype: str | None) -> str:
    text = '"' + value.translate(_ESCAPES) + '"'
    if lang:
        if not _LANG.match(lang):
            raise UsageError(f"not a valid language tag: {lang!r}")
        return f"{text}@{lang}"
    if datatype and datatype != _XSD_STRING:
        return f"{text}^^{_iri(datatype)}"
    return text


def sparql_term(term: Term) -> str:
    """Serialize an rdflib term for a VALUES block, refusing what would break out of it."""
    if isinstance(term, URIRef):
        return _iri(str(term))
    if isinstance(term, Literal):
        dt = str(term.datatype) if term.datatype else None
        return _literal(str(term), term.language, dt)
    if isinstance(term, BNode):
        raise UsageError("blank nodes cannot be bound in a query")
    raise UsageError(f"cannot bind {term!r}")


def _ox_term(term, labels: dict[str, str], prefix: str = "b") -> str:
    if isinstance(term, ox.NamedNode):
        return _iri(term.value)
    if isinstance(term, ox.BlankNode):
        return labels.setdefault(term.value, f"_:{prefix}{len(labels)}")
    if isinstance(term, ox.Literal):
        return _literal(term.value, term.language, term.datatype.value)
    raise UsageError(f"cannot write {term!r} to a SPARQL server")


def _has_blank(q) -> bool:
    return isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode)


def _insert_ops(quads: Sequence) -> Iterator[str]:
    """Yield INSERT operations of at most _TRIPLES_PER_OP triples each.

    Blank nodes keep their identity inside one operation only, so chunks never split
    a blank-node component, and each operation has its own labels (Virtuoso refuses
    a label shared by two operations of one request). Virtuoso refuses blank nodes in
    INSERT DATA, so a chunk holding any is written as INSERT { … } WHERE {}, which
    creates them once, in chunks of at most _BLANK_TRIPLES_PER_OP.
    """
    plain = [q for q in quads if not _has_blank(q)]
    blank = [q for q in quads if _has_blank(q)]
    chunks = [*chunk_quads(plain, _TRIPLES_PER_OP), *chunk_quads(blank, _BLANK_TRIPLES_PER_OP)]
    for n, chunk in enumerate(chunks):
        labels: dict[str, str] = {}
        by_graph: dict[str, list[str]] = {}
        for q in chunk:
            line = " ".join(_ox_term(t, labels, f"c{n}b")
                            for t in (q.subject, q.predicate, q.object)) + " ."
            by_graph.setdefault(q.graph_name.value, []).append(line)
        body = " ".join(f"GRAPH {_iri(g)} {{ {' '.join(lines)} }}"
                        for g, lines in by_graph.items())
        yield f"INSERT {{ {body} }} WHERE {{}}" if labels else f"INSERT DATA {{ {body} }}"


def chunk_quads(quads: Sequence, size: int) -> Iterator[list]:
    """Split quads into chunks of about `size`, keeping blank-node components whole."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    keys: list[str | None] = []
    for q in quads:
        nodes = [t.value for t in (q.subject, q.object) if isinstance(t, ox.BlankNode)]
        for other in nodes[1:]:
            a, b = find(nodes[0]), find(other)
            if a != b:
                parent[a] = b
        keys.append(nodes[0] if nodes else None)
    components: dict[str, list] = {}
    singles: list[list] = []
    for q, key in zip(quads, keys, strict=True):
        if key is None:
            singles.append([q])
        else:
            root = find(key)
            if root not in components:
                components[root] = []
                singles.append(components[root])
            components[root].append(q)
    chunk: list = []
    for group in singles:
        if chunk and len(chunk) + len(group) > size:
            yield chunk
            chunk = []
        chunk += group
    if chunk:
        yield chunk


def split_data_ops(sparql: str, size: int = _TRIPLES_PER_OP) -> str:
    """Split each INSERT DATA / DELETE DATA block of more than `size` statements into
    several operations of the same request (Virtuoso's parser gives up near 5,000).

    The same triples are written or deleted; blocks with blank-node labels, whose
    identity an operation scopes, are left whole.
    """
    toks = list(tokens(sparql))
    out: list[str] = []
    last = 0
    i = 0
    while i < len(toks):
        kind, tok, pos = toks[i]
        if not (kind == "word" and tok.upper() in ("INSERT", "DELETE") and i + 2 < len(toks)
                and toks[i + 1][1].upper() == "DATA" and toks[i + 2][1] == "{"):
            i += 1
            continue
        end, blocks = _data_blocks(sparql, toks, i + 2)
        if end is None or all(len(stmts) <= size for _, stmts in blocks) or any(
                t[0] == "word" and t[1].startswith("_:") for t in toks[i:end]):
            i = (end or i) + 1
            continue
        op = f"{tok.upper()} DATA"
        parts = []
        for graph, stmts in blocks:
            for k in range(0, len(stmts), size):
                body = " ".join(stmts[k:k + size])
                parts.append(f"{op} {{ GRAPH {graph} {{ {body} }} }}" if graph
                             else f"{op} {{ {body} }}")
        out += [sparql[last:pos], " ;\n".join(parts)]
        last = toks[end][2] + 1
        i = end + 1
    return "".join(out) + sparql[last:] if out else sparql


def _data_blocks(text: str, toks: list, at: int) -> tuple[int | None, list]:
    """Read the quad data opening at token `at` (a `{`): return the index of its closing
    `}` and its blocks as (graph IRI text or None, statement texts)."""
    blocks: list[tuple[str | None, list[str]]] = []
    graph: str | None = None
    stmts: list[str] = []
    start = None
    depth = 0  # brackets inside a statement
    i = at + 1
    while i < len(toks):
        kind, tok, pos = toks[i]
        if depth == 0 and kind == "word" and tok.upper() == "GRAPH" and start is None:
            if stmts:
                blocks.append((graph, stmts))
            graph, stmts = toks[i + 1][1], []
            i += 3  # GRAPH <g> {
            continue
        if depth == 0 and tok == "}" and kind == "other":
            if start is not None:
                stmts.append(text[start:pos].strip())
                start = None
            if stmts or graph is not None:
                blocks.append((graph, stmts))
            if graph is None:
                return i, blocks
            graph, stmts = None, []
            i += 1
            continue
        if start is None:
            start = pos
        if kind == "other" and tok in "[(":
            depth += 1
        elif kind == "other" and tok in "])":
            depth -= 1
        elif depth == 0 and kind == "other" and tok == "." and not (
                text[pos - 1:pos].isdigit() and text[pos + 1:pos + 2].isdigit()):
            stmts.append(text[start:pos + 1].strip())
            start = None
        i += 1
    return None, blocks


def _graph_constants(sparql: str) -> set[str]:
    """The IRIs a query names in `GRAPH <iri>`."""
    toks = list(tokens(sparql))
    return {toks[i + 1][1][1:-1] for i, (kind, tok, _) in enumerate(toks[:-1])
            if kind == "word" and tok.upper() == "GRAPH" and toks[i + 1][0] == "iri"}


def _graph_targets(sparql: str) -> tuple[set[str], bool]:
    """The IRIs a query names in `GRAPH <iri>`, and whether it also says `GRAPH ?var`
    (or GRAPH before anything else but an IRI)."""
    toks = list(tokens(sparql))
    constants, var = set(), False
    for i, (kind, tok, _) in enumerate(toks):
        if kind == "word" and tok.upper() == "GRAPH":
            if i + 1 < len(toks) and toks[i + 1][0] == "iri":
                constants.add(toks[i + 1][1][1:-1])
            else:
                var = True
    return constants, var


def _reads_default_graph(sparql: str) -> bool:
    """Whether a query may read its default graph: False only for a SELECT or ASK whose
    WHERE group holds nothing but `GRAPH <iri> { … }` groups (joined by braces, `.`,
    UNION, OPTIONAL or MINUS) and no group anywhere else (EXISTS in the projection,
    HAVING or ORDER BY, a trailing VALUES); anything else, or any doubt, is True."""
    toks = list(tokens(sparql))
    words = [i for i, t in enumerate(toks) if t[0] == "word" and t[1].upper() == "WHERE"]
    braces = [i for i, t in enumerate(toks) if t[0] == "other" and t[1] == "{"]
    if not braces:
        return True
    # the WHERE group must be the first group of the text: a group before it (EXISTS
    # in the projection, a CONSTRUCT template) means doubt
    start = braces[0]
    if (words and words[0] != start - 1) or any(
            t[0] == "word" and t[1].upper() in ("CONSTRUCT", "DESCRIBE", "EXISTS")
            for t in toks[:start]):
        return True
    depth, i = 0, start
    while i < len(toks):
        kind, tok, _ = toks[i]
        if kind == "word" and tok.upper() == "GRAPH" and depth > 0:
            if not (i + 2 < len(toks) and toks[i + 1][0] == "iri" and toks[i + 2][1] == "{"):
                return True
            inner, i = 0, i + 2
            while i < len(toks):  # skip the graph's group, braces balanced
                if toks[i][0] == "other" and toks[i][1] in "{}":
                    inner += 1 if toks[i][1] == "{" else -1
                    if inner == 0:
                        break
                i += 1
            else:
                return True
        elif kind == "other" and tok in ("{", "}"):
            depth += 1 if tok == "{" else -1
            if depth == 0:
                # the end of WHERE: solution modifiers follow, and any group among
                # them (HAVING/ORDER BY with EXISTS, VALUES) is doubt
                return any(t[0] == "other" and t[1] == "{" for t in toks[i + 1:])
        elif not ((kind == "other" and tok == ".")
                  or (kind == "word" and tok.upper() in ("UNION", "OPTIONAL", "MINUS"))):
            return True
        i += 1
    return True


def _has_dataset_clause(sparql: str) -> bool:
    return any(kind == "word" and tok.upper() == "FROM" for kind, tok, _ in tokens(sparql))


# -- answers ------------------------------------------------------------------------
def _form(pairs: list[tuple[str, str]]) -> bytes:
    from urllib.parse import urlencode
    return urlencode(pairs).encode("ascii")


def _parse_json(body: bytes) -> dict:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise StoreError(f"the SPARQL server sent results that are not SPARQL JSON: "
                         f"{body[:200]!r}") from exc


def _parse_results(resp: requests.Response) -> bool | tuple[list[str], list[dict[str, Term]]]:
    """A SPARQL results document: the boolean of an ASK, or the variables and rows."""
    kind = resp.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
    if kind in (_XML_RESULTS, "application/xml", "text/xml"):
        return _parse_xml(resp.content)
    data = _parse_json(resp.content)
    if "boolean" in data:
        return bool(data["boolean"])
    return (data.get("head", {}).get("vars", []),
            [{k: _json_term(v) for k, v in b.items()}
             for b in data.get("results", {}).get("bindings", [])])


def _parse_xml(body: bytes) -> bool | tuple[list[str], list[dict[str, Term]]]:
    """SPARQL Query Results XML, read by pyoxigraph (4x faster than ElementTree; no
    entities are expanded). Virtuoso names blank nodes `nodeID://b1`: the prefix goes."""
    try:
        answer = ox.parse_query_results(body.replace(b"<bnode>nodeID://", b"<bnode>"),
                                        ox.QueryResultsFormat.XML)
        if isinstance(answer, (bool, ox.QueryBoolean)):
            return bool(answer)
        names = [v.value for v in answer.variables]
        # the parser is lazy: a bad row raises while the rows are read
        rows = [{n: to_rdflib(t) for n, t in zip(names, solution, strict=False)
                 if t is not None}
                for solution in answer]
    except (SyntaxError, ValueError) as exc:
        raise StoreError(f"the SPARQL server sent results that are not SPARQL XML: "
                         f"{exc}: {body[:200]!r}") from exc
    return names, rows


def _json_term(d: dict) -> Term:
    kind, value = d.get("type"), d.get("value", "")
    if kind == "uri":
        return URIRef(value)
    if kind == "bnode":
        return BNode(value.removeprefix("nodeID://"))
    if kind in ("literal", "typed-literal"):
        lang, dt = d.get("xml:lang"), d.get("datatype")
        if lang:
            return Literal(value, lang=lang)
        if dt == _XSD_BOOLEAN and value in ("1", "0"):
            # Virtuoso's JSON gives stored booleans as "1"/"0" (its N-Triples say
            # "true"/"false"); computed ones it gives as xsd:integer 1/0, not fixable here
            return Literal(value == "1")
        if dt and dt != _XSD_STRING:
            return Literal(value, datatype=URIRef(dt))
        return Literal(value)
    raise StoreError(f"unknown term type {kind!r} in SPARQL JSON results")


def _ox_triples(body: bytes) -> list[ox.Triple]:
    try:
        return [q.triple for q in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)]
    except SyntaxError as exc:
        raise StoreError(f"the SPARQL server sent N-Triples that do not parse: {exc}") from exc


def _parse_ntriples(body: bytes) -> list[tuple[Term, Term, Term]]:
    return [(to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object))
            for t in _ox_triples(body)]


def _cap(items: list, max_rows: int | None, capped: str | None) -> list:
    """Apply max_rows; a server-side cut the caller's cap does not explain is an error."""
    if capped and (max_rows is None or len(items) <= max_rows):
        raise ResultTooLarge(f"the SPARQL server cut the result at its row limit of "
                             f"{capped} (Virtuoso ResultSetMaxRows); add LIMIT or narrow "
                             "the query")
    return items if max_rows is None else items[:max_rows]


def _host(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")


def _reason(exc: BaseException) -> str:
    m = re.search(r"\[Errno -?\d+\] [^'\")]+", str(exc))
    if m:
        return m.group(0)
    m = re.search(r"Remote end closed connection without response|Connection aborted",
                  str(exc))
    return m.group(0) if m else type(exc).__name__


def _server_text(resp: requests.Response) -> str:
    text = resp.content[:500].decode("utf-8", "replace").strip()
    # Virtuoso echoes the whole query after its message; the message is enough.
    return text.split("\n\nSPARQL query:", 1)[0].strip() or resp.reason or ""
