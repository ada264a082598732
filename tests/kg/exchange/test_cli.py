"""The exchange commands end to end, run as `python -m kg.cli` on an on-disk store."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import yaml

from .conftest import CORPORA, EXCHANGE


def meshkg(store, *args):
    """Run the meshkg command line against one store."""
    env = dict(os.environ, MESHKG_STORE=str(store))
    return subprocess.run([sys.executable, "-m", "kg.cli", *args], env=env,
                          capture_output=True, text=True, timeout=300)


def test_draft_import_and_exports(demo_store, tmp_path):
    path = demo_store.path
    demo_store.close()
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"PK\x03\x04")
    out = meshkg(path, "draft", str(EXCHANGE / "customers.csv"), str(bad))
    assert out.returncode == 2
    assert "imported" in out.stdout and "customers.csv" in out.stdout
    assert "FAILED" in out.stdout and "format mismatch" in out.stdout
    out = meshkg(path, "import", "dbt", "--json",
                 str(CORPORA / "dbt" / "jaffle_shop" / "target" / "manifest.json"))
    assert out.returncode == 0, out.stderr
    graph = json.loads(out.stdout)["sources"][0]["graph"]
    assert graph == "urn:meshkg:graph:import:dbt:jaffle-shop"
    out = meshkg(path, "export", "odcs", "customers")
    assert out.returncode == 2 and "names 2 products" in out.stderr
    out = meshkg(path, "export", "odcs", "model.jaffle_shop.customers")
    assert out.returncode == 0, out.stderr
    assert yaml.safe_load(out.stdout)["status"] == "draft"
    target = tmp_path / "catalog.ttl"
    out = meshkg(path, "export", "dcat-ap", "-o", str(target))
    assert out.returncode == 0 and b"dcat:Catalog" in target.read_bytes()
    out = meshkg(path, "export", "skos", "https://demo.meshkg.org/id/scheme/retail-parties")
    assert out.returncode == 0 and "skos:prefLabel" in out.stdout
    out = meshkg(path, "export", "skos", "https://example.org/none")
    assert out.returncode == 2 and "no concept scheme" in out.stderr
