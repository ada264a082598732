"""`meshkg draft` never prints or stores a value of a personal-data column (issue 15), and
its report lists every suggestion with its evidence."""

from __future__ import annotations

import csv
import json
import re

import pytest
from click.testing import CliRunner
from rdflib import Graph

from kg.cli import main
from kg.exchange.model import import_graph
from kg.store.oxigraph import OxigraphStore

from .conftest import CORPORA, EXCHANGE

CUSTOMERS = EXCHANGE / "customers.csv"
SEEDS = CORPORA / "dbt" / "jaffle_shop" / "seeds"
#: the columns of customers.csv that hold personal data, as a reader of the file sees them
CUSTOMERS_PERSONAL = ["first_name", "last_name", "email", "phone", "street_address", "iban",
                      "ip", "date_of_birth"]


def _values(path, columns) -> set[str]:
    """Read the values of some columns straight from a CSV file."""
    with path.open(encoding="utf-8", newline="") as fh:
        return {row[c].strip() for row in csv.DictReader(fh) for c in columns
                if row[c].strip()}


def _leaked(text: str, values: set[str]) -> set[str]:
    """Return the values that occur in a text as whole words ('P.' is not in 'IP.')."""
    return {v for v in values
            if re.search(r"(?<![\w.@])" + re.escape(v) + r"(?![\w@])", text)}


def _graph_text(store_path, graph: str) -> str:
    """Every term of one stored graph, as text (N-Triples may escape 'ü' as \\u00FC)."""
    store = OxigraphStore(store_path)
    try:
        data = store.dump(graph, "ntriples")
    finally:
        store.close()
    g = Graph().parse(data=data, format="nt")
    return "\n".join(str(t) for triple in g for t in triple)


@pytest.fixture(params=["vocab_store", "demo_store"])
def store_path(request):
    """A closed on-disk store (the vocabularies only, or the demo) for the CLI to open."""
    store = request.getfixturevalue(request.param)
    path = store.path
    store.close()
    return path


def _draft(store_path, *args):
    result = CliRunner().invoke(main, ["--store", str(store_path), "draft", *map(str, args)])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("as_json", [False, True])
def test_draft_report_prints_no_personal_value(store_path, as_json):
    out = _draft(store_path, *(["--json"] if as_json else []), CUSTOMERS, SEEDS)
    personal = _values(CUSTOMERS, CUSTOMERS_PERSONAL)
    seeds = _values(SEEDS / "raw_customers.csv", ["first_name", "last_name"])
    assert len(personal) == 31 and len(seeds) > 90  # the file, read as it is
    assert _leaked(out, personal) == set()
    assert _leaked(out, seeds) == set()
    if as_json:  # the JSON is whole, and the columns without personal data keep examples
        sources = json.loads(out)["sources"]
        cols = {c["name"]: c for c in sources[0]["profile"][0]["columns"]}
        assert cols["tender_type"]["examples"] == ["CASH", "CARD", "VOUCHER"]
        assert cols["signup_date"]["min"] == "2021-01-05"
        assert cols["email"]["examples"] == [] and cols["date_of_birth"]["max"] is None
        assert "personal data" in cols["email"]["withheld"]


def test_stored_draft_holds_no_personal_value(store_path):
    _draft(store_path, CUSTOMERS, SEEDS / "raw_customers.csv")
    customers = _graph_text(store_path, import_graph("draft", "customers"))
    seeds = _graph_text(store_path, import_graph("draft", "raw_customers"))
    assert _leaked(customers, _values(CUSTOMERS, CUSTOMERS_PERSONAL)) == set()
    assert _leaked(seeds, _values(SEEDS / "raw_customers.csv",
                                  ["first_name", "last_name"])) == set()
    # what is not personal keeps its examples, and the personal columns say why they have none
    assert "VOUCHER" in customers and "withheld" in customers
    assert "first_name" in seeds and "withheld" in seeds


def test_text_report_lists_each_suggestion_with_its_evidence(store_path):
    out = _draft(store_path, CUSTOMERS)
    counted = int(re.search(r"(\d+) suggestions", out).group(1))
    lines = {line.strip() for line in out.splitlines()}
    assert counted >= 8 and counted == sum(" -> personal data " in line or " -> concept "
                                           in line for line in lines)
    assert ("- email -> personal data pd:EmailAddress (email address, 0.99): column name "
            "'email' reads as: email address; 4 of 4 sampled values match the email address "
            "pattern") in lines
    for column, category in [("first_name", "pd:Name"), ("last_name", "pd:Name"),
                             ("phone", "pd:TelephoneNumber"),
                             ("street_address", "pd:PhysicalAddress"),
                             ("iban", "pd:BankAccount"), ("ip", "pd:IPAddress"),
                             ("date_of_birth", "pd:BirthDate")]:
        assert any(line.startswith(f"- {column} -> personal data {category} (")
                   and "reads as" in line for line in lines), column


def test_text_report_lists_concepts_of_the_demo(demo_store):
    path = demo_store.path
    demo_store.close()
    out = _draft(path, CUSTOMERS)
    lines = {line.strip() for line in out.splitlines()}
    assert ("- customer_id -> concept <https://demo.meshkg.org/id/concept/customer> (Customer, "
            "0.81): column name 'customer_id' matches the prefLabel 'Customer' once the suffix "
            "'id' is dropped") in lines
    assert any(line.startswith("- tender_type -> concept <https://demo.meshkg.org/id/concept/"
                               "payment> (Tender, ") for line in lines)


def test_values_that_look_personal_are_withheld_whatever_the_column_is_called(
        store_path, tmp_path):
    """A column named `contact` holding e-mail addresses; a file without a header (its first
    row would otherwise become column names; its text columns say nothing of what they
    hold, so they keep no examples either)."""
    data = tmp_path / "people.jsonl"
    data.write_text("".join(json.dumps({"contact": f"user{i}@example.org", "score": i}) + "\n"
                            for i in range(6)), encoding="utf-8")
    headless = tmp_path / "headless.csv"
    headless.write_text("Zelda Quist,zelda.quist@example.org\n"
                        "Yann Orrey,yann.orrey@example.org\n", encoding="utf-8")
    values = {f"user{i}@example.org" for i in range(6)} | {
        "Zelda Quist", "zelda.quist@example.org", "Yann Orrey", "yann.orrey@example.org"}
    out = _draft(store_path, "--json", data, headless)
    assert _leaked(out, values) == set()
    sources = {s["source"].rsplit("/", 1)[-1]: s for s in json.loads(out)["sources"]}
    cols = {c["name"]: c for c in sources["people.jsonl"]["profile"][0]["columns"]}
    assert cols["contact"]["examples"] == [] and cols["score"]["examples"]
    assert [s["target"] for s in cols["contact"]["suggestions"]] == [
        "https://w3id.org/dpv/pd#EmailAddress"]
    headless_cols = sources["headless.csv"]["profile"][0]["columns"]
    assert [c["name"] for c in headless_cols] == ["column_1", "column_2"]
    stored = _graph_text(store_path, import_graph("draft", "people")) + _graph_text(
        store_path, import_graph("draft", "headless"))
    assert _leaked(stored, values) == set()


def test_a_bare_name_column_is_personal_in_a_table_of_people_only(store_path, tmp_path):
    (tmp_path / "products.csv").write_text("sku,name\n1,Garden hose\n2,Rake\n")
    (tmp_path / "members.csv").write_text("member_no,name\n1,Ilse Varga\n2,Tom Brandt\n")
    out = _draft(store_path, "--json", tmp_path)
    sources = {s["source"].rsplit("/", 1)[-1]: s for s in json.loads(out)["sources"]}
    products = {c["name"]: c for c in sources["products.csv"]["profile"][0]["columns"]}
    members = {c["name"]: c for c in sources["members.csv"]["profile"][0]["columns"]}
    assert products["name"]["examples"] == ["Garden hose", "Rake"]
    assert not any(s["kind"] == "personal-data" for s in products["name"]["suggestions"])
    assert members["name"]["examples"] == []
    assert [s["target"] for s in members["name"]["suggestions"]] == [
        "https://w3id.org/dpv/pd#Name"]
    assert _leaked(out, {"Ilse Varga", "Tom Brandt"}) == set()


def test_name_rules_keep_words_whole(store_path, tmp_path):
    """`zip` is a postal code, not an IP address; `hotel`, `essex_region`, `japan_sales`
    and `race_id` hold no telephone number, gender, card number or ethnicity; what DPV
    names a special category (`ethnicity`) is suggested as such."""
    (tmp_path / "stays.csv").write_text(
        "zip,hotel,ethnicity,essex_region,japan_sales,race_id\n10115,Adlon,x,north,12,7\n")
    out = _draft(store_path, "--json", tmp_path / "stays.csv")
    cols = {c["name"]: c for c in json.loads(out)["sources"][0]["profile"][0]["columns"]}
    assert [s["target"] for s in cols["zip"]["suggestions"]] == [
        "https://w3id.org/dpv/pd#PostalCode"]
    assert [s["target"] for s in cols["ethnicity"]["suggestions"]] == [
        "https://w3id.org/dpv/pd#Ethnicity"]
    for name in ("hotel", "essex_region", "japan_sales", "race_id"):
        assert cols[name]["suggestions"] == [] and cols[name]["examples"], name


def _write(rows: list[dict], path) -> None:
    """Write rows as the file format the path's extension names."""
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                        encoding="utf-8")
    elif path.suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq
        pq.write_table(pa.Table.from_pylist(rows), path)
    else:
        import openpyxl
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.append(list(rows[0]))
        for r in rows:
            ws.append(list(r.values()))
        wb.save(path)


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet", ".xlsx"])
def test_every_tabular_format_withholds_personal_values(vocab_store, tmp_path, suffix):
    with CUSTOMERS.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    path = tmp_path / f"clients{suffix}"
    _write(rows, path)
    store = vocab_store.path
    vocab_store.close()
    personal = _values(CUSTOMERS, CUSTOMERS_PERSONAL)
    for args in ([], ["--json"]):
        assert _leaked(_draft(store, *args, path), personal) == set()
    assert "VOUCHER" in _draft(store, "--json", path)  # the values were read, and kept
    assert _leaked(_graph_text(store, import_graph("draft", "clients")), personal) == set()
