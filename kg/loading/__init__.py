"""Parse RDF sources safely and load each into its own named graph.

Every file is parsed completely into memory before anything is written
(pyoxigraph never fetches: a remote JSON-LD context is refused unless it is one
of the contexts meshkg ships or the user mapped it to a local file), then written
in one atomic step.
"""

from __future__ import annotations

import hashlib
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from kg.errors import FormatMismatch, HostileInput, ParseError, TooLarge, UsageError
from kg.formats import (
    INTEGER_TYPES,
    XSD_DECIMAL,
    RdfFormatInfo,
    char_name,
    decimal_out_of_range,
    format_for_path,
    integer_out_of_range,
    is_rdf_file,
    rdf_format,
    shorten,
    xml_illegal,
)
from kg.loading.jsonld import (
    LOCAL_CONTEXTS,
    SHIPPED_CONTEXTS,
    VOCAB_DIR,
    context_map,
    localize_contexts,
    mapped_contexts,
    shipped_contexts_text,
    undefined_keys,
)
from kg.namespaces import DPROD, DPROD_OLD, GRAPH_PREFIX, META_GRAPH

_NEW_DPROD = str(DPROD)


@dataclass
class Parsed:
    """One parsed source: its quads by graph, ready to write."""

    source: str
    graph: str
    quads: list = field(default_factory=list)
    graphs: set[str] = field(default_factory=set)
    rewritten_dprod: bool = False
    #: JSON-LD keys no context in force defines (dropped on expansion), with their counts
    undefined_keys: dict[str, int] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.quads)


def graph_for_path(path: Path) -> str:
    """Return the named graph a file is loaded into (stable for the same file)."""
    return path.resolve().as_uri()


def _rewrite_term(t):
    if isinstance(t, ox.NamedNode) and t.value.startswith(DPROD_OLD):
        return ox.NamedNode(_NEW_DPROD + t.value[len(DPROD_OLD):])
    if isinstance(t, ox.Literal) and t.datatype.value.startswith(DPROD_OLD):
        return ox.Literal(t.value, datatype=_rewrite_term(t.datatype))
    return t


def _syntax_error(exc: SyntaxError, source: str) -> ParseError:
    line = col = None
    if len(exc.args) > 1 and isinstance(exc.args[1], tuple) and len(exc.args[1]) >= 3:
        line, col = exc.args[1][1], exc.args[1][2]
    msg = exc.args[0] if exc.args else str(exc)
    return ParseError(str(msg), source=source, line=line, column=col)


def _check_bytes(data: bytes, info: RdfFormatInfo, source: str,
                 contexts: Mapping[str, Path] | None = None) -> bytes:
    if not data.strip():
        raise FormatMismatch(f"format mismatch: the file is empty (expected {info.name})",
                             source=source)
    head = data[:4096]
    if head.startswith((b"PK\x03\x04", b"\x1f\x8b", b"%PDF", b"\x89PNG")):
        raise FormatMismatch(
            f"format mismatch: this is a binary file, not {info.name}", source=source)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            data = data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError as exc:
            raise ParseError("invalid UTF-16", source=source) from exc
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    nul = data.find(b"\x00")  # anywhere: a NUL past the first 4 KiB was read as text
    if nul >= 0:
        line, column = _position(data, nul)
        raise FormatMismatch(f"format mismatch: a NUL byte, which no {info.name} text holds "
                             "(this looks like a binary file)", source=source, line=line,
                             column=column)
    if info.name == "rdfxml":
        low = data[:65536].lower()
        if b"<!doctype" in low or b"<!entity" in low:
            raise HostileInput("RDF/XML with a DOCTYPE or ENTITY declaration is refused "
                               "(entity expansion and external entities are unsafe)",
                               source=source)
        _check_well_formed(data, source)
    if info.name == "jsonld":
        data = localize_contexts(data, source, contexts)
    elif data.lstrip()[:1] in (b"{", b"[") and info.name in ("turtle", "trig"):
        # '[' can open a Turtle blank node; only '{' is a clear JSON sign
        if data.lstrip()[:1] == b"{":
            raise FormatMismatch(f"format mismatch: this looks like JSON, not {info.name}",
                                 source=source)
    return data


def _position(data: bytes, offset: int) -> tuple[int, int]:
    """Return the line and column (in characters, from 1) of a byte offset."""
    start = data.rfind(b"\n", 0, offset) + 1
    return (data.count(b"\n", 0, offset) + 1,
            len(data[start:offset].decode("utf-8", "replace")) + 1)


#: signs that a text may hold a literal check_literals refuses: a raw C0 control, U+FFFE
#: or U+FFFF; such a character as a \\u or \\U escape; a run of 19 digits (an integer near
#: or past 64 bits). Only texts showing one are checked literal by literal. Controls and
#: digit runs are found by bytes.translate (a regex took 20 ms a megabyte, this 2).
_CONTROLS = bytes([*range(0, 9), 11, 12, *range(14, 32)])
_NOT_CONTROLS = bytes(b for b in range(256) if b not in _CONTROLS)
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_ESCAPED_ILLEGAL = re.compile(
    rb"\\u(?:00[01][0-9A-Fa-f]|[Dd][89A-Fa-f][0-9A-Fa-f]{2}|[Ff]{3}[EeFf])"
    rb"|\\U0000(?:00[01][0-9A-Fa-f]|[Dd][89A-Fa-f][0-9A-Fa-f]{2}|[Ff]{3}[EeFf])")


def may_hold_refused_literal(data: bytes | str) -> bool:
    """Tell whether a serialized text shows a sign of a literal check_literals refuses."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    return bool(data.translate(None, _NOT_CONTROLS) or b"\xef\xbf\xbe" in data
                or b"\xef\xbf\xbf" in data or _ESCAPED_ILLEGAL.search(data)
                or b"0" * 19 in data.translate(_DIGITS_AS_ZERO))


def _line_of(data: bytes | None, needle: bytes, escaped: int | None = None) -> int | None:
    """Return the line of `needle` in the text (or of a \\u escape of code point `escaped`)."""
    if not data:
        return None
    at = data.find(needle)
    if at < 0 and escaped is not None:
        at = next((m.start() for m in _ESCAPED_ILLEGAL.finditer(data)
                   if int(m.group()[2:], 16) == escaped), -1)
    return None if at < 0 else data.count(b"\n", 0, at) + 1


def check_literals(quads: Iterable, *, source: str, data: bytes | None = None) -> None:
    """Refuse literals meshkg could not serve or compare, naming the literal and its line.

    - A character XML 1.0 cannot hold (C0 controls but tab, LF and CR, U+FFFE, U+FFFF,
      lone surrogates): xsd:string's value space excludes them, and no RDF/XML or SPARQL
      XML answer could carry the literal.
    - An integer (xsd:integer or a type derived from it) outside 64 bits: the engine
      reads those as 64-bit numbers, so `FILTER(?o > 5)` would silently miss it; so
      too a decimal past its 128-bit decimals (18 places, about ±1.7×10^20).
    `quads` are pyoxigraph quads, triples or (subject, predicate, object) tuples; `data`,
    the text they were parsed from, lets the message give the line. Checking every
    literal costs; callers check only texts for which may_hold_refused_literal is true.
    """
    for q in quads:
        s, p, o = q[:3] if isinstance(q, tuple) else (q.subject, q.predicate, q.object)
        if type(o) is not ox.Literal:
            continue
        value = o.value
        where = f"<{s.value}> <{p.value}>" if not isinstance(s, ox.BlankNode) \
            else f"<{p.value}>"
        bad = xml_illegal(value)
        if bad is not None:
            line = _line_of(data, bad.encode("utf-8", "surrogatepass"), ord(bad))
            raise ParseError(
                f"the literal {shorten(value)} of {where} holds {char_name(bad)}, a character "
                "XML 1.0 cannot hold (so neither RDF/XML nor SPARQL XML results could carry "
                "it, and xsd:string excludes it); remove it or write it as text such as "
                f"\"{char_name(bad)}\"", source=source, line=line)
        dt = o.datatype.value
        if dt in INTEGER_TYPES and integer_out_of_range(value):
            raise _out_of_range(
                data, value, where, source, "integer", "digits",
                "the 64-bit range meshkg's query engine compares (-9223372036854775808 to "
                "9223372036854775807)")
        if dt == XSD_DECIMAL and decimal_out_of_range(value):
            raise _out_of_range(
                data, value, where, source, "decimal", "characters",
                "what meshkg's query engine reads as xsd:decimal (at most 18 digits after "
                "the point, about ±1.7×10^20)")


def _out_of_range(data: bytes | None, value: str, where: str, source: str, kind: str,
                  unit: str, bounds: str) -> ParseError:
    """The refusal of a number the query engine would compare wrongly, at its line."""
    line = _line_of(data, value.strip().encode("utf-8"))
    return ParseError(
        f"the {kind} {shorten(value.strip(), 40, unit)} of {where} is outside {bounds}: "
        "FILTER and ORDER BY would silently miss it; give it as xsd:double (approximate) "
        "or as a string", source=source, line=line)


def _check_well_formed(data: bytes, source: str) -> None:
    """Refuse XML that is not well-formed (pyoxigraph accepts unclosed elements at EOF)."""
    from xml.parsers import expat
    parser = expat.ParserCreate()
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise ParseError(f"not well-formed XML: {expat.ErrorString(exc.code)}", source=source,
                         line=exc.lineno, column=exc.offset + 1) from exc


class _StableBlankNodes:
    """Name a document's blank nodes the same on every parse of the same source.

    pyoxigraph gives every parse new blank-node labels, so a re-loaded file differed from
    its old version in every triple with a blank node (3,050 of a 45,246-triple domain
    file), and the gate and inference re-did all of them. Here a labelled node `_:x`
    becomes `_:<salt>l<x>` and the n-th unlabelled one (`[ … ]`, lists, JSON-LD nodes,
    in document order) `_:<salt>n<n>`; the salt hashes the source and its graph, so two
    sources never share a node and the same file re-loaded keeps its nodes.
    """

    def __init__(self, salt: str):
        self.prefix = "k" + hashlib.sha256(salt.encode("utf-8")).hexdigest()[:16]
        self.names: dict = {}

    def __call__(self, term):
        if type(term) is not ox.BlankNode:
            return term
        name = self.names.get(term)
        if name is None:
            v = term.value
            if len(v) >= 16 and all(c in "0123456789abcdef" for c in v):
                # the parser's own labels: a random 128-bit number in hex (no leading 0s)
                v = f"n{len(self.names)}"  # generated by the parser: by document order
            else:
                v = "l" + v
            name = self.names[term] = ox.BlankNode(self.prefix + v)
        return name


def parse_bytes(data: bytes, fmt: str | RdfFormatInfo, *, source: str, graph: str,
                max_bytes: int | None = None, stable_salt: str | None = None,
                contexts: Mapping[str, Path] | None = None) -> Parsed:
    """Parse serialized RDF into quads of `graph` (named graphs in TriG/N-Quads kept).

    Blank nodes get fresh labels, or with `stable_salt` (a whole source that replaces
    what it brought: a file) labels that stay the same on every parse of the same text.
    `contexts` maps remote JSON-LD contexts to local files (default: the mapping of
    the enclosing mapped_contexts block, if any); the shipped ones need no mapping.
    """
    info = fmt if isinstance(fmt, RdfFormatInfo) else rdf_format(fmt)
    if max_bytes is not None and len(data) > max_bytes:
        raise TooLarge(f"{source}: {len(data):,} bytes is over the limit of {max_bytes:,}")
    data = _check_bytes(data, info, source, contexts)
    target = ox.NamedNode(graph)
    rewrite = DPROD_OLD.encode() in data
    out = Parsed(source=source, graph=graph, rewritten_dprod=rewrite)
    if info.name == "jsonld":
        out.undefined_keys = undefined_keys(data)
    stable = _StableBlankNodes(stable_salt) if stable_salt is not None else None
    check = may_hold_refused_literal(data)
    try:
        if not info.quads and not rewrite:
            # one graph and nothing to rewrite: every triple goes to the source's graph
            quad = ox.Quad
            parsed = ox.parse(data, format=info.ox, rename_blank_nodes=stable is None)
            if stable is None:
                out.quads = [quad(t.subject, t.predicate, t.object, target) for t in parsed]
            else:
                out.quads = [quad(stable(t.subject), t.predicate, stable(t.object), target)
                             for t in parsed]
            if check:
                check_literals(out.quads, source=source, data=data)
            out.graphs.add(graph)
            return out
        for q in ox.parse(data, format=info.ox, rename_blank_nodes=stable is None):
            g = q.graph_name
            if isinstance(g, ox.DefaultGraph):
                g = target
            elif isinstance(g, ox.BlankNode):
                g = target  # an unnamed graph of the file belongs to its source graph
            s, p, o = q.subject, q.predicate, q.object
            if rewrite:
                s, p, o = _rewrite_term(s), _rewrite_term(p), _rewrite_term(o)
            if stable is not None:
                s, o = stable(s), stable(o)
            out.quads.append(ox.Quad(s, p, o, g))
            out.graphs.add(g.value)
    except SyntaxError as exc:
        raise _syntax_error(exc, source) from exc
    except RecursionError as exc:
        raise HostileInput("input nested too deeply", source=source) from exc
    if check:
        check_literals(out.quads, source=source, data=data)
    out.graphs.add(graph)
    return out


def parse_file(path: Path, fmt: str | None = None, *, graph: str | None = None,
               max_bytes: int | None = None,
               contexts: Mapping[str, Path] | None = None) -> Parsed:
    """Read and parse one file; its graph defaults to the file's own IRI."""
    info = rdf_format(fmt) if fmt else format_for_path(path)
    try:
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            raise TooLarge(f"{path}: {size:,} bytes is over the limit of {max_bytes:,}")
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise UsageError(f"no such file: {path}") from exc
    except IsADirectoryError as exc:
        raise UsageError(f"{path} is a directory") from exc
    except PermissionError as exc:
        raise UsageError(f"cannot read {path}: permission denied") from exc
    graph = graph or graph_for_path(path)
    return parse_bytes(data, info, source=str(path), graph=graph, max_bytes=max_bytes,
                       stable_salt=f"{graph}\n{path.resolve()}", contexts=contexts)


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Expand folders into the RDF files they hold, sorted; keep files as given."""
    out: list[Path] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            found = sorted(f for f in path.rglob("*") if f.is_file() and is_rdf_file(f))
            if not found:
                raise UsageError(f"no RDF files (.ttl, .trig, .nt, .nq, .jsonld, .rdf) in {path}")
            out.extend(found)
        elif path.exists():
            out.append(path)
        else:
            raise UsageError(f"no such file or folder: {path}")
    return out


def meta_quads(parsed: Parsed, kind: str = "file") -> list:
    """Describe where a graph came from (source, time, triple count) in the meta graph."""
    from kg.namespaces import MESH
    meta = ox.NamedNode(META_GRAPH)
    g = ox.NamedNode(parsed.graph)
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    xsd = "http://www.w3.org/2001/XMLSchema#"
    return [
        ox.Quad(g, ox.NamedNode("http://purl.org/dc/terms/source"), ox.Literal(parsed.source),
                meta),
        ox.Quad(g, ox.NamedNode("http://purl.org/dc/terms/modified"),
                ox.Literal(now, datatype=ox.NamedNode(xsd + "dateTime")), meta),
        ox.Quad(g, ox.NamedNode(str(MESH.sourceKind)), ox.Literal(kind), meta),
        ox.Quad(g, ox.NamedNode(str(MESH.tripleCount)),
                ox.Literal(str(parsed.count), datatype=ox.NamedNode(xsd + "integer")), meta),
    ]


def progress(items: list, label: str, *, enabled: bool | None = None):
    """Iterate with a progress bar on a terminal; quietly when piped."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled or len(items) < 2:
        yield from items
        return
    from rich.progress import Progress
    with Progress(transient=True) as bar:
        task = bar.add_task(label, total=len(items))
        for item in items:
            yield item
            bar.advance(task)


__all__ = ["GRAPH_PREFIX", "LOCAL_CONTEXTS", "SHIPPED_CONTEXTS", "VOCAB_DIR", "Parsed",
           "check_literals", "context_map", "expand_paths", "graph_for_path",
           "mapped_contexts", "may_hold_refused_literal", "meta_quads", "parse_bytes",
           "parse_file", "progress", "shipped_contexts_text", "undefined_keys"]
