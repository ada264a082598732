"""Fair shares of the query workers: each client runs a bounded number of queries at once.

The budgeted queries of the endpoint run in a small pool of worker processes
(kg.store.sandbox). Without a share per client, two clients repeating a runaway query
hold every worker and everyone else waits for their budgets. Here each client (its
steward token, else its address) may run `client_queries` budgeted queries at a time;
another one waits at most `queue_wait` seconds for one of its own to finish and is
then answered 503 with Retry-After (kg.errors.Busy), while other clients go on.
"""

from __future__ import annotations

import hashlib
import threading
from contextlib import contextmanager

from flask import request

from kg.errors import Busy
from webapp.auth import bearer_token, token_matches


class ClientLimiter:
    """Count each client's running queries and hold the ones over its share."""

    def __init__(self, per_client: int, wait: float, retry_after: float) -> None:
        self.per_client = max(1, per_client)
        self.wait = wait
        self.retry_after = retry_after
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
    (a made-up token is no new client: only a valid one counts)."""
    token = bearer_token(request.headers.get("Authorization"))
    if token is not None and token_matches(token, steward_tokens):
        return "token:" + hashlib.sha256(token.encode()).hexdigest()[:16]
    return "addr:" + (request.remote_addr or "?")
