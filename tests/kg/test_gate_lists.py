"""Long rdf:Lists through the gate (issue 21, finding 10): a change deep inside a list is
a change of the resource owning the list, and the diff walks each chain once."""

from __future__ import annotations

import pyoxigraph as ox

from kg.gate import changed_iris


def _list_quads(n: int, changed_at: int | None = None) -> list:
    text = "@prefix ex: <http://example.org/> .\nex:s ex:items (" + " ".join(
        f'"item {i}{"!" if i == changed_at else ""}"' for i in range(n)) + ") ."
    return list(ox.parse(text.encode(), format=ox.RdfFormat.TURTLE,
                         rename_blank_nodes=True))


def test_a_change_deep_in_a_long_list_is_a_change_of_its_owner():
    """Owners were looked for 100 hops up only: item 5,000 belonged to no one, so the gate
    re-validated nothing when it changed."""
    assert changed_iris(_list_quads(10_000), _list_quads(10_000, changed_at=5_000)) == {
        "http://example.org/s"}


def test_the_last_item_of_a_100000_item_list_belongs_to_its_owner():
    old, new = _list_quads(100_000), _list_quads(100_000, changed_at=99_999)
    assert changed_iris(old, new) == {"http://example.org/s"}
