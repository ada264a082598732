"""A listening socket on a free local port, for the tests that prove nothing connects."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def listening(timeout: float) -> Iterator[socket.socket]:
    """Listen on 127.0.0.1 at a free port; `accept` gives up after `timeout` seconds."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(5)
    sock.settimeout(timeout)
    try:
        yield sock
    finally:
        sock.close()
