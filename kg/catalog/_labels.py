"""Choose the label a reader sees, per language with a fallback.

The asked language, then its base language (de for de-CH), then English, then an
untagged literal, then any.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from rdflib import BNode, Literal
from rdflib.term import Node

from kg.catalog._query import _run_for
from kg.catalog.model import Ran, Ref
from kg.store.base import Store


def _lang_rank(lit: Literal, lang: str) -> tuple:
    tag = (lit.language or "").lower()
    want = lang.lower()
    if tag == want:
        return (0, str(lit))
    if tag and tag.split("-")[0] == want.split("-")[0]:
        return (1, str(lit))
    if tag == "en":
        return (2, str(lit))
    if not tag:
        return (3, str(lit))
    return (4, tag, str(lit))


def pick(labels: Iterable[Node], lang: str = "en") -> Literal | None:
    """Choose the label to show in a language, with the fallback order above."""
    lits = [x for x in labels if isinstance(x, Literal)]
    if not lits:
        return None
    return min(lits, key=lambda lit: _lang_rank(lit, lang))


def pick_ranked(labels: Iterable[tuple[int, Node]], lang: str = "en") -> Literal | None:
    """Choose among labels given by several properties, each with its rank (0 first):
    the reader's language first, as `pick` orders them, then the property's rank."""
    lits = [(rank, x) for rank, x in labels if isinstance(x, Literal)]
    if not lits:
        return None

    def key(item: tuple[int, Literal]) -> tuple:
        order = _lang_rank(item[1], lang)
        return (order[0], item[0], *order[1:])

    return min(lits, key=key)[1]


def local_name(iri: str) -> str:
    """Return the last path or fragment segment of an IRI, as a label of last resort."""
    for sep in ("#", "/", ":"):
        head, _, tail = iri.rstrip("/#").rpartition(sep)
        if head and tail:
            return tail
    return iri


def _name(term: Node) -> str:
    return f"_:{term}" if isinstance(term, BNode) else str(term)


class _Labels:
    """Collect candidate labels per resource while reading rows; pick one at the end."""

    def __init__(self, lang: str):
        self.lang = lang
        self._by: dict[str, set[tuple[int, Literal]]] = defaultdict(set)

    def add(self, term: Node | None, label: Node | None, rank: int = 0) -> None:
        """Note a candidate label of a resource, given by a property of that rank (0
        first; see `pick_ranked`); a non-literal is ignored."""
        if term is not None and isinstance(label, Literal):
            self._by[_name(term)].add((rank, label))

    def ref(self, term: Node | str) -> Ref:
        """Return the resource with its best label, else its local name."""
        key = _name(term) if isinstance(term, Node) else term
        best = pick_ranked(self._by.get(key, ()), self.lang)
        if best is None:
            return Ref(key, local_name(key))
        return Ref(key, str(best), best.language)


def _unique(refs: Iterable[Ref]) -> list[Ref]:
    seen, out = set(), []
    for r in refs:
        if r.iri not in seen:
            seen.add(r.iri)
            out.append(r)
    return sorted(out, key=lambda r: (r.label.lower(), r.iri))


def _names(store: Store, iris: Iterable[str], lang: str) -> tuple[_Labels, Ran | None]:
    """Read the names of some resources (preferred label, else rdfs:label)."""
    names = _Labels(lang)
    iris = sorted(set(iris))
    if not iris:
        return names, None
    res, ran = _run_for(store, "catalog_labels", "iri", iris)
    for row in res.rows:
        names.add(row["iri"], row.get("label"))
    return names, ran
