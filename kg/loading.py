"""Parse RDF sources safely and load each into its own named graph.

Every file is parsed completely into memory before anything is written
(pyoxigraph never fetches: a remote JSON-LD context is refused unless it is one
of the contexts meshkg ships or the user mapped it to a local file), then written
in one atomic step.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
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
from kg.namespaces import DPROD, DPROD_OLD, GRAPH_PREFIX, META_GRAPH

VOCAB_DIR = Path(__file__).parent / "vocab"

#: the JSON-LD contexts meshkg ships (kg/vocab/, sources in its README): file, what it is,
#: and the URLs documents name it with (each also read with http:// for https://)
SHIPPED_CONTEXTS = (
    ("ODRL22-context.jsonld", "ODRL 2.2", ("https://www.w3.org/ns/odrl.jsonld",)),
    ("dcat-ap-3.0.0-context.jsonld", "DCAT-AP 3.0.0", (
        "https://semiceu.github.io/DCAT-AP/releases/3.0.0/context/dcat-ap.jsonld",
        "https://semiceu.github.io/uri.semic.eu-generated/DCAT-AP/releases/3.0.0/context/"
        "dcat-ap.jsonld")),
    ("dcat-ap-3.0.1-context.jsonld", "DCAT-AP 3.0.1", (
        "https://semiceu.github.io/DCAT-AP/releases/3.0.1/context/dcat-ap.jsonld",
        "https://semiceu.github.io/uri.semic.eu-generated/DCAT-AP/releases/3.0.1/context/"
        "dcat-ap.jsonld")),
    ("dcat-ap-3-examples-context.jsonld", "the DCAT-AP 3.0.0/3.0.1 examples", tuple(
        f"https://semiceu.github.io/{site}DCAT-AP/releases/{v}/html/examples/context.jsonld"
        for site in ("uri.semic.eu-generated/", "") for v in ("3.0.0", "3.0.1"))),
    ("dprod-context.jsonld", "DPROD", (
        "https://ekgf.github.io/dprod/dprod.jsonld",
        "https://ekgf.github.io/dprod/dprod-context.jsonld",
        "https://www.omg.org/spec/DPROD/dprod.jsonld",
        "https://www.omg.org/spec/DPROD/dprod-context.jsonld")),
)

#: JSON-LD contexts meshkg ships, by every URL documents name them with
LOCAL_CONTEXTS = {variant: name for name, _what, urls in SHIPPED_CONTEXTS for url in urls
                  for variant in (url, "http://" + url[len("https://"):])}

#: where the active command maps further remote contexts to local files (URL -> Path):
#: set for the length of a call with mapped_contexts(); parse_bytes reads it when given
#: no `contexts`, so every parse of one `meshkg load` or `meshkg import` sees the mapping
_MAPPED: ContextVar[Mapping[str, Path] | None] = ContextVar("meshkg_jsonld_contexts",
                                                           default=None)


def shipped_contexts_text() -> str:
    """Name the contexts meshkg ships, each with one URL it is known by."""
    return "; ".join(f"{what} ({urls[0]})" for _name, what, urls in SHIPPED_CONTEXTS)


def context_map(entries: Iterable[str], *, origin: str = "jsonld_contexts") -> dict[str, Path]:
    """Read "URL=PATH" entries (the setting jsonld_contexts, --context) into a mapping.

    Each PATH must be a readable JSON-LD context document (a JSON object holding
    "@context"); it is checked now, so a typo is a usage error before anything is read.
    """
    out: dict[str, Path] = {}
    for entry in entries:
        url, sep, path = str(entry).partition("=")
        url, path = url.strip(), path.strip()
        if not sep or not url or not path:
            raise UsageError(f"{origin}: {entry!r} is not URL=PATH (e.g. "
                             "https://example.org/context.jsonld=./context.jsonld)")
        if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", url):
            raise UsageError(f"{origin}: {url!r} is not an absolute URL")
        file = Path(path).expanduser()
        try:
            doc = json.loads(file.read_bytes())
        except FileNotFoundError as exc:
            raise UsageError(f"{origin}: the context file for {url} does not exist: "
                             f"{file}") from exc
        except (OSError, ValueError) as exc:
            raise UsageError(f"{origin}: cannot read the context file {file} for {url}: "
                             f"{exc}") from exc
        if not isinstance(doc, dict) or "@context" not in doc:
            raise UsageError(f"{origin}: {file} is not a JSON-LD context document (a JSON "
                             "object holding \"@context\")")
        out[url] = file
    return out


@contextmanager
def mapped_contexts(mapping: Mapping[str, Path]):
    """Let every parse inside the block read these remote contexts from local files."""
    token = _MAPPED.set(dict(mapping))
    try:
        yield
    finally:
        _MAPPED.reset(token)


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
        data = _localize_contexts(data, source, contexts)
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
            line = _line_of(data, value.strip().encode("utf-8"))
            shown = shorten(value.strip(), 40, "digits")
            raise ParseError(
                f"the integer {shown} of {where} is outside the 64-bit "
                "range meshkg's query engine compares (-9223372036854775808 to "
                "9223372036854775807): FILTER and ORDER BY would silently miss it; give it "
                "as xsd:double (approximate) or as a string", source=source, line=line)
        if dt == XSD_DECIMAL and decimal_out_of_range(value):
            line = _line_of(data, value.strip().encode("utf-8"))
            shown = shorten(value.strip(), 40, "characters")
            raise ParseError(
                f"the decimal {shown} of {where} is outside what meshkg's query engine "
                "reads as xsd:decimal (at most 18 digits after the point, about ±1.7×10^20): "
                "FILTER and ORDER BY would silently miss it; give it as xsd:double "
                "(approximate) or as a string", source=source, line=line)


def _check_well_formed(data: bytes, source: str) -> None:
    """Refuse XML that is not well-formed (pyoxigraph accepts unclosed elements at EOF)."""
    from xml.parsers import expat
    parser = expat.ParserCreate()
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise ParseError(f"not well-formed XML: {expat.ErrorString(exc.code)}", source=source,
                         line=exc.lineno, column=exc.offset + 1) from exc


def _localize_contexts(data: bytes, source: str,
                       contexts: Mapping[str, Path] | None = None) -> bytes:
    """Replace remote @context (and @import) URLs by local contexts; refuse the others.

    A URL is looked up first in `contexts` (the user's mapping: the setting
    jsonld_contexts, `--context URL=PATH`), then in the contexts meshkg ships. Nothing
    is ever fetched.
    """
    try:
        doc = json.loads(data)
    except RecursionError as exc:
        raise HostileInput("JSON-LD nested too deeply", source=source) from exc
    except UnicodeDecodeError as exc:
        raise ParseError(f"invalid UTF-8: {exc}", source=source) from exc
    except json.JSONDecodeError as exc:
        hint = " (this looks like Turtle)" if data.lstrip()[:1] in (b"@", b"<") else ""
        raise FormatMismatch(f"format mismatch: not JSON-LD{hint}: {exc.msg}",
                             source=source, line=exc.lineno, column=exc.colno) from exc
    except ValueError as exc:  # Python refuses int() of over 4,300 digits
        raise ParseError(f"a number too long to read: {exc}; an integer must fit in 64 bits "
                         "(give it as xsd:double or as a string)", source=source) from exc
    mapped = (_MAPPED.get() or {}) if contexts is None else contexts
    changed = False
    loaded: dict[str, object] = {}

    def local(url: str, chain: tuple[str, ...]):
        """Return the @context of the local copy of a remote context URL."""
        nonlocal changed
        if url in chain:
            raise ParseError(f"JSON-LD context {url} includes itself (through "
                             f"{' -> '.join(chain)})", source=source)
        if url not in loaded:
            file = mapped.get(url)
            if file is None and url in LOCAL_CONTEXTS:
                file = VOCAB_DIR / LOCAL_CONTEXTS[url]
            if file is None:
                raise HostileInput(
                    f"the remote JSON-LD @context {url} is not fetched (meshkg never reads "
                    f"the network) and no local copy is mapped to it. meshkg ships the "
                    f"contexts of {shipped_contexts_text()}, under http:// and https:// alike"
                    f"{_mapped_text(mapped)}. Map this one to a local copy with "
                    f"`--context {url}=PATH` (meshkg load, meshkg import) or the setting "
                    f"jsonld_contexts = [\"{url}=PATH\"] (MESHKG_JSONLD_CONTEXTS), "
                    "or inline it in the document", source=source)
            try:
                ctx = json.loads(file.read_bytes())["@context"]
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise UsageError(f"the local copy {file} of the JSON-LD context {url} cannot "
                                 f"be read as a context document: {exc}") from exc
            walk_context(ctx, (*chain, url))
            loaded[url] = ctx
        changed = True
        return loaded[url]

    def fix(ctx, chain=()):
        if isinstance(ctx, str):
            return local(ctx, chain)
        if isinstance(ctx, list):
            return [fix(c, chain) for c in ctx]
        if ctx is None or isinstance(ctx, dict):
            walk_context(ctx, chain)
            return ctx
        raise ParseError(f"invalid JSON-LD @context {ctx!r}", source=source)

    def walk_context(ctx, chain, depth=0):
        """Localize what a context itself names: @import, and scoped contexts of terms."""
        nonlocal changed
        if depth > 50 or not isinstance(ctx, (dict, list)):
            return
        for c in ctx if isinstance(ctx, list) else [ctx]:
            if not isinstance(c, dict):
                continue
            imported = c.get("@import")
            if isinstance(imported, str):
                base = local(imported, chain)
                base = base[0] if isinstance(base, list) and len(base) == 1 else base
                if not isinstance(base, dict):
                    raise ParseError(f"the JSON-LD context {imported} imported by @import is "
                                     "not one context object", source=source)
                del c["@import"]
                for k, v in base.items():
                    c.setdefault(k, v)
                changed = True
            for term in c.values():
                if isinstance(term, dict) and "@context" in term:
                    term["@context"] = fix(term["@context"], chain)

    def walk(node, depth=0, active=None):
        nonlocal changed
        if depth > 200:
            raise HostileInput("JSON-LD nested more than 200 levels deep", source=source)
        active = {} if active is None else active
        if isinstance(node, dict):
            if "@context" in node:
                node["@context"] = fix(node["@context"])
                active = _merge_contexts(active, node["@context"])
            if _apply_type_scopes(node, active):
                changed = True
            for k, v in node.items():
                if k != "@context":
                    walk(v, depth + 1, active)
        elif isinstance(node, list):
            for v in node:
                walk(v, depth + 1, active)

    try:
        walk(doc)
    except RecursionError as exc:
        raise HostileInput("JSON-LD nested too deeply", source=source) from exc
    return json.dumps(doc).encode("utf-8") if changed else data


def _merge_contexts(active: dict, ctx) -> dict:
    """Return the term definitions in force after a (localized) context: enough to find
    the type-scoped contexts of a node's types (JSON-LD 1.1 §4.1.8); not a full context
    processor."""
    out = dict(active)
    for c in ctx if isinstance(ctx, list) else [ctx]:
        if c is None:
            out = {}
        elif isinstance(c, dict):
            out.update(c)
    return out


def _apply_type_scopes(node: dict, active: dict) -> bool:
    """Make a node with several types read every type's scoped context, not only one.

    JSON-LD 1.1 applies the type-scoped contexts of all of a node's types, in the
    lexicographic order of the types (expansion algorithm, step 11); pyoxigraph 0.5
    applies only the last, so a DCAT-AP 3 example typed ["Dataset",
    "DatasetMemberOfADatasetSeries"] lost its title, description and publisher (defined in
    the Dataset scope). The scopes are merged in that order into the node's own context;
    pyoxigraph then applies the last scope over it, which changes nothing. (Unlike a
    type scope, the node's own context also reaches its nested nodes: a key the scopes
    define is read there too.)
    """
    types = node.get("@type")
    if not isinstance(types, list) or len(types) < 2:
        return False
    scopes = [active[t]["@context"] for t in sorted(t for t in types if isinstance(t, str))
              if isinstance(active.get(t), dict) and "@context" in active[t]]
    if len(scopes) < 2:
        return False
    merged: dict = {}
    for scope in scopes:
        merged = _merge_contexts(merged, scope)
    merged.pop("@propagate", None)
    own = node.get("@context")
    node["@context"] = merged if own is None else [
        *(own if isinstance(own, list) else [own]), merged]
    return True


#: containers whose map keys are not terms (languages, indexes, IRIs, types)
_MAP_CONTAINERS = {"@language", "@index", "@id", "@type"}


def undefined_keys(data: bytes) -> dict[str, int]:
    """Count the keys of a JSON-LD text (contexts inlined) that no context in force
    defines: a JSON-LD processor drops them, and with them what they said.

    An approximation of context processing (embedded, type- and property-scoped
    contexts, @vocab), to tell a user which keys were lost; it never changes a parse.
    """
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):
        return {}
    found: dict[str, int] = {}

    def walk(node, active, depth=0):
        if depth > 200:
            return
        if isinstance(node, list):
            for v in node:
                walk(v, active, depth + 1)
            return
        if not isinstance(node, dict):
            return
        if "@context" in node:
            active = _merge_contexts(active, node["@context"])
        here = active
        types = node.get("@type")
        for t in sorted(t for t in (types if isinstance(types, list) else [types])
                        if isinstance(t, str)):
            d = active.get(t)
            if isinstance(d, dict) and "@context" in d:
                here = _merge_contexts(here, d["@context"])
        for k, v in node.items():
            if k.startswith("@"):
                if k in ("@graph", "@list", "@set", "@reverse", "@included", "@nest"):
                    walk(v, active, depth + 1)
                continue
            if k not in here:
                if ":" not in k and "@vocab" not in here:
                    found[k] = found.get(k, 0) + 1
                continue
            d = here[k]
            if d is None or (isinstance(d, dict) and "@id" in d and d["@id"] is None):
                found[k] = found.get(k, 0) + 1
                continue
            if isinstance(d, str) and d.startswith("@"):
                continue  # an alias of a keyword (id, type)
            child = active
            container = set()
            if isinstance(d, dict):
                if isinstance(d.get("@context"), (dict, list)):
                    child = _merge_contexts(active, d["@context"])
                c = d.get("@container")
                container = set(c) if isinstance(c, list) else {c}
            if "@language" in container:
                continue
            if container & _MAP_CONTAINERS and isinstance(v, dict):
                walk(list(v.values()), child, depth + 1)
            else:
                walk(v, child, depth + 1)

    walk(doc, {})
    return found


def _mapped_text(mapped: Mapping[str, Path]) -> str:
    if not mapped:
        return ""
    return "; this command maps " + ", ".join(sorted(mapped)) + " to local files"


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


__all__ = ["GRAPH_PREFIX", "LOCAL_CONTEXTS", "SHIPPED_CONTEXTS", "Parsed", "check_literals",
           "context_map", "expand_paths", "graph_for_path", "mapped_contexts",
           "may_hold_refused_literal", "meta_quads", "parse_bytes", "parse_file", "progress",
           "shipped_contexts_text", "undefined_keys"]
