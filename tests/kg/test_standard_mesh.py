"""A data mesh written by another tool, in plain DPROD, DCAT, SKOS, DPV, ODRL, FOAF and
vCard (tests/data/standard/mesh.ttl: no meshkg term at all), goes through the gate with
no false Violation; the gate and `meshkg validate` give the same answer; the real
governance problems are refused, naming the products; the rest is a documented setting.

Run as a steward runs it: the `meshkg` command line on an on-disk store."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

MESH = Path(__file__).parent.parent / "data" / "standard" / "mesh.ttl"
EX = "https://data.example.org/"


def meshkg(store: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full = dict(os.environ, MESHKG_STORE=str(store), **(env or {}))
    return subprocess.run([sys.executable, "-m", "kg.cli", *args], env=full,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def store(vocab_store):
    path = vocab_store.path
    vocab_store.close()
    return path


def _variant(tmp_path: Path, name: str, *edits: tuple[str, str]) -> Path:
    text = MESH.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    out = tmp_path / name
    out.write_text(text, encoding="utf-8")
    return out


def _validate(store: Path) -> dict:
    proc = meshkg(store, "validate", "--format", "json")
    return json.loads(proc.stdout)


def _stats(store: Path) -> dict[str, str]:
    out = meshkg(store, "stats").stdout
    return {m.group(1): m.group(2) for m in re.finditer(r"^(\w[\w ]*?)\s{2,}(\S+)", out, re.M)}


def test_a_standard_mesh_loads_with_no_violation_and_validate_agrees(store):
    proc = meshkg(store, "load", str(MESH))
    assert proc.returncode == 0, proc.stderr
    assert "0 violations" in proc.stdout
    report = _validate(store)
    assert report["violations"] == 0, [r for r in report["results"]
                                       if r["severity"] == "Violation"]
    stats = _stats(store)
    # two products; both domains count although neither is a mesh:DataDomain
    assert (stats["products"], stats["domains"]) == ("2", "2")


def test_an_ownerless_product_and_unprotected_personal_data_are_refused_by_name(store, tmp_path):
    bad = _variant(tmp_path, "bad-mesh.ttl",
                   ("  dprod:dataProductOwner ex:sales-team ;\n", ""),
                   ("  odrl:hasPolicy ex:customers-policy .", "  dct:conformsTo ex:nothing ."))
    proc = meshkg(store, "load", str(bad))
    assert proc.returncode == 1
    first = proc.stderr.splitlines()[0]
    assert "refused" in first and "nothing was written" in first
    refusing = re.findall(r"^Violation \(refuses\) (\S+)\n.*\n\s+shape: (\S+)", proc.stderr, re.M)
    assert {focus for focus, _ in refusing} == {EX + "store-sales", EX + "customers"}
    assert {shape.rsplit("#", 1)[1] for _, shape in refusing} == {
        "DataProductShape-owner", "PersonalDataPolicyShape"}
    assert _stats(store)["products"] == "0"  # nothing of the file was written


@pytest.mark.parametrize("policy_type", [
    "odrl:Set", "odrl:Offer", "odrl:Agreement", "odrl:Policy",
    "<https://www.omg.org/spec/DPROD/DataContract>", "<https://www.omg.org/spec/DPROD/DataOffer>",
])
def test_every_kind_of_odrl_policy_passes_the_gate_and_validate_alike(store, tmp_path, policy_type):
    data = _variant(tmp_path, "mesh.ttl", ("ex:customers-policy a odrl:Offer ;",
                                           f"ex:customers-policy a {policy_type} ;"))
    proc = meshkg(store, "load", str(data))
    assert proc.returncode == 0, proc.stderr
    assert _validate(store)["violations"] == 0


def test_a_policy_of_no_odrl_kind_is_refused_by_the_gate_and_flagged_by_validate(store, tmp_path):
    data = _variant(tmp_path, "mesh.ttl",
                    ("ex:customers-policy a odrl:Offer ;", "ex:customers-policy a ex:Memo ;"))
    proc = meshkg(store, "load", str(data))
    assert proc.returncode == 1
    assert "DataProductShape-policy" in proc.stderr and EX + "customers" in proc.stderr
    # written anyway, validate names the same finding: the two agree
    assert meshkg(store, "load", "--no-validate", str(data)).returncode == 0
    shapes = {(r["focus"], r["shape"].rsplit("#", 1)[1]) for r in _validate(store)["results"]
              if r["severity"] == "Violation"}
    assert (EX + "customers", "DataProductShape-policy") in shapes


def test_other_violations_are_stored_as_findings_unless_the_gate_is_strict(store, tmp_path):
    data = _variant(tmp_path, "mesh.ttl", (
        '  dct:description "Every till receipt from our physical stores, by day and store."@en ;\n',
        ""))
    strict = meshkg(store, "load", str(data), env={"MESHKG_GATE": "strict"})
    assert strict.returncode == 1
    assert "DataProductShape-description" in strict.stderr
    assert _stats(store)["products"] == "0"

    default = meshkg(store, "load", str(data))
    assert default.returncode == 0, default.stderr
    assert "1 violation" in default.stdout
    found = [(r["focus"], r["shape"].rsplit("#", 1)[1]) for r in _validate(store)["results"]
             if r["severity"] == "Violation"]
    assert found == [(EX + "store-sales", "DataProductShape-description")]


def test_the_refuse_setting_names_the_shapes_that_refuse(store, tmp_path):
    data = _variant(tmp_path, "mesh.ttl", (
        '  dct:description "Every till receipt from our physical stores, by day and store."@en ;\n',
        ""))
    proc = meshkg(store, "load", str(data),
                  env={"MESHKG_REFUSE": "DataProductShape-description"})
    assert proc.returncode == 1
    assert "mesh:DataProductShape-description" in proc.stderr.splitlines()[0]


def test_dprod_lifecycle_statuses_are_accepted_and_a_free_text_status_is_flagged(store, tmp_path):
    data = _variant(tmp_path, "mesh.ttl", (
        "  dprod:lifecycleStatus <https://ekgf.github.io/dprod/data/lifecycle-status/Build> ;",
        '  dprod:lifecycleStatus "in the works" ;'))
    assert meshkg(store, "load", str(data)).returncode == 0
    found = {(r["focus"], r["shape"].rsplit("#", 1)[1]) for r in _validate(store)["results"]
             if r["severity"] == "Violation"}
    assert found == {(EX + "customers", "DataProductShape-lifecycleStatus")}


def test_validating_with_dprods_shapes_reports_but_keeps_what_the_pages_show(store):
    """DPROD's own shapes ask for xsd:string labels, so `--dprod` flags language-tagged
    ones; that run is a report: the findings the pages and `stats` read stay meshkg's."""
    assert meshkg(store, "load", str(MESH)).returncode == 0
    assert _stats(store)["resources failing"] == "0"
    dprod = meshkg(store, "validate", "--dprod")
    assert dprod.returncode == 1 and "DataProduct-label" in dprod.stdout
    assert _stats(store)["resources failing"] == "0"


def test_an_ill_typed_literal_in_a_vocabulary_prints_no_traceback(store):
    """Skosmos' test-hierarchy.ttl holds "1986-21-00"^^xsd:date on purpose: it loads, kept
    as written, and the steward reads meshkg's report, not rdflib's tracebacks."""
    path = (Path(__file__).parent.parent / "data" / "corpora" / "skos-schemes" / "skosmos"
            / "test-hierarchy.ttl")
    proc = meshkg(store, "load", str(path))
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "Failed to convert" not in proc.stderr
    assert "Traceback" not in meshkg(store, "validate").stderr


def test_load_counts_the_triples_a_graph_holds_not_those_the_file_repeats(store):
    """UAT's RDF/XML states 760 of its triples twice: meshkg load says what the graph holds."""
    uat = Path(__file__).parent.parent / "data" / "corpora" / "uat" / "UAT.rdf"
    proc = meshkg(store, "load", str(uat))
    assert proc.returncode == 0, proc.stderr
    said = int(re.search(r"loaded (\d+) triples", proc.stdout).group(1))
    held = json.loads(meshkg(store, "query", "--format", "json",
                             f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{uat.resolve().as_uri()}> "
                             "{ ?s ?p ?o } }").stdout)
    assert said == int(held["results"]["bindings"][0]["n"]["value"]) == 24138


def test_a_refuse_setting_naming_no_shape_is_a_usage_error_and_writes_nothing(store):
    """A misspelt shape in `refuse` would let every Violation through: it is refused."""
    proc = meshkg(store, "load", str(MESH), env={"MESHKG_REFUSE": "DataProductShape-ownr"})
    assert proc.returncode == 2
    assert "setting refuse names no shape of the gate: DataProductShape-ownr" in proc.stderr
    assert _stats(store)["products"] == "0"
