"""Paths and helpers for the exchange tests (stores come from tests/kg/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.namespace import SH

DATA = Path(__file__).resolve().parents[2] / "data"
CORPORA = DATA / "corpora"
EXCHANGE = DATA / "exchange"
BASE = "https://test.meshkg.org/id/"


def shapes_graph(*files: Path) -> Graph:
    """Load SHACL files; drop sh:property links to shapes that are not defined (upstream
    DCAT-AP 3.0.1 names a few range shapes it never defines, which pySHACL refuses)."""
    g = Graph()
    for f in files:
        g.parse(f)
    for s, o in list(g.subject_objects(SH.property)):
        if g.value(o, SH.path) is None:
            g.remove((s, SH.property, o))
    return g


@pytest.fixture
def run(request):
    """Import some files with one importer through run_each; return the ImportReport."""
    from kg.exchange.common import run_each

    def go(store, func, paths, kind="test", **kw):
        return run_each(store, [Path(p) for p in paths], kind,
                        lambda p, rep: func(store, p, rep, base_iri=BASE, **kw))

    return go
