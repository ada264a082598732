"""Importers on the real corpus files: what lands in the store and what it means."""

from __future__ import annotations

import pytest
from rdflib import Literal, URIRef

from kg.exchange.dbt import import_dbt
from kg.exchange.dpds import import_dpds
from kg.exchange.draft import draft
from kg.exchange.model import PLACEHOLDER_DOMAIN, PLACEHOLDER_OWNER, import_graph
from kg.exchange.odcs import import_odcs
from kg.exchange.odps import import_odps
from kg.exchange.report import SourceReport
from kg.namespaces import DEMO, MESH, PD, PREFIXES

from .conftest import BASE, CORPORA, EXCHANGE

P = "".join(f"PREFIX {k}: <{v}>\n" for k, v in PREFIXES.items())
MANIFEST = CORPORA / "dbt" / "jaffle_shop" / "target" / "manifest.json"


def _imports(graphs) -> set[str]:
    names = graphs.graphs() if hasattr(graphs, "graphs") else graphs
    return {g for g in names if g.startswith("urn:meshkg:graph:import:")}


def _rows(store, q, **b):
    return store.query(P + q, bindings=b or None).rows


def test_dbt_customers_model_becomes_a_product_linked_to_customer_with_lineage(demo_store):
    rep = import_dbt(demo_store, MANIFEST, SourceReport(str(MANIFEST), "dbt"), base_iri=BASE)
    assert rep.ok, rep.error
    assert rep.graph == import_graph("dbt", "jaffle_shop")
    rows = _rows(demo_store, """SELECT ?p ?c WHERE {
        ?p a dprod:DataProduct ; rdfs:label "customers" ; dprod:lifecycleStatus mesh:Draft ;
           dprod:outputPort/dcat:servesDataset/mesh:hasField ?f .
        ?f rdfs:label "customer_id" ; mesh:meansConcept ?c }""")
    assert [r["c"] for r in rows] == [DEMO["concept/customer"]]
    ups = {str(r["l"]) for r in _rows(demo_store, """SELECT ?l WHERE {
        ?p rdfs:label "customers" ; prov:wasDerivedFrom/rdfs:label ?l }""")}
    assert ups == {"stg_customers", "stg_orders", "stg_payments"}
    tests = {str(r["t"]) for r in _rows(demo_store, """SELECT ?t WHERE {
        ?p rdfs:label "customers" ; dprod:outputPort/dcat:servesDataset/mesh:hasField ?f .
        ?f rdfs:label "customer_id" ; rdfs:comment ?t }""")}
    assert {"dbt test: unique", "dbt test: not_null"} <= tests


def test_dbt_seed_columns_come_from_the_seed_csv(vocab_store):
    import_dbt(vocab_store, MANIFEST, SourceReport("m", "dbt"), base_iri=BASE)
    cols = {str(r["l"]) for r in _rows(vocab_store, """SELECT ?l WHERE {
        ?p rdfs:label "raw_customers" ; dprod:outputPort/dcat:servesDataset/mesh:hasField ?f .
        ?f rdfs:label ?l }""")}
    assert cols == {"id", "first_name", "last_name"}


def test_reimport_replaces_the_same_graph(vocab_store):
    first = import_dbt(vocab_store, MANIFEST, SourceReport("m", "dbt"), base_iri=BASE)
    before = vocab_store.graphs()
    again = import_dbt(vocab_store, MANIFEST, SourceReport("m", "dbt"), base_iri=BASE)
    assert again.graph == first.graph
    assert vocab_store.graphs()[first.graph] == before[first.graph]
    assert set(vocab_store.graphs()) == set(before)


def test_draft_stores_fields_suggestions_and_placeholders(demo_store):
    report = draft(demo_store, [EXCHANGE / "customers.csv"], base_iri=BASE)
    rep = report.sources[0]
    assert rep.ok, rep.error
    assert any("placeholder owner" in f for f in rep.findings)
    prod = _rows(demo_store, """SELECT ?p ?o ?d WHERE { ?p a dprod:DataProduct ;
        dprod:lifecycleStatus mesh:Draft ; dprod:dataProductOwner ?o ; dprod:domain ?d ;
        rdfs:label "Customers" }""")
    assert prod and prod[0]["o"] == PLACEHOLDER_OWNER and prod[0]["d"] == PLACEHOLDER_DOMAIN
    assert demo_store.ask(P + "ASK { ?o mesh:isPlaceholder true }",
                          bindings={"o": PLACEHOLDER_OWNER})
    email = _rows(demo_store, """SELECT ?s ?conf ?ev ?pd WHERE {
        ?f rdfs:label "email" ; mesh:suggestedPersonalData ?pd ; mesh:suggestion ?s .
        ?s mesh:suggests ?pd ; mesh:confidence ?conf ; mesh:evidence ?ev ;
           prov:wasGeneratedBy/a prov:Activity }""", pd=PD.EmailAddress)
    assert email and float(email[0]["conf"]) > 0.9 and "pattern" in str(email[0]["ev"])
    assert not demo_store.ask(P + "ASK { GRAPH ?g { ?f rdfs:label \"email\" ; "
                              "dpv:hasPersonalData ?x } }", bindings={"g": URIRef(rep.graph)})
    means = _rows(demo_store, """SELECT ?c WHERE { ?f rdfs:label "customer_id" ;
        mesh:meansConcept ?c ; ^mesh:hasField/^dcat:servesDataset/^dprod:outputPort ?p .
        ?p rdfs:label "Customers" }""")
    assert [r["c"] for r in means] == [DEMO["concept/customer"]]


def test_bad_files_fail_alone_and_leave_no_trace(vocab_store, tmp_path):
    (tmp_path / "good.csv").write_text("order_id,amount\n1,2.5\n")
    (tmp_path / "zip.csv").write_bytes(b"PK\x03\x04rest")
    (tmp_path / "empty.tsv").write_bytes(b"")
    before = vocab_store.graphs()
    report = draft(vocab_store, [tmp_path], base_iri=BASE)
    by = {s.source.rsplit("/", 1)[-1]: s for s in report.sources}
    assert by["good.csv"].ok
    assert "format mismatch" in by["zip.csv"].error and "format mismatch" in by["empty.tsv"].error
    added = set(vocab_store.graphs()) - set(before)
    assert import_graph("draft", "good") in added
    assert not any(g.endswith((":zip", ":empty")) for g in added)


def test_odcs_full_example_maps_contract_meaning(vocab_store):
    path = CORPORA / "odcs" / "full-example.odcs.yaml"
    rep = import_odcs(vocab_store, path, SourceReport(str(path), "odcs"), base_iri=BASE)
    assert rep.ok, rep.error
    row = _rows(vocab_store, """SELECT ?p ?purpose ?dom ?st WHERE { ?p a dprod:DataProduct ;
        dct:identifier "53581432-6c55-4ba2-a65f-72344a91553a" ; dprod:purpose ?purpose ;
        dprod:domain/rdfs:label ?dom ; mesh:sourceStatus ?st }""")[0]
    assert str(row["purpose"]) == "Views built on top of the seller tables."
    assert (str(row["dom"]), str(row["st"])) == ("seller", "active")
    fields = {str(r["l"]): r["dt"] for r in _rows(vocab_store, """SELECT ?l ?dt WHERE {
        ?ds rdfs:label "Core Payment Metrics" ; mesh:hasField ?f .
        ?f rdfs:label ?l OPTIONAL { ?f mesh:datatype ?dt } }""")}
    assert fields["transaction_reference_date"] == URIRef(PREFIXES["xsd"] + "date")
    assert "rcvr_id" in fields


def test_odps_output_ports_become_datasets(vocab_store):
    path = CORPORA / "odps" / "customer-data-product.odps.yaml"
    rep = import_odps(vocab_store, path, SourceReport(str(path), "odps"), base_iri=BASE)
    assert rep.ok, rep.error
    labels = {str(r["l"]) for r in _rows(vocab_store, """SELECT ?l WHERE {
        ?p rdfs:label "Customer Data Product" ; dprod:outputPort/dcat:servesDataset ?d .
        ?d rdfs:label ?l }""")}
    assert {"rawtransactions 1.0.0", "rawtransactions 2.0.0"} <= labels
    assert any("inputPorts" in t for t in rep.text_only)


def test_dpds_multi_file_descriptor_inlines_sibling_refs(vocab_store):
    path = CORPORA / "dpds" / "tripexecution" / "data-product-descriptor.json"
    rep = import_dpds(vocab_store, path, SourceReport(str(path), "dpds"), base_iri=BASE)
    assert rep.ok, rep.error
    row = _rows(vocab_store, """SELECT ?owner ?dom WHERE { ?p a dprod:DataProduct ;
        dct:identifier "urn:dpds:com.company-xyz:dataproducts:tripExecution:1" ;
        dprod:dataProductOwner/rdfs:label ?owner ; dprod:domain/rdfs:label ?dom }""")[0]
    assert (str(row["owner"]), str(row["dom"])) == ("John Doe", "Transport Management")
    ports = {str(r["l"]) for r in _rows(vocab_store, """SELECT ?l WHERE {
        ?p a dprod:DataProduct ; dprod:outputPort/dcat:servesDataset/rdfs:label ?l }""")}
    assert {"Trip Status", "tripEvents"} & ports
    assert any(u.startswith("remote $ref not fetched") for u in rep.unmapped)


def test_dpds_ref_escaping_the_folder_is_refused(vocab_store, tmp_path, run):
    (tmp_path / "secret.json").write_text('{"info": {"name": "secret"}}')
    inner = tmp_path / "product"
    inner.mkdir()
    (inner / "dp.json").write_text(
        '{"dataProductDescriptor": "1.0.0", "info": {"name": "x"}, "interfaceComponents":'
        ' {"outputPorts": [{"$ref": "../secret.json"}]}}')
    ok = CORPORA / "dpds" / "minimal.dpd.json"
    before = vocab_store.graphs()
    report = run(vocab_store, import_dpds, [inner / "dp.json", ok])
    bad, good = report.sources
    assert "leaves the descriptor's folder" in bad.error
    assert good.ok
    assert _imports(vocab_store) - _imports(before) == {good.graph}


def test_yaml_bomb_is_refused_and_other_files_imported(vocab_store, tmp_path, run):
    bomb = tmp_path / "bomb.odcs.yaml"
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    bomb.write_text("kind: DataContract\n" + "\n".join(lines) + "\n")
    path = CORPORA / "odcs" / "all-data-types.odcs.yaml"
    before = vocab_store.graphs()
    report = run(vocab_store, import_odcs, [bomb, path])
    assert "alias bomb" in report.sources[0].error
    assert report.sources[1].ok
    assert _imports(vocab_store) - _imports(before) == {report.sources[1].graph}


@pytest.mark.parametrize(("name", "content", "message"), [
    ("x.odcs.yaml", b"kind: DataContract\nschema: [\n", "not valid YAML"),
    ("x.odcs.yaml", b"!!python/object/apply:os.system ['true']\n", "not valid YAML"),
    ("x.odcs.yaml", b"apiVersion: v3\nkind: Other\n", "not an ODCS data contract"),
    ("x.odcs.json", b"{nope", "not JSON"),
    ("x.odcs.yaml", b"\x00\x01", "binary")])
def test_broken_contracts_get_a_clear_error(vocab_store, tmp_path, run, name, content, message):
    (tmp_path / name).write_bytes(content)
    before = vocab_store.graphs()
    report = run(vocab_store, import_odcs, [tmp_path / name])
    assert message in report.sources[0].error
    assert vocab_store.graphs() == before


def test_suggestions_are_literal_safe(vocab_store, tmp_path):
    (tmp_path / "x.csv").write_text('"a"" } ; DROP ALL ; #",b\n1,2\n')
    report = draft(vocab_store, [tmp_path / "x.csv"], base_iri=BASE)
    assert report.sources[0].ok
    assert vocab_store.ask(P + "ASK { ?f rdfs:label ?l }",
                           bindings={"l": Literal('a" } ; DROP ALL ; #')})
    assert MESH.Draft



def test_draft_never_copies_personal_data_values_into_the_catalog(demo_store):
    """Columns that look like personal data keep their suggestion, not their values."""
    draft(demo_store, [EXCHANGE / "customers.csv"], base_iri=BASE)
    dump = demo_store.dump(import_graph("draft", "customers"), "ntriples").decode()
    lines = (EXCHANGE / "customers.csv").read_text(encoding="utf-8").splitlines()
    column = lines[0].split(",").index("email")
    emails = [line.split(",")[column] for line in lines[1:]]
    assert emails and not any(e and e in dump for e in emails)
    assert "withheld" in dump
