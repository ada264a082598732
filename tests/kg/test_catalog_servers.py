"""The catalog read API on each SPARQL server: every test of test_catalog.py that reads
its demo-and-mini-mesh `store`, run unchanged over the same data restored on the server.

The tests are imported, not copied; pytest collects them here with this module's `store`.
The Unified Astronomy Thesaurus tests time the embedded store and stay there.
"""

from __future__ import annotations

import inspect

import pytest

from kg.inference import infer
from kg.loading import parse_file
from tests.conftest import SERVER_BACKENDS, server_with
from tests.kg import test_catalog

globals().update({name: test for name, test in vars(test_catalog).items()
                  if name.startswith("test_") and callable(test)
                  and "store" in inspect.signature(test).parameters})


@pytest.fixture(scope="module", params=SERVER_BACKENDS)
def store(request, _demo_template):
    """test_catalog's store on one server: the demo mesh, then the tiny hostile mesh
    written and inferred (the tests only read it)."""
    _, dump = _demo_template
    mini = parse_file(test_catalog.DATA / "catalog" / "mini-mesh.ttl",
                      graph="urn:test:mini-mesh")
    s = server_with(request.param, "demo", dump)
    s.write_quads({"urn:test:mini-mesh": mini.quads})
    infer(s, changed=["urn:test:mini-mesh"])
    yield s
    s.close()
