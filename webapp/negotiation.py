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
    aliases: tuple[str, ...] = ()  # media types that ask for it, matched exactly
    names: tuple[str, ...] = ()  # other `?format=` names (SPARQLWrapper sends its own)

    def types(self) -> tuple[str, ...]:
        return (self.media_type, *self.aliases)

    def quality(self, ranges) -> float:
        """Return the q a client gives this format; wildcards match the main type only."""
        q = _quality(ranges, self.media_type) or 0.0
        for alias in self.aliases:
            q = max(q, _quality(ranges, alias, exact=True) or 0.0)
        return q


JSON = Format("json", "application/sparql-results+json", ("application/json",), ("srj",))
XML = Format("xml", "application/sparql-results+xml", ("application/xml", "text/xml"),
             ("srx",))
CSV = Format("csv", "text/csv")
TSV = Format("tsv", "text/tab-separated-values")
TURTLE = Format("turtle", "text/turtle", ("application/x-turtle", "application/turtle",
                                          "text/n3"), ("ttl", "n3"))
NTRIPLES = Format("ntriples", "application/n-triples", ("text/plain",), ("nt", "n-triples"))
JSONLD = Format("jsonld", "application/ld+json", ("application/json",), ("json-ld", "json"))
RDFXML = Format("rdfxml", "application/rdf+xml", ("application/xml", "text/xml"),
                ("rdf", "rdf/xml", "xml"))
TRIG = Format("trig", "application/trig")
NQUADS = Format("nquads", "application/n-quads", (), ("nq", "n-quads"))
HTML = Format("html", "text/html", ("application/xhtml+xml",))

TABULAR = (JSON, XML, CSV, TSV)
BOOLEAN = (JSON, XML, CSV, TSV)
RDF_FORMATS = (TURTLE, NTRIPLES, JSONLD, RDFXML, TRIG, NQUADS)
ALL = (*TABULAR, *RDF_FORMATS, HTML)


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


def _quality(ranges, media_type: str, *, exact: bool = False) -> float | None:
    """Return the q of the most specific range matching a media type (None: no match)."""
    typ, _, sub = media_type.partition("/")
    best, best_spec = None, -1
    for rt, rs, q, _ in ranges:
        if rt == typ and rs == sub:
            spec = 2
        elif exact:
            continue
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
        for pool in (offers, ALL):  # a name means what fits this answer ("xml" of a graph)
            for f in pool:
                if key == f.name or key in f.names or key in f.types():
                    if pool is offers:
                        return f
                    raise NotAcceptable(f"format {f.name!r} does not fit this answer; it "
                                        "can be given as " + ", ".join(o.name for o in offers))
        raise UsageError(f"unknown format {explicit!r}; known: "
                         + ", ".join(f.name for f in offers))
    ranges = parse_accept(accept)
    if not ranges:
        return offers[0]
    best, best_q = None, 0.0
    for f in offers:  # in the server's order of preference: ties keep the first
        q = f.quality(ranges)
        if q > best_q:
            best, best_q = f, q
    if best is None:
        raise NotAcceptable("cannot answer in any of the accepted media types "
                            f"({accept}); available: "
                            + ", ".join(f.media_type for f in offers))
    return best

