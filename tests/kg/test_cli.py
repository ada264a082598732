"""Each CLI command end to end on a real on-disk store, run as the installed `meshkg`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).parent.parent / "data"
GOOD = DATA / "core" / "product-ok.ttl"
NO_OWNER = DATA / "core" / "product-no-owner.ttl"
PRODUCT = "https://example.org/id/web-orders"


def meshkg(store: Path, *args: str, check: bool = False) -> subprocess.CompletedProcess:
    """Run the meshkg command line against one store."""
    env = dict(os.environ, MESHKG_STORE=str(store))
    proc = subprocess.run([sys.executable, "-m", "kg.cli", *args], env=env,
                          capture_output=True, text=True, timeout=300)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture
def store(vocab_store):
    path = vocab_store.path
    vocab_store.close()
    meshkg(path, "load", str(GOOD), check=True)
    return path


def test_load_reports_triples_and_validation(store):
    out = meshkg(store, "graphs", check=True).stdout
    assert GOOD.resolve().as_uri() in out
    assert "urn:meshkg:graph:inferred:schema" in out


@pytest.mark.contract
def test_load_refuses_a_shape_violation_with_exit_1_and_keeps_the_store(store):
    before = meshkg(store, "export", "--format", "nquads", check=True).stdout
    proc = meshkg(store, "load", str(NO_OWNER), "--graph", GOOD.resolve().as_uri())
    assert proc.returncode == 1
    assert "DataProductShape-owner" in proc.stderr
    assert PRODUCT in proc.stderr
    after = meshkg(store, "export", "--format", "nquads", check=True).stdout
    assert sorted(before.splitlines()) == sorted(after.splitlines())


def test_load_malformed_file_exits_2_naming_file_and_line(store):
    proc = meshkg(store, "load", str(DATA / "hostile" / "bad-last-line.ttl"))
    assert proc.returncode == 2
    assert "bad-last-line.ttl:3" in proc.stderr


def test_validate_conforming_store_exits_0(store):
    proc = meshkg(store, "validate", check=True)
    assert "Conforms" in proc.stdout


def test_validate_json_and_turtle_formats(store):
    data = json.loads(meshkg(store, "validate", "--format", "json", check=True).stdout)
    assert data["conforms"] is True and data["warnings"] >= 1
    ttl = meshkg(store, "validate", "--format", "turtle", check=True).stdout
    assert "sh:ValidationReport" in ttl


def test_validate_one_product_reports_its_violation(store):
    meshkg(store, "load", "--no-validate", str(NO_OWNER), "--graph",
           GOOD.resolve().as_uri(), check=True)
    proc = meshkg(store, "validate", "--product", PRODUCT)
    assert proc.returncode == 1
    assert "exactly one accountable owner" in proc.stdout


@pytest.mark.parametrize("product, message", [
    ("https://example.org/id/nothing", "unknown resource"),
    ("not an iri", "not an IRI"),
], ids=["unknown-product", "not-an-iri"])
def test_validate_of_a_product_it_cannot_name_is_a_usage_error(store, product, message):
    proc = meshkg(store, "validate", "--product", product)
    assert proc.returncode == 2
    assert message in proc.stderr


def test_validate_bad_option_is_usage_error(store):
    assert meshkg(store, "validate", "--format", "yaml").returncode == 2


def test_query_formats(store):
    q = ("PREFIX skos: <http://www.w3.org/2004/02/skos/core#> SELECT ?b WHERE "
         "{ <https://example.org/id/online-sale> skos:broaderTransitive ?b }")
    assert "https://example.org/id/sale" in meshkg(store, "query", q, check=True).stdout
    data = json.loads(meshkg(store, "query", q, "--format", "json", check=True).stdout)
    assert data["results"]["bindings"][0]["b"]["value"] == "https://example.org/id/sale"
    csv = meshkg(store, "query", q, "--format", "csv", check=True).stdout
    assert csv.splitlines()[0] == "b"


def test_query_from_file_and_construct_as_turtle(store, tmp_path):
    f = tmp_path / "q.rq"
    f.write_text(f"CONSTRUCT {{ <{PRODUCT}> ?p ?o }} WHERE {{ <{PRODUCT}> ?p ?o }}")
    out = meshkg(store, "query", "-f", str(f), "--format", "turtle", check=True).stdout
    assert "Web orders" in out


@pytest.mark.parametrize("query, words", [
    ("SELECT * { ?s ?p }", "syntax"),
    ("SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", "SERVICE"),
    ("SELECT * FROM <file:///etc/passwd> { ?s ?p ?o }", "no such graph"),
])
def test_query_errors_exit_2(store, query, words):
    proc = meshkg(store, "query", query)
    assert proc.returncode == 2
    assert words in proc.stderr


@pytest.mark.parametrize("fmt, marker", [("trig", "{"), ("nquads", "<"), ("jsonld", "@id")])
def test_export_formats(store, fmt, marker):
    assert marker in meshkg(store, "export", "--format", fmt, check=True).stdout


def test_export_one_graph_as_turtle_to_file(store, tmp_path):
    out = tmp_path / "g.ttl"
    meshkg(store, "export", "--format", "turtle", "--graph", GOOD.resolve().as_uri(),
           "-o", str(out), check=True)
    assert "Web orders" in out.read_text()


def test_export_of_the_whole_store_to_a_file_is_the_dataset_stdout_gets(store, tmp_path):
    out = tmp_path / "all.nq"
    proc = meshkg(store, "export", "--format", "nquads", "-o", str(out), check=True)
    assert f"bytes to {out}" in proc.stderr
    printed = meshkg(store, "export", "--format", "nquads", check=True).stdout
    assert sorted(out.read_text().splitlines()) == sorted(printed.splitlines())
    assert GOOD.resolve().as_uri() in printed and not (tmp_path / "all.nq.part").exists()


def test_export_unknown_graph_exits_2(store):
    assert meshkg(store, "export", "--graph", "urn:nothing").returncode == 2


def test_stats_counts(store):
    data = json.loads(meshkg(store, "stats", "--json", check=True).stdout)
    assert data["products"] == 1 and data["domains"] == 1 and data["concepts"] == 2
    assert data["last_validation"] is not None


@pytest.mark.contract
def test_drop_removes_what_one_source_brought(store):
    g = GOOD.resolve().as_uri()
    meshkg(store, "drop", g, check=True)
    assert g not in meshkg(store, "graphs", check=True).stdout
    data = json.loads(meshkg(store, "stats", "--json", check=True).stdout)
    assert data["products"] == 0


def test_second_process_is_told_the_store_is_in_use(store):
    from kg.store.oxigraph import OxigraphStore
    holder = OxigraphStore(store)
    try:
        proc = meshkg(store, "stats")
        assert proc.returncode != 0
        assert "in use" in proc.stderr
    finally:
        holder.close()


def test_load_of_a_folder_stays_quiet_when_piped(store, tmp_path):
    """The progress bar is for terminals: piped output has no bar and no escape codes."""
    for i in range(3):
        (tmp_path / f"extra-{i}.ttl").write_text(
            f"<http://example.org/x{i}> <http://example.org/p> {i} .\n")
    proc = meshkg(store, "load", str(tmp_path), check=True)
    assert "\x1b[" not in proc.stderr + proc.stdout
    assert proc.stdout.count("loaded ") == 3



def test_export_to_an_unwritable_path_is_a_usage_error(store, tmp_path):
    proc = meshkg(store, "export", "-o", str(tmp_path / "no" / "such" / "dir.trig"))
    assert proc.returncode == 2
    assert "cannot write" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("graph", ["urn:meshkg:graph:meta", "urn:meshkg:graph:inferred:schema",
                                   "urn:meshkg:graph:vocab:skos-core"])
def test_drop_refuses_meshkg_own_graphs(store, graph):
    proc = meshkg(store, "drop", graph)
    assert proc.returncode == 2
    assert "kept by meshkg itself" in proc.stderr
    assert graph in meshkg(store, "graphs", check=True).stdout


@pytest.mark.parametrize("query, fmt", [
    ("SELECT * { ?s ?p ?o } LIMIT 1", "turtle"),
    ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 1", "csv"),
])
def test_query_format_that_does_not_fit_the_result_is_a_usage_error(store, query, fmt):
    proc = meshkg(store, "query", query, "--format", fmt)
    assert proc.returncode == 2
    assert "does not fit" in proc.stderr
