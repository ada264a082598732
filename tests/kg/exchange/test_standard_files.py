"""Real standard files as they come (issue 15): every DPROD and DCAT-AP 3 example, Turtle
and JSON-LD, through `meshkg load` and `meshkg import`, on a fresh store each time.

The files are the upstream examples, copied byte for byte (tests/data/corpora/dprod and
tests/data/corpora/dcat-ap-3, sources and licences in their README.md). What is asserted
is what a user sees: exit codes, the products each file gives, the findings printed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, RDF

from kg.cli import main
from kg.loading import LOCAL_CONTEXTS, VOCAB_DIR

from .conftest import CORPORA

DATA = CORPORA.parent
DPROD_EXAMPLES = CORPORA / "dprod" / "examples"
DCAT_AP = CORPORA / "dcat-ap-3"
DCAT_TTL = sorted((DCAT_AP / "examples").glob("example-bee-*.ttl"))
DCAT_JSONLD = sorted((DCAT_AP / "examples").glob("example-bee-*.jsonld"))
HVD = sorted((DCAT_AP / "examples-hvd").glob("*.ttl"))
REMOTE = DATA / "hostile" / "remote-context.jsonld"  # names http://example.org/…
PRODUCTS = ("SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a "
            "<https://www.omg.org/spec/DPROD/DataProduct> FILTER(isIRI(?p)) }")


@pytest.fixture
def store(vocab_store) -> Path:
    """The folder of a fresh store holding the shipped vocabularies (closed: the CLI
    opens it)."""
    path = Path(vocab_store.path)
    vocab_store.close()
    return path


def meshkg(store: Path, *args: str, env: dict | None = None):
    """Run the meshkg command line on one store; return click's result."""
    return CliRunner().invoke(main, ["--store", str(store), *map(str, args)], env=env,
                              catch_exceptions=False)


def products_in_store(store: Path) -> int:
    out = meshkg(store, "query", "--format", "json", PRODUCTS)
    assert out.exit_code == 0, out.output
    return int(json.loads(out.stdout)["results"]["bindings"][0]["n"]["value"])


def imported(output: str) -> dict[str, int]:
    """Read the products each file gave from an import report: {file name: count}."""
    return {Path(m[1]).name: int(m[2]) for m in
            re.finditer(r"^imported (\S+) \(\w+\) -> <[^>]+>: (\d+) products", output, re.M)}


def datasets(path: Path) -> set[URIRef]:
    """The dcat:Dataset IRIs of a Turtle file, read by rdflib (not by meshkg)."""
    return {s for s in Graph().parse(path, format="turtle").subjects(RDF.type, DCAT.Dataset)
            if isinstance(s, URIRef)}


# --------------------------------------------------------------------------- DCAT-AP 3


def test_every_dcat_ap_3_example_imports_one_product_per_dataset(store):
    files = DCAT_TTL + DCAT_JSONLD + HVD
    out = meshkg(store, "import", "dcat", *files)
    assert out.exit_code == 0, out.output
    got = imported(out.stdout)
    assert set(got) == {f.name for f in files}  # all 34, the 14 JSON-LD ones too
    assert "JSON-LD keys no context in force defines" not in out.stdout  # none is lost
    for ttl in DCAT_TTL + HVD:
        assert got[ttl.name] == len(datasets(ttl)), ttl.name
    for js in DCAT_JSONLD:  # a JSON-LD twin gives the products of its Turtle file
        twin = js.with_suffix(".ttl")
        if twin.exists():
            assert got[js.name] == got[twin.name], js.name
    # the examples describe 9 datasets between them: 9 products, not one per file
    every = set().union(*(datasets(f) for f in DCAT_TTL + HVD))
    assert products_in_store(store) == len(every) == 9


def test_the_dcat_ap_json_ld_examples_without_a_turtle_twin_import(store):
    # their Turtle versions are invalid upstream (examples-invalid); the JSON-LD is fine
    out = meshkg(store, "import", "dcat",
                 DCAT_AP / "examples" / "example-bee-population-dataset-series-api.jsonld",
                 DCAT_AP / "examples" / "example-bee-population-dataset-series-combined.jsonld")
    assert out.exit_code == 0, out.output
    assert imported(out.stdout) == {
        "example-bee-population-dataset-series-api.jsonld": 1,
        "example-bee-population-dataset-series-combined.jsonld": 4}


def test_a_dataset_keeps_its_iri_and_its_json_ld_twin_updates_it(store):
    ttl = DCAT_AP / "examples" / "example-bee-population.ttl"
    for path in (ttl, ttl.with_suffix(".jsonld"), ttl):
        out = meshkg(store, "import", "dcat", path)
        assert out.exit_code == 0, out.output
        assert imported(out.stdout) == {path.name: 1}
    assert products_in_store(store) == 1
    ask = meshkg(store, "query", "--format", "json",
                 "ASK { <https://data.gov.gr/id/dataset/BeePopulation> a "
                 "<https://www.omg.org/spec/DPROD/DataProduct> ; "
                 "<https://www.omg.org/spec/DPROD/dataProductOwner> "
                 "<https://agencies.gov.gr/id/GreekEnvironmentAgency> }")
    assert json.loads(ask.stdout)["boolean"] is True
    graphs = meshkg(store, "graphs").stdout
    # each file keeps its own graph: the twins do not collide
    assert "urn:meshkg:graph:import:dcat:example-bee-population-ttl" in graphs
    assert "urn:meshkg:graph:import:dcat:example-bee-population-jsonld" in graphs


def test_a_newer_file_naming_the_publisher_replaces_the_placeholder_owner(store):
    # the issued series' file names no publisher for BeePopulation2022 (a placeholder owner
    # is set); the 2022-2023 file does: the one product then has one owner, the publisher
    examples = DCAT_AP / "examples"
    first = meshkg(store, "import", "dcat",
                   examples / "example-bee-population-dataset-series-issued.ttl")
    assert first.exit_code == 0 and "placeholder owner" in first.stdout, first.output
    out = meshkg(store, "import", "dcat", examples / "example-bee-population-2022-2023.ttl")
    assert out.exit_code == 0, out.output
    owners = meshkg(store, "query", "--format", "json",
                    "SELECT DISTINCT ?o WHERE { <https://data.gov.gr/id/dataset/BeePopulation2022>"
                    " <https://www.omg.org/spec/DPROD/dataProductOwner> ?o }")
    values = [b["o"]["value"] for b in json.loads(owners.stdout)["results"]["bindings"]]
    assert values == ["https://agencies.gov.gr/id/GreekEnvironmentAgency"]


TWINS = [js for js in DCAT_JSONLD if js.with_suffix(".ttl").exists()]
#: the examples' context coerces dates to "xsd:date" but defines no prefix xsd (an upstream
#: defect), so in JSON-LD their datatype IRI is `xsd:date` itself
XSD_UNDEFINED = re.compile(r"\^\^<xsd:")


@pytest.mark.parametrize("jsonld", TWINS, ids=[t.stem for t in TWINS])
def test_a_dcat_ap_json_ld_example_loads_the_triples_of_its_turtle_twin(store, jsonld):
    ttl = jsonld.with_suffix(".ttl")
    out = meshkg(store, "load", ttl, jsonld)
    assert out.exit_code == 0, out.output
    graphs = []
    for path in (ttl, jsonld):
        dump = meshkg(store, "export", "--format", "ntriples", "--graph",
                      path.resolve().as_uri())
        text = XSD_UNDEFINED.sub("^^<http://www.w3.org/2001/XMLSchema#", dump.stdout)
        graphs.append(Graph().parse(data=text, format="nt"))
    expected = Graph().parse(ttl, format="turtle")
    # JSON-LD with several types per node reads every type's scoped context (pyoxigraph
    # alone kept only the last: titles, publishers and dates went missing)
    assert isomorphic(graphs[1], expected)
    assert isomorphic(graphs[0], expected)


@pytest.mark.parametrize("name, line", [
    ("example-bee-population-dataset-series-api.ttl", "20:31"),
    ("example-bee-population-dataset-series-combined.ttl", "32:31")])
def test_the_invalid_dcat_ap_turtle_examples_are_refused_naming_the_line(store, name, line):
    path = DCAT_AP / "examples-invalid" / name
    out = meshkg(store, "import", "dcat", path)
    assert out.exit_code == 2
    assert f"FAILED  {path}" in out.stdout and f"{name}:{line}" in out.stdout
    assert "'/' is not allowed" in out.stdout
    loaded = meshkg(store, "load", path)
    assert loaded.exit_code == 2 and f"{name}:{line}" in loaded.stderr
    assert products_in_store(store) == 0


def test_every_dcat_ap_3_example_loads_with_meshkg_load(store):
    out = meshkg(store, "load", *(DCAT_TTL + DCAT_JSONLD + HVD))
    assert out.exit_code == 0, out.output
    assert out.stdout.count("loaded ") == len(DCAT_TTL + DCAT_JSONLD + HVD)


# --------------------------------------------------------------------------- DPROD


def test_every_dprod_example_imports(store):
    files = sorted(DPROD_EXAMPLES.glob("*.jsonld"))
    out = meshkg(store, "import", "dprod", *files)
    assert out.exit_code == 0, out.output
    # data-rights is an ODRL offer, not a product; data-schema's product has no "@id"
    assert imported(out.stdout) == {"data-quality.jsonld": 1, "data-rights.jsonld": 0,
                                    "data-schema.jsonld": 1, "equity-trade.jsonld": 1,
                                    "sba-pool-rates.jsonld": 1}
    assert "a dprod:DataProduct without an IRI (a blank node) was named" in out.stdout
    # what the examples' bare keys said is lost on expansion, and the report says so
    assert ("JSON-LD keys no context in force defines, dropped as JSON-LD drops them "
            "(map the remote context to one that defines them with --context URL=PATH): "
            "id (7x), title (3x), datasetOwner (1x), description (1x), lifecycle (1x)"
            ) in out.stdout
    assert products_in_store(store) == 4
    # the shipped DPROD context reads an owner given as a string as the agent it names
    ask = meshkg(store, "query", "--format", "json",
                 "ASK { <https://y.com/products/equity-trade-xxx> "
                 "<https://www.omg.org/spec/DPROD/dataProductOwner> "
                 "<https://www.schema.xxx/person/AnnTaylor> }")
    assert json.loads(ask.stdout)["boolean"] is True


def test_a_dprod_example_without_an_owner_is_refused_by_load_naming_it(store):
    out = meshkg(store, "load", DPROD_EXAMPLES / "data-quality.jsonld")
    assert out.exit_code == 1
    assert "DataProductShape-owner" in out.stderr
    assert "https://y.com/products/uk-bonds" in out.stderr


@pytest.mark.parametrize("name", ["equity-trade.jsonld", "sba-pool-rates.jsonld"])
def test_a_dprod_example_naming_its_owner_loads_with_meshkg_load(store, name):
    """DPROD's rdfs:range makes the owner an agent: it loads; that nothing describes the
    owner is kept as a finding, not refused."""
    out = meshkg(store, "load", DPROD_EXAMPLES / name)
    assert out.exit_code == 0, out.output
    assert products_in_store(store) == 1
    assert "as findings" in out.stdout


def test_the_dprod_example_that_is_not_json_is_refused_naming_the_line(store):
    path = CORPORA / "dprod" / "examples-invalid" / "dprod-example.json"
    out = meshkg(store, "import", "dprod", path)
    assert out.exit_code == 2
    assert "dprod-example.json:13:7" in out.stdout and "malformed JSON" in out.stdout


# --------------------------------------------------------------------------- findings


OWNER_A_STRING = """\
@prefix dprod: <https://www.omg.org/spec/DPROD/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://example.org/p/x> a dprod:DataProduct ; rdfs:label "X" ;
    dprod:dataProductOwner "someone" .
"""


def test_a_refused_import_prints_its_findings_not_only_a_count(store, tmp_path):
    path = tmp_path / "owner-a-string.ttl"
    path.write_text(OWNER_A_STRING, encoding="utf-8")
    out = meshkg(store, "import", "dprod", path)
    assert out.exit_code == 1
    assert "Violation (refuses) https://example.org/p/x" in out.stdout
    assert "path:  https://www.omg.org/spec/DPROD/dataProductOwner" in out.stdout
    assert "value: someone" in out.stdout
    assert products_in_store(store) == 0


def test_no_validate_writes_and_says_how_many_findings_it_stored(store, tmp_path):
    path = tmp_path / "owner-a-string.ttl"
    path.write_text(OWNER_A_STRING, encoding="utf-8")
    out = meshkg(store, "import", "dprod", "--no-validate", path)
    assert out.exit_code == 0, out.output
    found = re.search(r"(\d+) findings stored \((\d+) violations", out.stdout)
    assert found and int(found[1]) >= int(found[2]) >= 1, out.stdout
    assert products_in_store(store) == 1
    stats = meshkg(store, "stats").stdout
    assert re.search(r"resources failing\s+[1-9]", stats), stats


def test_placeholders_stay_marked_so_that_a_shape_can_report_them(store):
    out = meshkg(store, "import", "dcat", DCAT_AP / "examples" / "example-bee-population.ttl")
    assert out.exit_code == 0, out.output
    marked = meshkg(store, "query", "--format", "json",
                    "SELECT DISTINCT ?n WHERE { ?n <https://w3id.org/meshkg/ontology#isPlaceholder>"
                    " true }")
    got = {b["n"]["value"] for b in json.loads(marked.stdout)["results"]["bindings"]}
    assert got == {"urn:meshkg:placeholder:domain", "urn:meshkg:placeholder:concept",
                   "urn:meshkg:placeholder:scheme"}


# --------------------------------------------------------------------------- contexts


@pytest.mark.parametrize("url", sorted(LOCAL_CONTEXTS))
def test_every_mapped_context_url_names_a_shipped_context(url):
    doc = json.loads((VOCAB_DIR / LOCAL_CONTEXTS[url]).read_text(encoding="utf-8"))
    assert isinstance(doc["@context"], dict)


def test_a_dprod_example_naming_the_omg_context_url_imports_alike(store, tmp_path):
    # newer DPROD examples name the OMG URL of the context (EKGF/dprod issue #246)
    text = (DPROD_EXAMPLES / "equity-trade.jsonld").read_text(encoding="utf-8")
    omg = tmp_path / "equity-trade.jsonld"
    omg.write_text(text.replace("https://ekgf.github.io/dprod/dprod.jsonld",
                                "http://www.omg.org/spec/DPROD/dprod-context.jsonld"),
                   encoding="utf-8")
    out = meshkg(store, "import", "dprod", omg)
    assert out.exit_code == 0, out.output
    assert imported(out.stdout) == {"equity-trade.jsonld": 1}


def test_an_unmapped_remote_context_is_refused_saying_what_is_shipped(store):
    out = meshkg(store, "load", REMOTE)
    assert out.exit_code == 2
    err = out.stderr
    assert "http://example.org/remote-context.jsonld is not fetched" in err
    assert ("DPROD (https://ekgf.github.io/dprod/dprod.jsonld, "
            "https://www.omg.org/spec/DPROD/dprod.jsonld)") in err
    assert "DCAT-AP 3.0.1 (" in err and "DCAT-AP 3.0.0 (" in err
    assert "--context http://example.org/remote-context.jsonld=PATH" in err
    assert "jsonld_contexts" in err


@pytest.fixture
def context_file(tmp_path) -> Path:
    path = tmp_path / "remote-context.jsonld"
    path.write_text('{"@context": {"p": "http://example.org/p"}}', encoding="utf-8")
    return path


def test_a_remote_context_mapped_with_the_context_option_is_read_locally(store, context_file):
    out = meshkg(store, "load", "--no-validate", "--context",
                 f"http://example.org/remote-context.jsonld={context_file}", REMOTE)
    assert out.exit_code == 0, out.output
    assert "loaded 1 triples" in out.stdout
    ask = meshkg(store, "query", "--format", "json",
                 'ASK { <http://example.org/a> <http://example.org/p> "x" }')
    assert json.loads(ask.stdout)["boolean"] is True


def test_the_setting_jsonld_contexts_maps_one_for_an_import(store, context_file):
    env = {"MESHKG_JSONLD_CONTEXTS": f"http://example.org/remote-context.jsonld={context_file}"}
    out = meshkg(store, "import", "dprod", REMOTE, env=env)
    assert out.exit_code == 0, out.output
    assert imported(out.stdout) == {"remote-context.jsonld": 0}


def test_a_context_mapping_that_is_not_url_equals_path_is_a_usage_error(store, tmp_path):
    out = meshkg(store, "load", "--context", "no-equals-sign", REMOTE)
    assert out.exit_code == 2 and "is not URL=PATH" in out.stderr
    out = meshkg(store, "import", "dcat", "--context",
                 f"http://example.org/c.jsonld={tmp_path / 'missing.jsonld'}", REMOTE)
    assert out.exit_code == 2 and "does not exist" in out.stderr


def test_a_dprod_example_whose_product_is_a_blank_node_loads_and_is_indexed(store):
    """data-schema.jsonld describes a product with no IRI: the write and the search index
    refresh after it both go through (the index skips what nothing can name)."""
    out = meshkg(store, "load", "--no-validate", DPROD_EXAMPLES / "data-schema.jsonld")
    assert out.exit_code == 0, out.output
    assert "inferred" in out.stdout
