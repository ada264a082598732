"""The file profiler: datatypes, statistics, sampling, and hostile tabular files."""

from __future__ import annotations

import json
import time

import pytest

from kg.errors import FormatMismatch
from kg.exchange.profile import XSD, profile_file
from kg.exchange.suggest import iban_valid, personal_data, tokens
from kg.namespaces import PD

from .conftest import EXCHANGE


def _cols(path):
    return {c.name: c for c in profile_file(path)[0].columns}


def test_profile_infers_datatypes_nulls_and_ranges():
    cols = _cols(EXCHANGE / "customers.csv")
    assert cols["customer_id"].datatype == XSD + "integer"
    assert (cols["customer_id"].minimum, cols["customer_id"].maximum) == ("1", "4")
    assert cols["lifetime_value"].datatype == XSD + "decimal"
    assert cols["lifetime_value"].null_rate == 0.25
    assert cols["signup_date"].datatype == XSD + "date"
    assert cols["signup_date"].minimum == "2021-01-05"
    assert cols["tender_type"].distinct == 3
    assert cols["tender_type"].examples == ["CASH", "CARD", "VOUCHER"]
    # a personal-data column keeps its counts, not its values (issue 15)
    assert cols["email"].distinct == 4 and cols["email"].examples == []
    assert cols["date_of_birth"].minimum is None and "withheld" in cols["email"].withheld


@pytest.mark.parametrize(("column", "category"), [
    ("email", PD.EmailAddress), ("phone", PD.TelephoneNumber), ("first_name", PD.Name),
    ("last_name", PD.Name), ("street_address", PD.PhysicalAddress), ("iban", PD.BankAccount),
    ("ip", PD.IPAddress), ("date_of_birth", PD.BirthDate)])
def test_personal_data_suggested_for_known_columns(column, category):
    col = _cols(EXCHANGE / "customers.csv")[column]
    found = {s.target: s for s in personal_data(col.name, col.sample)}
    assert str(category) in found
    assert found[str(category)].evidence and 0 < found[str(category)].confidence <= 1


@pytest.mark.parametrize("column", ["customer_id", "signup_date", "lifetime_value",
                                    "tender_type"])
def test_no_personal_data_suggested_for_plain_columns(column):
    col = _cols(EXCHANGE / "customers.csv")[column]
    assert personal_data(col.name, col.sample) == []


def test_ip_addresses_are_not_taken_for_phone_numbers():
    col = _cols(EXCHANGE / "customers.csv")["ip"]
    assert [s.target for s in personal_data(col.name, col.sample)] == [str(PD.IPAddress)]


def test_iban_checksum_decides_not_the_pattern():
    assert iban_valid("DE89 3704 0044 0532 0130 00")
    assert not iban_valid("DE89370400440532013001")
    values = ["DE89370400440532013001", "GB82WEST12345698765431"]  # right shape, bad sum
    assert personal_data("ref", values) == []


@pytest.mark.parametrize(("name", "words"), [
    ("customer_id", ("customer", "id")), ("customerId", ("customer", "id")),
    ("CustomerEmailAddress", ("customer", "email", "address")),
    ("Kunden-Nummer", ("kunden", "nummer")), ("HTTPStatus", ("http", "status"))])
def test_column_names_are_split_into_words(name, words):
    assert tokens(name) == words


def test_csv_with_bom_ragged_rows_and_formulas(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"\xef\xbb\xbfid,name,link\n1,Anna,=HYPERLINK(\"http://x\")\n"
                     b"2,Ben\n3,Clara,ok,extra\n")
    prof = profile_file(path)[0]
    assert [c.name for c in prof.columns] == ["id", "name", "link"]  # BOM gone
    assert any("ragged" in f and "3, 4" in f for f in prof.findings)
    assert any("formula" in f and "link" in f for f in prof.findings)
    link = {c.name: c for c in prof.columns}["link"]
    assert link.examples[0] == '=HYPERLINK("http://x")'  # kept as inert text


def test_csv_without_header_gets_numbered_columns(tmp_path):
    path = tmp_path / "noheader.csv"
    path.write_text("1,2.5,2024-01-01\n2,3.5,2024-01-02\n")
    prof = profile_file(path)[0]
    assert [c.name for c in prof.columns] == ["column_1", "column_2", "column_3"]
    assert any("no header" in f for f in prof.findings)


def test_two_gigabyte_file_is_sampled_not_read(tmp_path):
    path = tmp_path / "huge.csv"
    rows = "".join(f"{i},user{i}@example.org,{i * 1.5}\n" for i in range(2000))
    with path.open("w") as fh:
        fh.write("id,email,amount\n" + rows)
        fh.truncate(2 * 1024 ** 3)  # sparse: no real data behind the size
    start = time.monotonic()
    prof = profile_file(path, head=1000, sample=200)[0]
    assert time.monotonic() - start < 10
    assert prof.sampled and prof.rows_estimated and prof.rows > 1_000_000
    assert {c.name for c in prof.columns} == {"id", "email", "amount"}
    assert any("no readable line" in f for f in prof.findings)


def test_xlsx_formulas_stay_text(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["order_id", "amount", "total"])
    ws.append([1, 10.5, "=B2*2"])
    ws.append([2, 20.0, "=B3*2"])
    wb.save(tmp_path / "orders.xlsx")
    cols = _cols(tmp_path / "orders.xlsx")
    assert cols["total"].examples == ["=B2*2", "=B3*2"]
    assert cols["amount"].datatype == XSD + "decimal"


def test_jsonl_and_parquet_profiles(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    lines = [json.dumps({"id": i, "email": f"u{i}@example.org", "ok": i % 2 == 0})
             for i in range(10)]
    (tmp_path / "events.jsonl").write_text("\n".join(lines) + "\nnot json\n")
    prof = profile_file(tmp_path / "events.jsonl")[0]
    assert {c.name: c.datatype for c in prof.columns}["ok"] == XSD + "boolean"
    assert any("not JSON objects" in f for f in prof.findings)
    table = pa.table({"id": list(range(100)), "price": [i / 3 for i in range(100)]})
    pq.write_table(table, tmp_path / "prices.parquet", row_group_size=10)
    prof = profile_file(tmp_path / "prices.parquet", head=20)[0]
    assert prof.rows == 100 and prof.sampled
    assert {c.name: c.datatype for c in prof.columns}["price"] == XSD + "double"


@pytest.mark.parametrize(("name", "content"), [
    ("data.csv", b"PK\x03\x04zipped"), ("data.csv", b"\x00\x01\x02binary"),
    ("data.csv", b""), ("data.pdf", b"%PDF-1.4"), ("data.parquet", b"not parquet"),
    ("data.xlsx", b"id,name\n1,x\n")])
def test_wrong_file_types_are_a_format_mismatch(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(FormatMismatch):
        profile_file(path)


def test_csv_with_a_quote_never_closed_is_a_parse_error_naming_the_line(tmp_path):
    from kg.errors import ParseError
    path = tmp_path / "orders.csv"
    path.write_text('id,note\n1,fine\n2,"never closed\n3,lost\n')
    with pytest.raises(ParseError) as info:
        profile_file(path)
    assert "orders.csv:3" in info.value.message and "never closed" in info.value.message
