"""HTTP to one SPARQL server: a session per server, every answer read whole before its
deadline, status codes turned into kg.errors, and which server family answers.

`HttpClient` is a part of RemoteStore (kg.store.remote.server), which sets the
attributes it reads: query_url, update_url, timeout, _session, _dialect, _names.
"""

from __future__ import annotations

import http.client
import time
from collections.abc import Sequence
from urllib.parse import urlencode, urlsplit

import requests

from kg.errors import QuerySyntaxError, QueryTimeout, RemoteTimeout, ResultTooLarge, StoreError
from kg.store.remote.answers import (
    JSON_RESULTS,
    NTRIPLES,
    XML_RESULTS,
    failure_reason,
    parse_results,
    server_host,
    server_text,
)
from kg.store.result import Term

_FORM = "application/x-www-form-urlencoded; charset=utf-8"
_CONNECT_TIMEOUT = 5.0


#: How each server is made to read the default graph as the union of all named graphs.
DIALECTS = ("virtuoso", "oxigraph", "fuseki", "generic")


# Virtuoso echoes every graph of a request's dataset as a response header
# (X-SPARQL-default-graph, X-SPARQL-named-graph); Python's http.client refuses an
# answer with more than 100 headers, so a store of ~100 graphs could not be read.
http.client._MAXHEADERS = max(getattr(http.client, "_MAXHEADERS", 100), 1_000_000)


class BearerAuth(requests.auth.AuthBase):
    """Send a bearer token with every request."""

    def __init__(self, token: str):
        self.token = token

    def __call__(self, r):
        r.headers["Authorization"] = f"Bearer {self.token}"
        return r


class ServerSession(requests.Session):
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


class HttpClient:
    """Requests to the server's query and update endpoints (a part of RemoteStore)."""

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
                    raise slow(f"{server_host(url)} did not answer within {limit:g} s")
            resp._content = b"".join(chunks)
        except requests.exceptions.ConnectTimeout as exc:
            raise StoreError(f"cannot connect to the SPARQL server {server_host(url)} "
                             f"within {min(_CONNECT_TIMEOUT, limit):g} s") from exc
        except requests.exceptions.RequestException as exc:
            if (isinstance(exc, requests.exceptions.ReadTimeout)
                    or time.monotonic() - start >= limit):
                raise slow(f"{server_host(url)} did not answer within {limit:g} s") from exc
            raise StoreError(f"cannot reach the SPARQL server {server_host(url)}: "
                             f"{failure_reason(exc)}") from exc
        self._check_status(resp, url)
        if resp.headers.get("X-SQL-State") == "S1TAT":
            # Virtuoso's answer to a query stopped at a time limit: 200 with whatever
            # rows it had, marked only by this header; never a result
            raise slow(f"{server_host(url)} stopped the query at its time limit and sent an "
                       "incomplete answer (Virtuoso X-SQL-State S1TAT)")
        return resp

    def _check_status(self, resp: requests.Response, url: str) -> None:
        if resp.status_code == 206:
            # Virtuoso's "anytime" answer: a partial result at a time or row limit.
            raise ResultTooLarge(f"{server_host(url)} answered with a partial result (206): its "
                                 "row or time limit was reached; narrow the query or add "
                                 "LIMIT")
        if resp.status_code < 300:
            return
        text = server_text(resp)
        if resp.status_code == 400:
            raise QuerySyntaxError("the SPARQL server refused the request as malformed "
                                   f"(a syntax error or a feature it lacks): {text}")
        if resp.status_code in (401, 403):
            raise StoreError(f"{server_host(url)} refused the credentials "
                             f"({resp.status_code}): {text}")
        raise StoreError(f"{server_host(url)} failed ({resp.status_code}): {text}")

    @property
    def dialect(self) -> str:
        """The server family, from the setting or from the Server header of one request."""
        if self._dialect is None:
            resp = self._send("GET", self.query_url, params={"query": "ASK {}"},
                              headers={"Accept": JSON_RESULTS})
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

    def _post_query(self, text: str, form: str, *, dataset: Sequence[tuple[str, str]] = (),
                    timeout: float | None = None, budget: bool = False):
        if form in ("CONSTRUCT", "DESCRIBE"):
            accept = NTRIPLES
        elif self.dialect == "virtuoso":
            # Virtuoso writes SPARQL XML results 4x faster than JSON (10,000 products,
            # 174 rows: 3.0 against 11.8 ms), and its XML says booleans as true/false
            accept = XML_RESULTS
        else:
            accept = JSON_RESULTS
        # Form-encoded POST: Virtuoso never answers a direct application/sparql-query POST.
        body = [("query", text), *dataset]
        if self.dialect == "virtuoso":
            # Virtuoso stops the query itself at this deadline (an "anytime" query), so
            # a query meshkg gave up on does not keep running on the server.
            limit = self.timeout if timeout is None else min(timeout, self.timeout)
            body.append(("timeout", str(max(int(limit * 1000), 1))))
        return self._send("POST", self.query_url, data=_form(body), timeout=timeout,
                          budget=budget, headers={"Accept": accept, "Content-Type": _FORM})

    def _select(self, text: str) -> list[dict[str, Term]]:
        resp = self._post_query(text, "SELECT")
        if resp.headers.get("X-SPARQL-MaxRows"):
            raise ResultTooLarge(f"{server_host(self.query_url)} cut an internal query at its row "
                                 f"limit of {resp.headers['X-SPARQL-MaxRows']}")
        answer = parse_results(resp)
        return [] if isinstance(answer, bool) else answer[1]

    def _post_update(self, text: str, timeout: float | None = None) -> None:
        self._send("POST", self.update_url, data=_form([("update", text)]), timeout=timeout,
                   headers={"Content-Type": _FORM})


def _form(pairs: list[tuple[str, str]]) -> bytes:
    """A form-encoded request body."""
    return urlencode(pairs).encode("ascii")
