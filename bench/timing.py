"""Timing helpers for the worker processes: p50 of repeated runs, budgets, memory."""

from __future__ import annotations

import resource
import signal
import statistics
import time
from collections.abc import Callable
from contextlib import contextmanager

#: seconds a single timed call may take before the worker gives up (set by the worker)
BUDGET: float = 300.0
_SETUP_RSS_MB: list[float] = []


class BudgetExceeded(Exception):
    """The timed call ran past the budget."""


def rss_mb() -> float:
    """Return the resident set size of this process now, in MB."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 1e6


def peak_mb() -> float:
    """Return the peak resident set size of this process, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


def mark_setup() -> None:
    """Remember the memory held once setup (parsing, opening the store) is done."""
    _SETUP_RSS_MB.append(rss_mb())


def setup_mb() -> float | None:
    """Return the memory held after setup, if marked."""
    return _SETUP_RSS_MB[0] if _SETUP_RSS_MB else None


def _alarm(signum, frame):
    raise BudgetExceeded


@contextmanager
def budget_alarm(seconds: float | None = None):
    """Interrupt a pure-Python call (pySHACL, owlrl) that runs past the budget."""
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds or BUDGET)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def p50(fn: Callable[[], int], runs: int, budget: float) -> dict:
    """Run fn up to `runs` times (at least 3, stopping after `budget` seconds); return p50."""
    fn()  # warm-up: caches, query parsing
    times, rows = [], 0
    start = time.perf_counter()
    while len(times) < runs and (len(times) < 3 or time.perf_counter() - start < budget):
        t0 = time.perf_counter()
        rows = fn()
        times.append(time.perf_counter() - t0)
    return {"seconds": statistics.median(times),
            "detail": f"p50 of {len(times)} runs, {rows:,} rows"}
