"""kg.resources: the top-level Turtle is found in the checkout and in an installed wheel."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg import resources

ROOT = Path(__file__).resolve().parents[2]
FILES = {resources.ontology_file: "ontology/meshkg.ttl",
         resources.shapes_file: "shapes/meshkg-shapes.ttl",
         resources.rules_file: "rules/builtin.ttl"}


@pytest.mark.parametrize("find", FILES, ids=FILES.values())
def test_a_checkout_reads_the_top_level_folders(find):
    assert find() == ROOT / FILES[find]


@pytest.mark.parametrize("find", FILES, ids=FILES.values())
def test_a_packaged_copy_comes_first(find, tmp_path, monkeypatch):
    copy = tmp_path / "_toplevel" / FILES[find]
    copy.parent.mkdir(parents=True)
    copy.write_text("", "utf-8")
    monkeypatch.setattr(resources, "PACKAGED", tmp_path / "_toplevel")
    assert find() == copy


def test_without_either_the_packaged_path_is_named(tmp_path, monkeypatch):
    monkeypatch.setattr(resources, "PACKAGED", tmp_path / "site-packages" / "kg" / "_toplevel")
    monkeypatch.setattr(resources, "CHECKOUT", tmp_path / "site-packages")
    assert resources.ontology_file() == resources.PACKAGED / "ontology" / "meshkg.ttl"
