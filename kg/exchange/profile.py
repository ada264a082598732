"""Profile tabular files (CSV, TSV, XLSX, JSON Lines, Parquet) without reading them whole.

A file is read in full only when it is small; otherwise the profile is built from
the first rows plus a random sample taken by seeking into the file (text formats) or
by picking row groups (Parquet), and the row count is estimated and marked so.
Values are never evaluated: spreadsheet formulas stay inert text. A column that looks
like personal data (kg.exchange.suggest.personal_data, by its name or its values) keeps
no example values and no minimum or maximum: the profile is printed and stored in a
catalog anyone may read, so the values it holds never leave the sample.
"""

from __future__ import annotations

import csv
import json
import random
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from kg.errors import FormatMismatch, ParseError, UsageError
from kg.exchange.suggest import looks_like_personal_value, personal_data

XSD = "http://www.w3.org/2001/XMLSchema#"
HEAD_ROWS = 5_000
SAMPLE_ROWS = 5_000
FULL_READ_BYTES = 32 * 1024 * 1024
MAX_LINE = 1024 * 1024
MAX_XLSX_ROWS = 200_000
FORMATS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".xlsx": "xlsx", ".xlsm": "xlsx",
           ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet", ".pq": "parquet"}
_FORMULA = re.compile(r"^[=+\-@]\s*[A-Za-z_(]")
_INT = re.compile(r"^[+-]?\d{1,18}$")
_DEC = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
_BOOL = {"true", "false", "yes", "no", "t", "f", "y", "n"}
_NULLS = {"", "null", "none", "na", "n/a", "nan", "\\n"}


@dataclass
class ColumnProfile:
    """What the sampled values of one column look like."""

    name: str
    datatype: str = XSD + "string"
    values: int = 0
    nulls: int = 0
    distinct: int = 0
    examples: list[str] = field(default_factory=list)
    minimum: str | None = None
    maximum: str | None = None
    formulas: int = 0
    sample: list[str] = field(default_factory=list)
    #: why examples, minimum and maximum are not kept (the column looks like personal data)
    withheld: str | None = None

    @property
    def null_rate(self) -> float:
        """Share of sampled rows where the column is empty."""
        total = self.values + self.nulls
        return round(self.nulls / total, 4) if total else 0.0

    def to_json(self) -> dict:
        """Return the profile without the raw sample (and without the examples and range
        of a column that looks like personal data)."""
        out = {"name": self.name, "datatype": self.datatype, "values": self.values,
               "nulls": self.nulls, "null_rate": self.null_rate, "distinct": self.distinct,
               "examples": self.examples, "min": self.minimum, "max": self.maximum,
               "formulas": self.formulas}
        if self.withheld:
            out["withheld"] = self.withheld
        return out

    def withhold(self, why: str) -> None:
        """Drop the examples and the range: they would print personal data."""
        self.examples, self.minimum, self.maximum = [], None, None
        self.withheld = f"example values and min/max withheld: {why}"


@dataclass
class FileProfile:
    """The profile of one file (or one sheet of a workbook)."""

    path: str
    format: str
    name: str
    rows: int = 0
    rows_estimated: bool = False
    sampled: bool = False
    columns: list[ColumnProfile] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        """Return the profile as JSON-ready data."""
        return {"path": self.path, "format": self.format, "name": self.name,
                "rows": self.rows, "rows_estimated": self.rows_estimated,
                "sampled": self.sampled, "columns": [c.to_json() for c in self.columns],
                "findings": self.findings}


def detect_format(path: Path) -> str:
    """Return the tabular format of a file by its extension; refuse others."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise FormatMismatch(f"format mismatch: {path.suffix or 'no extension'} is not a "
                             f"tabular format ({', '.join(sorted(FORMATS))})", source=str(path))
    return fmt


def tabular_files(paths: Iterable[str | Path]) -> list[Path]:
    """Expand folders into the tabular files they hold; keep named files as given."""
    out: list[Path] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            out += sorted(f for f in path.rglob("*") if f.is_file()
                          and f.suffix.lower() in FORMATS and not f.is_symlink())
        elif path.exists() or path.is_symlink():
            out.append(path)
        else:
            raise UsageError(f"no such file or folder: {path}")
    return out


def profile_file(path: Path, *, head: int = HEAD_ROWS, sample: int = SAMPLE_ROWS,
                 seed: int = 0) -> list[FileProfile]:
    """Profile a file: one profile per file, or per sheet of a workbook."""
    fmt = detect_format(path)
    if not path.is_file():
        raise UsageError(f"{path} is not a regular file")
    if path.stat().st_size == 0:
        raise FormatMismatch("format mismatch: the file is empty", source=str(path))
    rng = random.Random(seed)
    if fmt in ("csv", "tsv"):
        out = [_profile_delimited(path, fmt, head, sample, rng)]
    elif fmt == "jsonl":
        out = [_profile_jsonl(path, head, sample, rng)]
    elif fmt == "xlsx":
        out = _profile_xlsx(path, head, sample, rng)
    else:
        out = [_profile_parquet(path, head, sample, rng)]
    for profile in out:
        _withhold_personal(profile)
    return out


def _withhold_personal(profile: FileProfile) -> None:
    """Keep no example or range of a column that looks like personal data."""
    for c in profile.columns:
        personal = personal_data(c.name, c.sample, table=profile.name)
        if personal:
            c.withhold("the column looks like personal data ("
                       + ", ".join(dict.fromkeys(s.label for s in personal)) + ")")


# -- reading lines: the head, then a seek-based sample of the rest ---------------------

def _check_text_head(raw: bytes, source: str) -> None:
    if raw.startswith((b"PK\x03\x04", b"\x1f\x8b", b"%PDF", b"\x89PNG", b"PAR1")):
        raise FormatMismatch("format mismatch: this is a binary file, not text",
                             source=source)
    if b"\x00" in raw[:4096]:
        raise FormatMismatch("format mismatch: the file holds NUL bytes, not text",
                             source=source)


def _decode(raw: bytes) -> tuple[str, str]:
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", "replace"), "utf-8 (BOM removed)"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "latin-1 (not valid UTF-8)"


def _lines(path: Path, head: int, sample: int, rng: random.Random,
           findings: list[str]) -> tuple[list[str], list[str], int, bool]:
    """Return head lines, sampled lines, the (estimated) line count and whether sampled."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        first = fh.read(min(size, 4096))
        _check_text_head(first, str(path))
        fh.seek(0)
        if size <= FULL_READ_BYTES:
            text, enc = _decode(fh.read())
            if enc != "utf-8":
                findings.append(f"encoding: {enc}")
            lines = text.splitlines()
            rest = lines[head:]
            picked = rest if len(rest) <= sample else rng.sample(rest, sample)
            return lines[:head], picked, len(lines), False
        head_lines: list[str] = []
        consumed = 0
        enc_note = None
        while len(head_lines) < head:
            raw = fh.readline(MAX_LINE)
            if not raw:
                break
            consumed += len(raw)
            if b"\x00" in raw:
                break
            text, enc = _decode(raw) if not head_lines else (_decode(raw)[0], None)
            enc_note = enc_note or enc
            head_lines.append(text.rstrip("\r\n"))
        if enc_note and enc_note != "utf-8":
            findings.append(f"encoding: {enc_note}")
        sampled: list[str] = []
        unreadable = 0
        span = size - consumed
        for _ in range(sample):
            if span <= 0:
                break
            fh.seek(consumed + rng.randrange(span))
            fh.readline(64 * 1024)  # skip to the start of the next whole line
            raw = fh.readline(64 * 1024)
            if not raw or b"\x00" in raw or not raw.endswith(b"\n"):
                unreadable += 1
                continue
            sampled.append(_decode(raw)[0].rstrip("\r\n"))
        if unreadable:
            findings.append(f"{unreadable} of {sample} random probes into the file found no "
                            "readable line (NUL bytes or over-long lines)")
        avg = max(consumed / max(len(head_lines), 1), 1)
        return head_lines, sampled, int(size / avg), True


def _open_quote_line(lines: list[str], delimiter: str) -> int:
    """Return the line (1-based) where the field that is never closed opens."""
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    start = 1
    try:
        for _ in reader:
            start = reader.line_num + 1
    except csv.Error:
        pass
    return start


def _profile_delimited(path: Path, fmt: str, head: int, sample: int,
                       rng: random.Random) -> FileProfile:
    findings: list[str] = []
    head_lines, sampled, total, was_sampled = _lines(path, head, sample, rng, findings)
    if not head_lines:
        raise FormatMismatch("format mismatch: no readable lines", source=str(path))
    delimiter = "\t" if fmt == "tsv" else _sniff(head_lines[:20])
    reader = csv.reader(head_lines, delimiter=delimiter, strict=True)
    try:
        rows = list(reader)
    except csv.Error as exc:
        # a quote opened and never closed: the rest of the file would be one cell
        start = _open_quote_line(head_lines, delimiter)
        if not was_sampled and len(head_lines) < head:
            raise ParseError(f"{exc}: the quoted field that starts on line {start} is never "
                             "closed", source=str(path), line=start) from exc
        findings.append(f"a quoted field starting on line {start} is not closed within the "
                        f"first {len(head_lines)} lines")
        rows = list(csv.reader(head_lines, delimiter=delimiter))
    rows += list(csv.reader(sampled, delimiter=delimiter))
    rows = [r for r in rows if r]
    header = [h.strip() for h in rows[0]]
    if _looks_like_data(header):
        findings.append("no header row: the first row holds values; columns are numbered")
        header = [f"column_{i + 1}" for i in range(len(header))]
        body = rows
    else:
        body = rows[1:]
    header = _unique_names(header)
    ragged = [i + 2 for i, r in enumerate(body) if len(r) != len(header)]
    if ragged:
        findings.append(f"{len(ragged)} ragged rows (field count differs from the "
                        f"{len(header)}-column header), first at lines "
                        f"{', '.join(map(str, ragged[:10]))}; missing cells read as empty, "
                        "extra cells ignored")
    cols = _columns(header, ([r[i] if i < len(r) else None for i in range(len(header))]
                             for r in body))
    if body is rows:
        # no name says what a text column holds, and names fit no value pattern
        for c in cols:
            if c.datatype == XSD + "string" and not c.withheld:
                c.withhold("the file has no header row, so nothing says whether this text "
                           "column holds personal data")
    out = FileProfile(str(path), fmt, path.stem, rows=max(total - 1, 0),
                      rows_estimated=was_sampled, sampled=was_sampled, columns=cols,
                      findings=findings)
    _note_formulas(out)
    return out


def _sniff(lines: list[str]) -> str:
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _looks_like_data(header: list[str]) -> bool:
    filled = [h for h in header if h]
    # a "header" holding an e-mail address or a phone number is a first row of data: read
    # as names, its values would be printed and stored as column names
    return bool(filled) and (all(_DEC.match(h) or _DATE.match(h) or "@" in h for h in filled)
                             or any(looks_like_personal_value(h) for h in filled))


def _unique_names(names: list[str]) -> list[str]:
    out: list[str] = []
    for i, n in enumerate(names):
        n = n or f"column_{i + 1}"
        base, k = n, 2
        while n in out:
            n, k = f"{base}_{k}", k + 1
        out.append(n)
    return out


def _note_formulas(profile: FileProfile) -> None:
    hits = [c.name for c in profile.columns if c.formulas]
    if hits:
        profile.findings.append("formula-like cells kept as inert text in columns: "
                                + ", ".join(hits))


def _profile_jsonl(path: Path, head: int, sample: int, rng: random.Random) -> FileProfile:
    findings: list[str] = []
    head_lines, sampled, total, was_sampled = _lines(path, head, sample, rng, findings)
    records, bad = [], []
    for i, line in enumerate(head_lines + sampled):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            bad.append(i + 1)
            continue
        if isinstance(rec, dict):
            records.append(rec)
        else:
            bad.append(i + 1)
    if not records:
        raise FormatMismatch("format mismatch: no JSON object on any line", source=str(path))
    if bad:
        findings.append(f"{len(bad)} lines are not JSON objects (first: "
                        f"{', '.join(map(str, bad[:10]))}); skipped")
    names = list(dict.fromkeys(k for r in records for k in r))
    cols = _columns(names, ([_cell(r.get(n)) for n in names] for r in records),
                    native=[[r.get(n) for r in records] for n in names])
    return FileProfile(str(path), "jsonl", path.stem, rows=total, rows_estimated=was_sampled,
                       sampled=was_sampled, columns=cols, findings=findings)


def _cell(v) -> str | None:
    if v is None:
        return None
    if isinstance(v, dict | list):
        return json.dumps(v, ensure_ascii=False)[:200]
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _profile_xlsx(path: Path, head: int, sample: int, rng: random.Random) -> list[FileProfile]:
    try:
        import openpyxl
    except ImportError as exc:  # pragma: no cover - a dependency
        raise UsageError("reading .xlsx needs openpyxl (pip install openpyxl)") from exc
    import warnings
    import zipfile
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about unsupported extensions
            wb = openpyxl.load_workbook(path, read_only=True, data_only=False,
                                        keep_links=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FormatMismatch(f"format mismatch: not a readable .xlsx workbook ({exc})",
                             source=str(path)) from exc
    out = []
    try:
        for ws in wb.worksheets:
            rows: list[list[str | None]] = []
            reservoir: list[list[str | None]] = []
            seen = 0
            header = None
            for raw in ws.iter_rows(values_only=True):
                if header is None:
                    if not any(v is not None for v in raw):
                        continue
                    header = _unique_names([_xl(v) or "" for v in raw])
                    continue
                seen += 1
                row = [_xl(v) for v in raw]
                if len(rows) < head:
                    rows.append(row)
                elif len(reservoir) < sample:
                    reservoir.append(row)
                else:
                    j = rng.randrange(seen)
                    if j < sample:
                        reservoir[j] = row
                if seen >= MAX_XLSX_ROWS:
                    break
            if header is None:
                continue
            body = rows + reservoir
            cols = _columns(header, ([r[i] if i < len(r) else None
                                      for i in range(len(header))] for r in body))
            prof = FileProfile(str(path), "xlsx", f"{path.stem}-{ws.title}"
                               if len(wb.worksheets) > 1 else path.stem,
                               rows=seen, rows_estimated=seen >= MAX_XLSX_ROWS,
                               sampled=seen > head, columns=cols)
            if seen >= MAX_XLSX_ROWS:
                prof.findings.append(f"sheet {ws.title!r}: stopped after {MAX_XLSX_ROWS:,} rows")
            _note_formulas(prof)
            out.append(prof)
    finally:
        wb.close()
    if not out:
        raise FormatMismatch("format mismatch: the workbook has no rows", source=str(path))
    return out


def _xl(v) -> str | None:
    if v is None:
        return None
    if isinstance(v, datetime):
        return v.isoformat() if (v.hour, v.minute, v.second) != (0, 0, 0) else \
            v.date().isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _profile_parquet(path: Path, head: int, sample: int, rng: random.Random) -> FileProfile:
    try:
        import pyarrow.parquet as pq
        from pyarrow import ArrowException
    except ImportError as exc:  # pragma: no cover - a dependency
        raise UsageError("reading Parquet needs pyarrow (pip install pyarrow)") from exc
    try:
        pf = pq.ParquetFile(path)
    except (ArrowException, OSError) as exc:
        raise FormatMismatch(f"format mismatch: not a readable Parquet file ({exc})",
                             source=str(path)) from exc
    names = pf.schema_arrow.names
    types = {n: _arrow_xsd(pf.schema_arrow.field(n).type) for n in names}
    groups = list(range(pf.num_row_groups))
    records: list[dict] = []
    try:
        for batch in pf.iter_batches(batch_size=min(head, 10_000)):
            records += batch.to_pylist()
            if len(records) >= head:
                break
        rest = groups[1:]
        rng.shuffle(rest)
        for g in rest[:4]:
            rows = pf.read_row_group(g).to_pylist()
            records += rng.sample(rows, min(len(rows), sample // 4))
    except (ArrowException, OSError) as exc:
        raise ParseError(f"cannot read Parquet data: {exc}", source=str(path)) from exc
    cols = _columns(names, ([_cell(r.get(n)) for n in names] for r in records))
    for c in cols:
        c.datatype = types[c.name] or c.datatype
    total = pf.metadata.num_rows
    return FileProfile(str(path), "parquet", path.stem, rows=total,
                       sampled=len(records) < total, columns=cols)


def _arrow_xsd(t) -> str | None:
    import pyarrow.types as pt
    if pt.is_boolean(t):
        return XSD + "boolean"
    if pt.is_integer(t):
        return XSD + "integer"
    if pt.is_floating(t):
        return XSD + "double"
    if pt.is_decimal(t):
        return XSD + "decimal"
    if pt.is_timestamp(t):
        return XSD + "dateTime"
    if pt.is_date(t):
        return XSD + "date"
    if pt.is_string(t) or pt.is_large_string(t):
        return XSD + "string"
    return None


# -- columns -----------------------------------------------------------------------------

def _columns(names: list[str], rows: Iterator[list], native=None) -> list[ColumnProfile]:
    cols = [ColumnProfile(n) for n in names]
    values: list[list[str]] = [[] for _ in names]
    for row in rows:
        for i, v in enumerate(row):
            if v is None or str(v).strip().lower() in _NULLS:
                cols[i].nulls += 1
            else:
                values[i].append(str(v))
    for c, vals in zip(cols, values, strict=True):
        c.values = len(vals)
        c.formulas = sum(1 for v in vals if _FORMULA.match(v))
        distinct = list(dict.fromkeys(vals))
        c.distinct = len(distinct)
        c.examples = [v[:100] for v in distinct[:5]]
        c.sample = distinct[:500]
        c.datatype = _infer(vals)
        c.minimum, c.maximum = _range(c.datatype, vals)
    return cols


def _infer(vals: list[str]) -> str:
    if not vals:
        return XSD + "string"
    s = [v.strip() for v in vals]
    if all(_INT.match(v) for v in s):
        return XSD + "integer"
    if all(_DEC.match(v) for v in s):
        return XSD + "decimal"
    if all(v.lower() in _BOOL for v in s) and len({v.lower() for v in s}) <= 2:
        return XSD + "boolean"
    if all(_DATE.match(v) for v in s):
        return XSD + "date"
    if all(_DATETIME.match(v) or _DATE.match(v) for v in s):
        return XSD + "dateTime"
    return XSD + "string"


def _range(datatype: str, vals: list[str]) -> tuple[str | None, str | None]:
    kind = datatype[len(XSD):]
    if not vals:
        return None, None
    if kind in ("integer", "decimal", "double"):
        try:
            nums = [Decimal(v.strip()) for v in vals]
        except InvalidOperation:
            return None, None
        return str(min(nums)), str(max(nums))
    if kind in ("date", "dateTime"):
        s = sorted(v.strip() for v in vals)
        return s[0], s[-1]
    return None, None
