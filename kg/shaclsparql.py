"""SHACL-SPARQL constraints of node shapes, run as one query per constraint.

pySHACL and pyshacl-turbo evaluate an ``sh:sparql`` constraint once per focus
node (SHACL 1.0 §5.3.1: ``$this`` is pre-bound), which is most of the cost of
validating a mesh: three such constraints took ≈ 12–16 s of a 1,000-product
validation. For a node shape whose targets are declared with sh:targetClass,
sh:targetNode, sh:targetSubjectsOf or sh:targetObjectsOf, pre-binding ``$this``
to each target and evaluating the SELECT is the same as joining the SELECT's
WHERE pattern with a pattern that enumerates those targets, so meshkg runs the
constraint once, over the whole data, in the store's own engine.

Constraints this does not cover are left in the shapes graph for the SHACL
engine: property shapes (``$PATH``), queries that use ``$shapesGraph``,
``$currentShape`` or pre-bound variables other than ``$this``, shapes reached
through sh:node, sh:property, sh:or and the like (their focus nodes are not
the targets), deactivated shapes and ASK-based validators.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SH

from kg.store.base import Store, term_to_sparql

_NESTING = (SH.node, SH.property, SH["or"], SH["and"], SH["not"], SH.xone,
            SH.qualifiedValueShape)
_SEVERITY = {SH.Violation: "Violation", SH.Warning: "Warning", SH.Info: "Info"}
_UNSUPPORTED = re.compile(r"[$?](PATH|shapesGraph|currentShape)\b")
_THIS = re.compile(r"[$?]this\b")
_PLACEHOLDER = re.compile(r"\{[$?]([A-Za-z_][A-Za-z0-9_]*)\}")
_COMPONENT = str(SH.SPARQLConstraintComponent)


@dataclass(frozen=True)
class Constraint:
    """One sh:sparql constraint compiled into a whole-data query."""

    shape: str
    constraint: str
    severity: str
    messages: tuple[str, ...]
    query: str


def split(shapes: Graph) -> tuple[Graph, list[Constraint]]:
    """Return the shapes without the constraints meshkg runs itself, and those constraints."""
    compiled: list[Constraint] = []
    removed: list[tuple] = []
    nested = {o for p in _NESTING for o in shapes.objects(None, p)}
    nested |= {o for lst in shapes.objects(None, SH["or"]) for o in shapes.items(lst)}
    nested |= {o for lst in shapes.objects(None, SH["and"]) for o in shapes.items(lst)}
    nested |= {o for lst in shapes.objects(None, SH.xone) for o in shapes.items(lst)}
    for shape, constraint in sorted(shapes.subject_objects(SH.sparql), key=str):
        c = _compile(shapes, shape, constraint, nested)
        if c is not None:
            compiled.append(c)
            removed.append((shape, SH.sparql, constraint))
    if not removed:
        return shapes, []
    rest = Graph()
    for t in shapes:
        rest.add(t)
    for t in removed:
        rest.remove(t)
    for prefix, ns in shapes.namespaces():
        rest.bind(prefix, ns, override=False)
    return rest, compiled


def _compile(shapes: Graph, shape, constraint, nested) -> Constraint | None:
    if isinstance(shape, BNode) or shape in nested:
        return None
    if (shape, SH.path, None) in shapes or (shape, RDF.type, SH.PropertyShape) in shapes:
        return None
    if _true(shapes.value(shape, SH.deactivated)) or _true(
            shapes.value(constraint, SH.deactivated)):
        return None
    select = shapes.value(constraint, SH.select)
    if select is None:
        return None
    body = str(select)
    if _UNSUPPORTED.search(body) or not _this_in_join_scope(body):
        return None
    targets = _targets(shapes, shape)
    if targets is None:
        return None
    prefixes = _prefixes(shapes, constraint)
    if prefixes is None:
        return None
    brace = body.find("{")
    if brace < 0:
        return None
    query = prefixes + _THIS.sub("?this", body[:brace + 1]) + "\n  " + targets + "\n" \
        + _THIS.sub("?this", body[brace + 1:])
    severity = shapes.value(constraint, SH.severity) or shapes.value(shape, SH.severity) \
        or SH.Violation
    messages = tuple(str(m) for m in shapes.objects(constraint, SH.message)) or tuple(
        str(m) for m in shapes.objects(shape, SH.message))
    return Constraint(shape=str(shape), constraint=_text(constraint),
                      severity=_SEVERITY.get(severity, str(severity)),
                      messages=_preferred(messages, shapes, constraint, shape), query=query)


_TOKENS = re.compile(r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"'
                     r"|'(?:[^'\\\n]|\\.)*'|<[^<>\s{}]*>|#[^\n]*|[{}]|[$?]this\b|[A-Za-z]+")
_GROUP_KEYWORDS = {"optional", "minus", "graph", "service", "exists", "select", "values",
                   "filter", "bind"}


def _this_in_join_scope(body: str) -> bool:
    """True when joining the WHERE pattern with the targets equals pre-binding $this.

    Bottom-up SPARQL evaluation sees an unbound ?this inside nested groups, so the
    translation is exact only where ?this sits in the top-level group, inside a
    FILTER (NOT) EXISTS of that group (which substitutes the current solution), or in a group
    of plain triple patterns (a UNION branch). Anything else is left to the engine.
    """
    stack: list[str] = []
    groups: list[dict] = []
    previous = ""
    for m in _TOKENS.finditer(body):
        tok = m.group(0)
        low = tok.lower()
        if tok == "{":
            kind = previous if previous in _GROUP_KEYWORDS else "group"
            stack.append(kind)
            groups.append({"kind": kind, "depth": len(stack), "plain": True, "this": False})
        elif tok == "}":
            if stack:
                stack.pop()
        elif tok[1:] == "this" and tok[0] in "$?":
            depth = len(stack)
            if depth <= 1:
                pass
            elif stack[1] == "exists":
                pass
            elif depth == 2 and stack[1] == "group":
                _open_group(groups, depth)["this"] = True
            else:
                return False
        elif low in _GROUP_KEYWORDS and len(stack) >= 2 and stack[1] == "group":
            _open_group(groups, 2)["plain"] = False
        if not tok.startswith("#"):
            previous = low
    return all(g["plain"] for g in groups if g["this"])


def _open_group(groups: list[dict], depth: int) -> dict:
    return next(g for g in reversed(groups) if g["depth"] == depth)


def _true(value) -> bool:
    return isinstance(value, Literal) and value.toPython() is True


def _text(node) -> str:
    return f"_:{node}" if isinstance(node, BNode) else str(node)


def _preferred(messages: tuple[str, ...], shapes: Graph, constraint, shape) -> tuple[str, ...]:
    """Order messages English or language-less first, as the report shows one."""
    lits = list(shapes.objects(constraint, SH.message)) or list(shapes.objects(shape, SH.message))
    ranked = sorted(lits, key=lambda m: (getattr(m, "language", None) not in (None, "en"), str(m)))
    return tuple(str(m) for m in ranked) if ranked else messages


def _targets(shapes: Graph, shape) -> str | None:
    """A pattern binding ?this to each target of the shape (None if it has others)."""
    if any(shapes.objects(shape, SH.target)):
        return None
    branches = []
    classes = list(shapes.objects(shape, SH.targetClass))
    if (shape, RDF.type, RDFS.Class) in shapes or (shape, RDF.type, OWL.Class) in shapes:
        classes.append(shape)  # implicit class target (SHACL §2.1.3.3)
    for c in classes:
        branches.append(f"?this <{RDF.type}>/<{RDFS.subClassOf}>* {term_to_sparql(c)} .")
    nodes = list(shapes.objects(shape, SH.targetNode))
    if nodes:
        if any(isinstance(n, BNode) for n in nodes):
            return None
        branches.append("VALUES ?this { " + " ".join(term_to_sparql(n) for n in nodes) + " }")
    for p in shapes.objects(shape, SH.targetSubjectsOf):
        branches.append(f"?this {term_to_sparql(p)} ?_meshkg_o .")
    for p in shapes.objects(shape, SH.targetObjectsOf):
        branches.append(f"?_meshkg_s {term_to_sparql(p)} ?this .")
    if not branches:
        return None
    if len(branches) == 1:
        return "{ SELECT DISTINCT ?this WHERE { " + branches[0] + " } }"
    union = " UNION ".join("{ " + b + " }" for b in branches)
    return "{ SELECT DISTINCT ?this WHERE { " + union + " } }"


def _prefixes(shapes: Graph, constraint) -> str | None:
    lines = []
    for source in shapes.objects(constraint, SH.prefixes):
        for decl in shapes.objects(source, SH.declare):
            prefix = shapes.value(decl, SH.prefix)
            ns = shapes.value(decl, SH.namespace)
            if prefix is None or ns is None:
                return None
            lines.append(f"PREFIX {prefix}: <{ns}>\n")
    return "".join(lines)


def run(store: Store | None, constraints: list[Constraint], *,
        default_graphs: list[str] | None = None, answer=None) -> list[dict]:
    """Run compiled constraints over the store, or through `answer(query)` (a budgeted
    worker holding the data); return one dict per validation result."""
    out: list[dict] = []
    for c in constraints:
        res = (answer(c.query) if answer is not None
               else store.query(c.query, default_graphs=default_graphs))
        for row in res.rows:
            this = row.get("this")
            if this is None:
                continue
            path = row.get("path")
            # without ?value, a node shape's result names the focus node (SHACL §5.3.2)
            value = row.get("value", this)
            out.append({
                "severity": c.severity, "focus": _text(this),
                "path": str(path) if isinstance(path, URIRef) else None,
                "shape": c.shape, "message": _message(c, row),
                "value": None if value is None else str(value),
                "constraint": _COMPONENT})
    return out


def _message(c: Constraint, row: dict) -> str:
    if not c.messages:
        return "fails " + c.constraint
    text = c.messages[0]

    def sub(m: re.Match) -> str:
        name = m.group(1)
        value = row.get(name)
        return m.group(0) if value is None else str(value)

    return _PLACEHOLDER.sub(sub, text)
