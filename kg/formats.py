"""RDF and SPARQL result formats: names, file extensions and media types."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Literal

from kg.errors import FormatMismatch, UsageError


@dataclass(frozen=True)
class RdfFormatInfo:
    """One RDF serialization meshkg reads and writes."""

    name: str
    ox: ox.RdfFormat
    media_type: str
    extensions: tuple[str, ...]
    quads: bool = False


RDF_FORMATS: tuple[RdfFormatInfo, ...] = (
    RdfFormatInfo("turtle", ox.RdfFormat.TURTLE, "text/turtle", (".ttl", ".turtle")),
    RdfFormatInfo("ntriples", ox.RdfFormat.N_TRIPLES, "application/n-triples", (".nt",)),
    RdfFormatInfo("nquads", ox.RdfFormat.N_QUADS, "application/n-quads", (".nq",), True),
    RdfFormatInfo("trig", ox.RdfFormat.TRIG, "application/trig", (".trig",), True),
    RdfFormatInfo("jsonld", ox.RdfFormat.JSON_LD, "application/ld+json", (".jsonld", ".json"),
                  True),
    RdfFormatInfo("rdfxml", ox.RdfFormat.RDF_XML, "application/rdf+xml", (".rdf", ".owl", ".xml")),
)

_ALIASES = {
    "ttl": "turtle", "nt": "ntriples", "n-triples": "ntriples", "nq": "nquads",
    "n-quads": "nquads", "json-ld": "jsonld", "xml": "rdfxml", "rdf/xml": "rdfxml",
    "rdf": "rdfxml", "json": "jsonld",
}


def rdf_format(name: str) -> RdfFormatInfo:
    """Return the RDF format called `name` (a short name or a media type)."""
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    for f in RDF_FORMATS:
        if key in (f.name, f.media_type):
            return f
    if key == "text/n3":
        return rdf_format("turtle")
    known = ", ".join(f.name for f in RDF_FORMATS)
    raise UsageError(f"unknown RDF format {name!r}; known formats: {known}")


def format_for_path(path: Path | str) -> RdfFormatInfo:
    """Guess the RDF format of a file from its extension."""
    suffix = Path(path).suffix.lower()
    for f in RDF_FORMATS:
        if suffix in f.extensions:
            return f
    raise FormatMismatch(
        f"cannot tell the RDF format from the extension {suffix or '(none)'!r}; "
        "use .ttl, .trig, .nt, .nq, .jsonld or .rdf, or give --format",
        source=str(path))


def is_rdf_file(path: Path) -> bool:
    """Tell whether a file's extension names an RDF format meshkg loads."""
    return any(path.suffix.lower() in f.extensions for f in RDF_FORMATS)


RESULT_MEDIA_TYPES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}


# -- what a format can hold ----------------------------------------------------------------
#: characters XML 1.0 cannot hold, not even as character references (its Char production):
#: C0 controls but tab, LF and CR; lone surrogates; U+FFFE and U+FFFF. xsd:string's value
#: space is the same Char production, so a literal holding one is refused on the way in.
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

_XSD = "http://www.w3.org/2001/XMLSchema#"
#: xsd:integer and the types derived from it: the engine (pyoxigraph) reads each as a
#: signed 64-bit integer, so a value outside that range compares as an error
INTEGER_TYPES = frozenset(_XSD + t for t in (
    "integer", "long", "int", "short", "byte", "nonNegativeInteger", "positiveInteger",
    "nonPositiveInteger", "negativeInteger", "unsignedLong", "unsignedInt", "unsignedShort",
    "unsignedByte"))
INT64_MIN, INT64_MAX = -(2 ** 63), 2 ** 63 - 1
_INTEGER = re.compile(r"[+-]?[0-9]+")
XSD_DECIMAL = _XSD + "decimal"
#: the engine's xsd:decimal: a signed 128-bit count of 10^-18 units
DECIMAL_PLACES = 18
_DECIMAL = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?")


def char_name(c: str) -> str:
    """Name a character by its code point (U+0000)."""
    return f"U+{ord(c):04X}"


def shorten(text: str, limit: int = 60, unit: str = "characters") -> str:
    """Quote a value for a message, cut in the middle when long, controls escaped."""
    size = len(text)
    if size > limit:
        text = f"{text[:limit // 2]}…{text[-limit // 4:]}"
    text = ascii(text) if XML_ILLEGAL.search(text) else repr(text)
    return f"{text} ({size:,} {unit})" if size > limit else text


def xml_illegal(text: str) -> str | None:
    """Return the first character of `text` XML 1.0 cannot hold, or None."""
    m = XML_ILLEGAL.search(text)
    return m.group() if m else None


def integer_out_of_range(lexical: str) -> bool:
    """Tell whether an integer lexical form lies outside what the engine compares (64 bits).

    Counted by digits first: int() of a 5,000-digit text is refused by Python (4,300
    digits) and slow well before that.
    """
    text = lexical.strip()
    if not _INTEGER.fullmatch(text):
        return False  # not an integer at all: ill-typed, which is not this check's job
    digits = text.lstrip("+-").lstrip("0")
    if len(digits) > 19:
        return True
    return not INT64_MIN <= int(text) <= INT64_MAX


def decimal_out_of_range(lexical: str) -> bool:
    """Tell whether a decimal lexical form is one the engine cannot read as xsd:decimal:
    more than 18 digits after the point, or beyond about ±1.7×10^20."""
    m = _DECIMAL.fullmatch(lexical.strip())
    if m is None or not (m.group(2) or m.group(3)):
        return False  # ill-typed, which is not this check's job
    whole, places = m.group(2).lstrip("0"), (m.group(3) or "").rstrip("0")
    if len(places) > DECIMAL_PLACES or len(whole) > 21:
        return True
    units = int((whole or "0") + places.ljust(DECIMAL_PLACES, "0"))  # at most 39 digits
    return units > 2 ** 127 - 1  # (a negative bound one unit larger is not worth a case)


def rdflib_literal(value: str, datatype):
    """Make the rdflib Literal of a typed lexical form, never tracing back on huge integers.

    rdflib converts an integer's lexical form with int(), which Python refuses past
    sys.get_int_max_str_digits() digits (4,300) and rdflib then logs with a traceback
    for every such term. Those keep their lexical form and datatype, with no Python
    value (as rdflib does for any lexical form it cannot convert), built without int().
    """
    limit = sys.get_int_max_str_digits()
    if limit and len(value) > limit - 10 and str(datatype) in INTEGER_TYPES:
        lit = Literal(value)
        # Literal's slots, as Literal.__new__ sets them for a form it cannot convert
        lit._datatype = datatype
        lit._value = None
        lit._ill_typed = False
        return lit
    return Literal(value, datatype=datatype)
