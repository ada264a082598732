"""Read the non-RDF inputs safely: size-limited YAML and JSON (no alias bombs, no deep
nesting, no tags that build objects) and paths that must stay inside a folder."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from kg.errors import FormatMismatch, HostileInput, ParseError, TooLarge, UsageError

MAX_DOCUMENT = 20 * 1024 * 1024
MAX_NODES = 1_000_000
MAX_DEPTH = 200


def read_bytes(path: Path, max_bytes: int = MAX_DOCUMENT) -> bytes:
    """Read a whole (small) file, refusing it above max_bytes."""
    try:
        size = path.stat().st_size
    except FileNotFoundError as exc:
        raise UsageError(f"no such file: {path}") from exc
    if path.is_dir():
        raise UsageError(f"{path} is a directory")
    if size > max_bytes:
        raise TooLarge(f"{path}: {size:,} bytes is over the limit of {max_bytes:,}")
    return path.read_bytes()


def _text(data: bytes, source: str) -> str:
    if not data.strip():
        raise FormatMismatch("format mismatch: the file is empty", source=source)
    if b"\x00" in data[:4096] or data.startswith((b"PK\x03\x04", b"\x1f\x8b", b"%PDF")):
        raise FormatMismatch("format mismatch: this is a binary file, not YAML or JSON",
                             source=source)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(f"invalid UTF-8 at byte {exc.start}", source=source) from exc


def _expanded_size(node, source: str) -> int:
    """Count the nodes a YAML graph expands to (aliases counted at every use)."""
    sizes: dict[int, int] = {}
    busy: set[int] = set()

    def size(n, depth: int) -> int:
        if depth > MAX_DEPTH:
            raise HostileInput(f"YAML nested more than {MAX_DEPTH} levels deep", source=source)
        key = id(n)
        if key in sizes:
            return sizes[key]
        if key in busy:
            raise HostileInput("YAML with a recursive alias is refused", source=source)
        busy.add(key)
        total = 1
        if isinstance(n, yaml.SequenceNode):
            total += sum(size(c, depth + 1) for c in n.value)
        elif isinstance(n, yaml.MappingNode):
            total += sum(size(k, depth + 1) + size(v, depth + 1) for k, v in n.value)
        if total > MAX_NODES:
            raise HostileInput(f"YAML expands to more than {MAX_NODES:,} nodes "
                               "(an alias bomb?); refused", source=source)
        busy.discard(key)
        sizes[key] = total
        return total

    return size(node, 0)


def load_yaml(data: bytes, source: str):
    """Parse YAML with the safe loader, after checking its expanded size and depth."""
    text = _text(data, source)
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise FormatMismatch("format mismatch: the YAML document is empty", source=source)
        _expanded_size(node, source)
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise ParseError(f"not valid YAML: {exc.problem or exc.context}", source=source,
                         line=mark.line + 1 if mark else None,
                         column=mark.column + 1 if mark else None) from exc
    except yaml.YAMLError as exc:
        raise ParseError(f"not valid YAML: {exc}", source=source) from exc
    except RecursionError as exc:
        raise HostileInput("YAML nested too deeply", source=source) from exc
    finally:
        loader.dispose()


def load_json(data: bytes, source: str):
    """Parse JSON, refusing deep nesting."""
    text = _text(data, source)
    try:
        doc = json.loads(text)
    except RecursionError as exc:
        raise HostileInput("JSON nested too deeply", source=source) from exc
    except json.JSONDecodeError as exc:
        raise FormatMismatch(f"format mismatch: not JSON: {exc.msg}", source=source,
                             line=exc.lineno, column=exc.colno) from exc
    _depth(doc, source)
    return doc


def _depth(doc, source: str) -> None:
    stack = [(doc, 0)]
    while stack:
        node, d = stack.pop()
        if d > MAX_DEPTH:
            raise HostileInput(f"JSON nested more than {MAX_DEPTH} levels deep", source=source)
        if isinstance(node, dict):
            stack += [(v, d + 1) for v in node.values()]
        elif isinstance(node, list):
            stack += [(v, d + 1) for v in node]


def load_document(path: Path, max_bytes: int = MAX_DOCUMENT):
    """Load a YAML or JSON file by its extension (YAML for anything else)."""
    data = read_bytes(path, max_bytes)
    if path.suffix.lower() == ".json":
        return load_json(data, str(path))
    return load_yaml(data, str(path))


def inside(root: Path, relative: str, *, source: str | None = None) -> Path:
    """Resolve a relative reference against a folder; refuse one that escapes it."""
    if not relative or "\x00" in relative:
        raise HostileInput(f"invalid reference {relative!r}", source=source)
    if relative.startswith(("/", "\\")) or "://" in relative or (
            len(relative) > 1 and relative[1] == ":"):
        raise HostileInput(f"reference {relative!r} is absolute or remote; only files beside "
                           "the descriptor are read", source=source)
    base = root.resolve()
    target = (base / relative).resolve()
    if target != base and base not in target.parents:
        raise HostileInput(f"reference {relative!r} escapes the folder {root}", source=source)
    return target
