"""Answers kept per store until it is written to, so that pages and searches re-read nothing.

The answers live on the store object itself (one dict in its `__dict__`), so they go
with the store: nothing is kept at module level, and two stores never share an answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from kg.store.base import Store

T = TypeVar("T")
_ATTR = "_catalog_kept"  # the store attribute holding {None: generation, key: answer}
_KEPT_MAX = 4096  # answers kept per store; past it they are all let go


def _kept(store: Store, key: tuple, compute: Callable[[], T]) -> T:
    """Return compute()'s answer, kept per store until the store is written to.

    The store's write counter (`generation`) tells; a store without one (a shared
    SPARQL server others write to) keeps nothing. The counter is read before
    computing, so an answer computed across a write is let go with its generation.
    Answers are shared between requests: callers must not change them.
    """
    generation = getattr(store, "generation", None)
    if generation is None:
        return compute()
    kept = vars(store).get(_ATTR)
    if kept is None or kept.get(None) != generation:
        kept = {None: generation}
        setattr(store, _ATTR, kept)
    if key not in kept:
        if len(kept) > _KEPT_MAX:
            kept.clear()
            kept[None] = generation
        kept[key] = compute()
    return kept[key]
