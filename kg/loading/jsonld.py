"""JSON-LD contexts, read locally: the ones meshkg ships, the ones a user maps to files.

pyoxigraph never fetches a remote @context; this module replaces each one a document (or
a context's @import) names by a local copy before parsing, or refuses the document naming
what is shipped and how to map another (`--context URL=PATH`, the setting
jsonld_contexts). It also works around what pyoxigraph's JSON-LD reader gets wrong or
leaves silent: the scoped contexts of a node with several types, and the keys no context
defines (dropped on expansion, counted by undefined_keys).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from kg.errors import FormatMismatch, HostileInput, ParseError, UsageError

VOCAB_DIR = Path(__file__).resolve().parent.parent / "vocab"

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
    """Name the contexts meshkg ships, each with the first URL it has on each site."""
    def first_per_site(urls):
        sites: dict[str, str] = {}
        for url in urls:
            sites.setdefault(url.split("/")[2], url)
        return ", ".join(sites.values())
    return "; ".join(f"{what} ({first_per_site(urls)})" for _name, what, urls in SHIPPED_CONTEXTS)


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


def localize_contexts(data: bytes, source: str,
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
        start = data.lstrip()[:1]
        if start in (b"{", b"["):  # JSON-LD written with a JSON mistake: say that
            raise ParseError(f"malformed JSON: {exc.msg} (JSON-LD must be well-formed JSON)",
                             source=source, line=exc.lineno, column=exc.colno) from exc
        hint = " (this looks like Turtle)" if start in (b"@", b"<") else ""
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
