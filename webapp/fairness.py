"""Fair shares of the query workers: each client runs a bounded number of queries at once.

The budgeted queries of the endpoint run in a small pool of worker processes
(kg.store.sandbox). Without a share per client, two clients repeating a runaway query
hold every worker and everyone else waits for their budgets. Here each client (its
steward token, else its address) may run `client_queries` budgeted queries at a time;
another one waits at most `queue_wait` seconds for one of its own to finish and is
then answered 503 with Retry-After (kg.errors.Busy), while other clients go on.

Behind a reverse proxy every request comes from the proxy's address. The proxies named
in the `trusted_proxies` setting (addresses or CIDR networks) are believed about who
their client is: the rightmost hop of `X-Forwarded-For` (or, where a request carries
none, of `Forwarded: for=`) that is not itself a trusted proxy. From any other peer
these headers are ignored, so a client cannot choose its identity. (werkzeug's
ProxyFix trusts a fixed number of hops from whichever peer connects; this trusts named
peers only, which is why the few lines below are written here.)
"""

from __future__ import annotations

import hashlib
import ipaddress
import threading
from collections.abc import Iterable, Sequence
from contextlib import contextmanager

from flask import current_app, request

from kg.errors import Busy, UsageError
from webapp.auth import bearer_token, token_matches

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class ClientLimiter:
    """Count each client's running queries and hold the ones over its share."""

    def __init__(self, per_client: int, wait: float, retry_after: float,
                 trusted_proxies: Iterable[str] = ()) -> None:
        self.per_client = max(1, per_client)
        self.wait = wait
        self.retry_after = retry_after
        self.trusted_proxies = trusted_networks(trusted_proxies)
        self._cond = threading.Condition()
        self._running: dict[str, int] = {}

    @contextmanager
    def slot(self, client: str):
        """Hold one of `client`'s slots for a block, or raise Busy after the wait."""
        with self._cond:
            if not self._cond.wait_for(
                    lambda: self._running.get(client, 0) < self.per_client, self.wait):
                raise Busy(f"this client already runs {self.per_client} "
                           f"quer{'y' if self.per_client == 1 else 'ies'} at once "
                           "(client_queries); wait for the answer before asking again",
                           retry_after=self.retry_after)
            self._running[client] = self._running.get(client, 0) + 1
        try:
            yield
        finally:
            with self._cond:
                left = self._running[client] - 1
                if left:
                    self._running[client] = left
                else:
                    del self._running[client]
                self._cond.notify_all()


def client_id(steward_tokens: tuple[str, ...] = ()) -> str:
    """Name the client of this request: its steward token (hashed), else its address
    (a made-up token is no new client: only a valid one counts); behind a trusted proxy
    the address is the one the proxy forwarded for."""
    token = bearer_token(request.headers.get("Authorization"))
    if token is not None and token_matches(token, steward_tokens):
        return "token:" + hashlib.sha256(token.encode()).hexdigest()[:16]
    limiter = current_app.extensions.get("meshkg.limiter")
    proxies = limiter.trusted_proxies if limiter is not None else ()
    return "addr:" + client_address(request.remote_addr, request.headers, proxies)


def trusted_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """Parse the `trusted_proxies` setting (addresses, CIDR networks), or raise UsageError."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise UsageError(f"setting 'trusted_proxies' has an invalid entry {entry!r}: "
                             "give IP addresses or CIDR networks, such as "
                             "127.0.0.1,10.0.0.0/8") from None
    return tuple(networks)


def client_address(peer: str | None, headers, proxies: Sequence[Network]) -> str:
    """Return the address of the client: the peer itself, or, when the peer is a trusted
    proxy, the rightmost forwarded hop that is not a trusted proxy (the leftmost hop when
    all of them are)."""
    peer_address = _address(peer or "")
    if peer_address is None or not _is_trusted(peer_address, proxies):
        return str(peer_address or peer or "?")
    hops = _forwarded_hops(headers)
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:  # "unknown" or an obfuscated name: what the proxy tells
            return hop.strip().strip('"')[:64] or "?"
        if not _is_trusted(address, proxies):
            return str(address)
    return str(_address(hops[0])) if hops else str(peer_address)


def _forwarded_hops(headers) -> list[str]:
    """Return the forwarded hops, the client first: X-Forwarded-For, else Forwarded's for=.

    Values are split on every comma, quoted or not: a proxy appends its own hop after
    a comma, so an unbalanced quote a client sends cannot swallow it."""
    forwarded_for = [hop for value in headers.getlist("X-Forwarded-For")
                     for hop in value.split(",") if hop.strip()]
    if forwarded_for:
        return forwarded_for
    hops = []
    for value in headers.getlist("Forwarded"):
        for element in value.split(","):
            for pair in element.split(";"):
                key, sep, hop = pair.partition("=")
                if sep and key.strip().lower() == "for" and hop.strip():
                    hops.append(hop)
    return hops


def _address(text: str) -> Address | None:
    """Parse a hop as proxies write it (`192.0.2.7`, `192.0.2.7:4711`, `2001:db8::7`,
    `"[2001:db8::7]:4711"`), an IPv4-mapped IPv6 address as IPv4; None if it is none."""
    text = text.strip().strip('"').strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_trusted(address: Address, proxies: Sequence[Network]) -> bool:
    return any(address in network for network in proxies)
