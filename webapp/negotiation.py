"""Pick a response format from `?format=` or the Accept header (RFC 9110 §12.5.1).

Shared by the SPARQL endpoint, the Graph Store and Linked Data: each offers
an ordered list of formats (its preference breaks ties between equal q-values),
and gets back the chosen one or a 406.
"""

from __future__ import annotations

from dataclasses import dataclass

from werkzeug.exceptions import NotAcceptable

from kg.errors import UsageError


@dataclass(frozen=True)
class Format:
    """One response format: its short name, media type and the types that ask for it."""

    name: str
    media_type: str
    aliases: tuple[str, ...] = ()

    def types(self) -> tuple[str, ...]:
        return (self.media_type, *self.aliases)


JSON = Format("json", "application/sparql-results+json", ("application/json",))
XML = Format("xml", "application/sparql-results+xml", ("application/xml", "text/xml"))
CSV = Format("csv", "text/csv")
TSV = Format("tsv", "text/tab-separated-values")
TURTLE = Format("turtle", "text/turtle", ("application/x-turtle", "application/turtle",
                                          "text/n3"))
NTRIPLES = Format("ntriples", "application/n-triples", ("text/plain",))
JSONLD = Format("jsonld", "application/ld+json")
RDFXML = Format("rdfxml", "application/rdf+xml")
TRIG = Format("trig", "application/trig")
NQUADS = Format("nquads", "application/n-quads")
HTML = Format("html", "text/html", ("application/xhtml+xml",))

TABULAR = (JSON, XML, CSV, TSV)
BOOLEAN = (JSON, XML, CSV, TSV)
RDF_FORMATS = (TURTLE, NTRIPLES, JSONLD, RDFXML, TRIG, NQUADS)
ALL = (*TABULAR, *RDF_FORMATS, HTML)
_BY_NAME = {f.name: f for f in ALL}
_NAME_ALIASES = {"ttl": "turtle", "nt": "ntriples", "n-triples": "ntriples",
                 "json-ld": "jsonld", "rdf": "rdfxml", "rdf/xml": "rdfxml", "nq": "nquads",
                 "srj": "json", "srx": "xml"}


def parse_accept(header: str | None) -> list[tuple[str, str, float, int]]:
    """Parse an Accept header into (type, subtype, q, position) media ranges."""
    out = []
    for pos, part in enumerate((header or "").split(",")):
        fields = [f.strip() for f in part.split(";")]
        mt = fields[0].lower()
        if "/" not in mt:
            continue
        q = 1.0
        for param in fields[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value)))
                except ValueError:
                    q = 0.0
        typ, _, sub = mt.partition("/")
        out.append((typ, sub, q, pos))
    return out


def _quality(ranges, media_type: str) -> float | None:
    """Return the q of the most specific range matching a media type (None: no match)."""
    typ, _, sub = media_type.partition("/")
    best, best_spec = None, -1
    for rt, rs, q, _ in ranges:
        if rt == typ and rs == sub:
            spec = 2
        elif rt == typ and rs == "*":
            spec = 1
        elif rt == "*" and rs == "*":
            spec = 0
        else:
            continue
        if spec > best_spec:
            best, best_spec = q, spec
    return best


def negotiate(offers: tuple[Format, ...] | list[Format], accept: str | None,
              explicit: str | None = None) -> Format:
    """Choose among offers by an explicit format name, else by Accept q-values."""
    if explicit:
        key = explicit.strip().lower()
        key = _NAME_ALIASES.get(key, key)
        chosen = _BY_NAME.get(key) or next((f for f in offers if key in f.types()), None)
        if chosen is None:
            raise UsageError(f"unknown format {explicit!r}; known: "
                             + ", ".join(f.name for f in offers))
        if chosen not in offers:
            raise NotAcceptable(f"format {chosen.name!r} does not fit this answer; "
                                "it can be given as " + ", ".join(f.name for f in offers))
        return chosen
    ranges = parse_accept(accept)
    if not ranges:
        return offers[0]
    best, best_q = None, 0.0
    for f in offers:  # in the server's order of preference: ties keep the first
        q = max((_quality(ranges, t) or 0.0 for t in f.types()), default=0.0)
        if q > best_q:
            best, best_q = f, q
    if best is None:
        raise NotAcceptable("cannot answer in any of the accepted media types "
                            f"({accept}); available: "
                            + ", ".join(f.media_type for f in offers))
    return best

