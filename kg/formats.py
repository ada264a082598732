"""RDF and SPARQL result formats: names, file extensions and media types."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

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
