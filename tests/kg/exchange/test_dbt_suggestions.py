"""`meshkg import dbt`: every column gets the suggestions a drafted column gets (issue 15):
personal data from its name, description, tags and meta, concepts of the store from its
name and description; stored as suggestions, never as declared personal data."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import RDF, RDFS, Graph, Literal, URIRef

import kg
from kg.cli import main
from kg.exchange import suggest
from kg.exchange.model import import_graph
from kg.namespaces import DEMO, DPV, PD, PREFIXES
from kg.store.oxigraph import OxigraphStore

from .conftest import CORPORA

JAFFLE = CORPORA / "dbt" / "jaffle_shop"
MANIFEST = JAFFLE / "target" / "manifest.json"
GRAPH = import_graph("dbt", "jaffle_shop")
VOCAB = Path(kg.__file__).parent / "vocab"
P = "".join(f"PREFIX {k}: <{v}>\n" for k, v in PREFIXES.items())


def _import(store_path, manifest=MANIFEST, *args):
    result = CliRunner().invoke(main, ["--store", str(store_path), "import", "dbt", *args,
                                       str(manifest)])
    assert result.exit_code == 0, result.output
    return result.output


def _suggested(store_path, model: str, kind: str = "PersonalData") -> dict[str, dict]:
    """The suggestions stored on the fields of one product: column -> {target: evidence}."""
    store = OxigraphStore(store_path)
    try:
        rows = store.query(P + f"""SELECT * WHERE {{ GRAPH ?g {{
            ?p rdfs:label ?model ; dprod:outputPort/dcat:servesDataset/mesh:hasField ?f .
            ?f rdfs:label ?col ; mesh:suggested{kind} ?t ; mesh:suggestion ?s .
            ?s mesh:suggests ?t ; mesh:evidence ?ev ; a mesh:Suggestion }} }}""",
                           bindings={"g": URIRef(GRAPH), "model": Literal(model)}).rows
        out: dict[str, dict] = {}
        for r in rows:
            out.setdefault(str(r["col"]), {})[str(r["t"])] = str(r["ev"])
        return out
    finally:
        store.close()


def _declared(store_path) -> int:
    store = OxigraphStore(store_path)
    try:
        return len(store.query(P + "SELECT * WHERE { GRAPH ?g { ?f dpv:hasPersonalData ?x } }",
                               bindings={"g": URIRef(GRAPH)}).rows)
    finally:
        store.close()


@pytest.fixture
def vocab_path(vocab_store):
    path = vocab_store.path
    vocab_store.close()
    return path


@pytest.fixture
def demo_path(demo_store):
    path = demo_store.path
    demo_store.close()
    return path


@pytest.mark.parametrize("where", ["vocab_path", "demo_path"])
def test_dbt_name_columns_get_personal_data_suggestions_not_declarations(request, where):
    path = request.getfixturevalue(where)
    _import(path)
    pd = _suggested(path, "customers")
    assert set(pd) == {"first_name", "last_name"}
    for column in ("first_name", "last_name"):
        assert set(pd[column]) == {str(PD.Name)}
        evidence = pd[column][str(PD.Name)]
        assert f"column name '{column}' reads as: name" in evidence
        assert "description" in evidence and "PII" in evidence
    seed = _suggested(path, "raw_customers")
    assert set(seed) == {"first_name", "last_name"}
    assert _declared(path) == 0  # a steward declares; an import only suggests


def test_dbt_columns_get_the_demo_concepts_from_names_and_descriptions(demo_path):
    _import(demo_path)
    concepts = _suggested(demo_path, "customers", "Concept")
    customer, order = str(DEMO["concept/customer"]), str(DEMO["concept/order"])
    assert customer in concepts["customer_id"]
    assert {customer, order} <= set(concepts["first_order"])
    assert "description of 'first_order' mentions the prefLabel 'Order'" in \
        concepts["first_order"][order]
    assert "altLabel 'Customer order'" in concepts["total_order_amount"][order]
    orders = _suggested(demo_path, "orders", "Concept")
    assert order in orders["order_id"] and order in orders["amount"]
    # a mention in prose is a suggestion, not an assertion (mesh:meansConcept)
    store = OxigraphStore(demo_path)
    try:
        means = store.query(P + """SELECT * WHERE { GRAPH ?g { ?f rdfs:label "first_order" ;
            mesh:meansConcept ?c } }""", bindings={"g": URIRef(GRAPH)}).rows
    finally:
        store.close()
    assert means == []


def test_without_concepts_in_the_store_no_concept_is_suggested(vocab_path):
    _import(vocab_path)
    assert _suggested(vocab_path, "customers", "Concept") == {}
    assert _suggested(vocab_path, "orders", "Concept") == {}


def test_dbt_tags_meta_and_descriptions_declare_personal_data(vocab_path, tmp_path):
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    cols = manifest["nodes"]["model.jaffle_shop.customers"]["columns"]
    cols["notes"] = {"name": "notes", "description": "Free text", "meta": {"contains_pii": True},
                     "tags": []}
    cols["contact"] = {"name": "contact", "description": "The customer's e-mail address",
                       "meta": {}, "tags": []}
    cols["born"] = {"name": "born", "description": "Customer's date of birth", "meta": {},
                    "tags": ["sensitive"]}
    cols["code"] = {"name": "code", "description": "Case-sensitive voucher code",
                    "meta": {"pii": "false", "contains_pii": False}, "tags": []}
    (tmp_path / "target").mkdir()
    (tmp_path / "target" / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    _import(vocab_path, tmp_path / "target" / "manifest.json")
    pd = _suggested(vocab_path, "customers")
    assert pd["notes"] == {str(DPV.PersonalData): "the source tags 'notes' as 'contains_pii'"}
    assert set(pd["contact"]) == {str(PD.EmailAddress)}
    assert set(pd["born"]) == {str(PD.BirthDate)}
    assert "tags 'born' as 'sensitive'" in pd["born"][str(PD.BirthDate)]
    assert "first_order" not in pd and "total_order_amount" not in pd and "code" not in pd


def test_dbt_report_and_graph_hold_no_seed_value(vocab_path):
    out = _import(vocab_path, MANIFEST, "--json")
    with (JAFFLE / "seeds" / "raw_customers.csv").open(encoding="utf-8", newline="") as fh:
        names = {row[c] for row in csv.DictReader(fh) for c in ("first_name", "last_name")}
    store = OxigraphStore(vocab_path)
    try:
        g = Graph().parse(data=store.dump(GRAPH, "ntriples"), format="nt")
    finally:
        store.close()
    stored = "\n".join(str(t) for triple in g for t in triple)
    for text in (out, stored):
        assert {n for n in names if re.search(r"(?<![\w.@])" + re.escape(n) + r"(?![\w@])",
                                              text)} == set()


def _classes(*files) -> set[str]:
    g = Graph()
    for f in files:
        g.parse(VOCAB / f)
    return {str(s) for s in g.subjects(RDF.type, RDFS.Class)}


def test_every_suggested_category_is_a_dpv_2_3_class(vocab_path, tmp_path):
    """Every category the rules can suggest, and every one stored, is in the shipped DPV."""
    known = _classes("pd-2.3.ttl", "dpv-2.3.ttl")
    rules = {str(iri) for _p, iri, *_ in suggest._NAME_RULES + suggest._TEXT_RULES} | {
        str(iri) for _t, iri, _w in suggest._VALUE_RULES} | {str(DPV.PersonalData)}
    assert rules - known == set()
    _import(vocab_path)
    store = OxigraphStore(vocab_path)
    try:
        stored = {str(r["t"]) for r in store.query(
            P + "SELECT DISTINCT ?t WHERE { ?f mesh:suggestedPersonalData ?t }").rows}
    finally:
        store.close()
    assert stored and stored - known == set()


def test_the_dbt_report_lists_each_suggestion_with_its_evidence(demo_path):
    """Not only "28 suggestions": each one, by model and column, with what and why."""
    out = _import(demo_path)
    assert "suggestions (for a steward to accept or reject):" in out
    lines = [line.strip() for line in out.splitlines() if " -> personal data " in line]
    assert any(line.startswith("- ") and "first_name -> personal data pd:Name" in line
               and "column name 'first_name'" in line for line in lines), lines
    assert any("customer_id -> concept" in line and "(Customer," in line
               for line in out.splitlines())
