"""After a stop between a write's commit and its inference, the next open finishes
(issue 21, finding 11): a gated write marks the graphs it changed in the same atomic
write, inference unmarks them, and opening the store derives what is left marked."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kg import gate
from kg.config import Settings
from kg.inference import instance_graph, recover
from kg.loading import parse_file
from kg.store.oxigraph import OxigraphStore
from kg.store.sandbox import close_sandbox
from webapp import create_app

PRODUCT = Path(__file__).resolve().parents[1] / "data" / "core" / "product-ok.ttl"
WEB_ORDERS = "https://example.org/id/web-orders"


@pytest.fixture
def stopped_after_commit(_vocab_template, tmp_path):
    """A store whose last load committed its data and stopped before inference."""
    path, _ = _vocab_template
    shutil.copytree(path, tmp_path / "store")
    store = OxigraphStore(tmp_path / "store")
    parsed = parse_file(PRODUCT)
    gate.write(store, replace={parsed.graph: parsed.quads})  # the commit, then the kill
    close_sandbox(store)
    store.close()
    return tmp_path / "store"


def _entailed(store) -> bool:
    """Whether the product's source has its entailments (kg.inference.instance_graph)."""
    return store.has_graph(instance_graph(parse_file(PRODUCT).graph))


def test_open_derives_what_a_stopped_load_left_underived(stopped_after_commit):
    store = OxigraphStore(stopped_after_commit)
    try:
        assert not _entailed(store)  # the product is about Online sale, below Sale
        report = recover(store)
        assert report is not None and _entailed(store)
        assert recover(store) is None  # nothing left to do the second time
    finally:
        store.close()


def test_the_browser_finds_the_product_after_the_stop(stopped_after_commit):
    app = create_app(Settings(store=str(stopped_after_commit), load_demo=False))
    client = app.test_client()
    hits = client.get("/search?q=sale&format=json").get_json()
    assert WEB_ORDERS in str(hits)
    store = app.extensions["meshkg.store"]
    close_sandbox(store)
    store.close()


def test_a_write_followed_by_its_inference_leaves_no_mark(_vocab_template, tmp_path):
    path, _ = _vocab_template
    shutil.copytree(path, tmp_path / "store")
    store = OxigraphStore(tmp_path / "store")
    try:
        from kg.sources import write_parsed
        write_parsed(store, [parse_file(PRODUCT)])
        assert recover(store) is None
    finally:
        store.close()
