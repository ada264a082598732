"""The mapping between the steward's web forms and triples.

`concept_values`/`product_values` turn a description into form values;
`concept_triples`/`product_triples` turn submitted values back into the resource's new
description, keeping every triple the form does not manage, and raise InvalidInput
with per-field messages; `field_of` places a SHACL finding beside its form field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import pyoxigraph as ox

from kg.curation.description import RDF_TYPE, Description, _closure, _n
from kg.errors import InvalidInput
from kg.namespaces import (
    DCAT,
    DCTERMS,
    DPROD,
    DPV,
    MESH,
    ODRL,
    PREFIXES,
    PROV,
    RAI,
    RDF,
    RDFS,
    SKOS,
)
from kg.queries import load_query
from kg.store.base import Store

IRI_SCHEMES = ("http://", "https://", "urn:")
_BAD_IRI_CHARS = set('<>"{}|^`\\ \n\r\t')
_LANG = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")
#: ODRL 2.2 constraint operators (ODRL Vocabulary §4.21)
ODRL_OPERATORS = ("eq", "neq", "gt", "gteq", "lt", "lteq", "isA", "isAnyOf", "isAllOf",
                  "isNoneOf", "isPartOf", "hasPart")
SENSITIVITY = ("Public", "Internal", "Confidential", "Restricted")


def expand_iri(text: str, *, what: str, prefixes: Mapping[str, str] = PREFIXES) -> str:
    """Return a full IRI from an IRI or a known prefixed name; refuse other schemes."""
    text = text.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1].strip()
    head, sep, local = text.partition(":")
    if sep and head in prefixes and not local.startswith("//"):
        text = prefixes[head] + local
    if not text.lower().startswith(IRI_SCHEMES):
        raise ValueError(f"{what}: {text!r} is not an http, https or urn IRI "
                         "(nor a known prefixed name such as skos:Concept)")
    if any(c in _BAD_IRI_CHARS for c in text) or len(text) > 2000:
        raise ValueError(f"{what}: {text!r} is not a valid IRI")
    return text


class _Builder:
    """Collect triples and per-field errors while reading form values."""

    def __init__(self, iri: str):
        self.s = ox.NamedNode(iri)
        self.triples: list[tuple] = []
        self.errors: dict[str, list[str]] = {}

    def error(self, key: str, message: str) -> None:
        """Note a message about one form field."""
        self.errors.setdefault(key, []).append(message)

    def iri(self, key: str, text: str, what: str):
        """Return the IRI a field's text names, else None and a message about the field."""
        try:
            return ox.NamedNode(expand_iri(text, what=what))
        except ValueError as exc:
            self.error(key, str(exc))
            return None

    def add(self, s, p, o) -> None:
        """Add a triple unless its subject or object could not be read."""
        if s is not None and o is not None:
            self.triples.append((s, _n(p), o))

    def iris(self, key: str, p, values: Iterable[str], what: str) -> None:
        """Add a triple for each non-blank IRI of a many-valued field."""
        for v in values:
            if v.strip():
                self.add(self.s, p, self.iri(key, v, what))

    def text(self, key: str, p, value: str, lang: str | None = None) -> None:
        """Add a literal triple for a non-blank text, tagged with `lang` when given."""
        value = (value or "").strip()
        if value:
            self.add(self.s, p, ox.Literal(value, language=lang) if lang else ox.Literal(value))

    def done(self) -> list[tuple]:
        """Return the triples, or raise InvalidInput with every message by field."""
        if self.errors:
            raise InvalidInput(self.errors)
        return self.triples


def _kept(current: Description, managed: set, managed_nodes: set = frozenset()) -> list:
    """Return the current triples a form does not manage."""
    s = ox.NamedNode(current.iri)
    return [(q.subject, q.predicate, q.object) for q in current.quads
            if not ((q.subject == s and q.predicate in managed) or q.subject in managed_nodes)]


CONCEPT_MANAGED = {_n(p) for p in (SKOS.prefLabel, SKOS.altLabel, SKOS.definition,
                                   SKOS.broader, SKOS.narrower, SKOS.related, SKOS.inScheme)}


def relation_properties(store: Store) -> list[tuple[str, str]]:
    """Return the typed concept relations (mesh:ConceptRelation) with their labels."""
    rows = store.query(load_query("curation_relations")).rows
    return [(str(r["p"]), str(r.get("label", r["p"]))) for r in rows]


def concept_values(desc: Description, relations: Iterable[str] = ()) -> dict:
    """Return the form values of a concept's description."""
    s = ox.NamedNode(desc.iri or "urn:meshkg:new")
    rels = set(relations)
    langs: dict[str, dict] = {}
    v: dict = {"iri": desc.iri, "in_scheme": [], "broader": [], "narrower": [], "related": [],
               "relations": []}
    keys = {str(SKOS.inScheme): "in_scheme", str(SKOS.broader): "broader",
            str(SKOS.narrower): "narrower", str(SKOS.related): "related"}
    for q in sorted(desc.quads, key=str):
        if q.subject != s:
            continue
        p, o = q.predicate.value, q.object
        if p in keys and isinstance(o, ox.NamedNode):
            v[keys[p]].append(o.value)
        elif p in rels and isinstance(o, ox.NamedNode):
            v["relations"].append({"p": p, "o": o.value})
        elif p in (str(SKOS.prefLabel), str(SKOS.altLabel), str(SKOS.definition)) \
                and isinstance(o, ox.Literal):
            row = langs.setdefault(o.language or "", {"lang": o.language or "", "pref": "",
                                                       "alt": [], "definition": ""})
            if p == str(SKOS.altLabel):
                row["alt"].append(o.value)
            else:
                row["pref" if p == str(SKOS.prefLabel) else "definition"] = o.value
    order = sorted(langs, key=lambda k: (k != "en", k != "de", k))
    v["labels"] = [langs[k] for k in order]
    return v


def concept_triples(iri: str, values: Mapping, current: Description,
                    relations: Iterable[str] = ()) -> list[tuple]:
    """Turn concept form values into the concept's new description."""
    b = _Builder(iri)
    seen_langs = set()
    for row in values.get("labels", []):
        lang = (row.get("lang") or "").strip()
        has = row.get("pref", "").strip() or row.get("definition", "").strip() or any(
            a.strip() for a in row.get("alt", []))
        if not has:
            continue
        if not _LANG.match(lang):
            b.error("labels", f"{lang!r} is not a language tag (such as en or de)")
            continue
        if lang in seen_langs:
            b.error("labels", f"language {lang} appears twice")
        seen_langs.add(lang)
        b.text("labels", SKOS.prefLabel, row.get("pref", ""), lang)
        for alt in row.get("alt", []):
            b.text("labels", SKOS.altLabel, alt, lang)
        b.text("labels", SKOS.definition, row.get("definition", ""), lang)
    for key, p in (("in_scheme", SKOS.inScheme), ("broader", SKOS.broader),
                   ("narrower", SKOS.narrower), ("related", SKOS.related)):
        b.iris(key, p, values.get(key, []), key.replace("_", " "))
    allowed = set(relations)
    managed = set(CONCEPT_MANAGED) | {_n(r) for r in allowed}
    for rel in values.get("relations", []):
        if not rel.get("p", "").strip() and not rel.get("o", "").strip():
            continue
        p = b.iri("relations", rel.get("p", ""), "relationship")
        o = b.iri("relations", rel.get("o", ""), "related concept")
        if p is not None and p.value not in allowed:
            b.error("relations", f"{p.value} is not a typed concept relationship "
                    "(a mesh:ConceptRelation)")
        elif p is not None and o is not None:
            b.triples.append((b.s, p, o))
    triples = b.done()
    kept = _kept(current, managed)
    if not any(p == RDF_TYPE for s, p, o in kept if s == b.s):
        kept.append((b.s, RDF_TYPE, _n(SKOS.Concept)))
    return _unique(kept + triples)


def _unique(triples: list[tuple]) -> list[tuple]:
    return list(dict.fromkeys(triples))


PRODUCT_SINGLE = {"label": RDFS.label, "description": DCTERMS.description,
                  "purpose": DPROD.purpose}


PRODUCT_ONE_IRI = {"owner": DPROD.dataProductOwner, "domain": DPROD.domain,
                   "status": DPROD.lifecycleStatus,
                   "sensitivity": DPROD.informationSensitivityClassification}


PRODUCT_IRIS = {"concepts": DCTERMS.subject, "tags": MESH.tag,
                "personal_data": DPV.hasPersonalData, "purposes": DPV.hasPurpose,
                "legal_bases": DPV.hasLegalBasis, "covers": MESH.covers,
                "not_covers": MESH.doesNotCover, "lineage": PROV.wasDerivedFrom}


PRODUCT_NOTES = {"biases": RAI.dataBiases, "limitations": RAI.dataLimitations}


FIELD_MANAGED = {_n(p) for p in (RDFS.label, MESH.datatype, MESH.meansConcept,
                                 DPV.hasPersonalData)}


#: which form field a SHACL result path belongs to
FIELD_OF_PATH: dict[str, str] = {
    **{str(p): k for k, p in {**PRODUCT_SINGLE, **PRODUCT_ONE_IRI, **PRODUCT_IRIS,
                              **PRODUCT_NOTES}.items()},
    str(ODRL.hasPolicy): "rules", str(MESH.hasField): "fields",
    str(DPROD.outputPort): "fields",
    str(SKOS.prefLabel): "labels", str(SKOS.altLabel): "labels",
    str(SKOS.definition): "labels", str(SKOS.inScheme): "in_scheme",
    str(SKOS.topConceptOf): "in_scheme", str(SKOS.broader): "broader",
    str(SKOS.narrower): "narrower", str(SKOS.related): "related",
}


#: shapes whose results carry no sh:resultPath, and the form field they are about
FIELD_OF_SHAPE: dict[str, str] = {
    str(MESH.ConceptInSchemeShape): "in_scheme",
    str(MESH.ConceptHierarchyShape): "broader",
    str(MESH.ConceptLabelsShape): "labels",
    str(MESH.PersonalDataPolicyShape): "rules",
    str(MESH.SpecialCategoryLegalBasisShape): "legal_bases",
}


def field_of(finding, iri: str, owned: set[str]) -> str:
    """Return the form field a SHACL finding belongs to ("_general" when none)."""
    if finding.focus == iri:
        return (FIELD_OF_PATH.get(finding.path or "")
                or FIELD_OF_SHAPE.get(finding.shape or "") or "_general")
    if finding.focus in owned:
        shape = finding.shape or ""
        return "rules" if any(w in shape for w in ("Policy", "Rule", "Constraint")) \
            else "fields"
    return "_general"


def _objects(desc: Description, s, p) -> list:
    return sorted((q.object for q in desc.quads if q.subject == s and q.predicate == _n(p)),
                  key=str)


def _one(desc: Description, s, p):
    found = _objects(desc, s, p)
    return found[0] if found else None


def _product_parts(desc: Description) -> dict:
    """Find the dataset, fields and policy a product owns (none for a new product)."""
    s = ox.NamedNode(desc.iri or "urn:meshkg:new")
    datasets = [d for port in _objects(desc, s, DPROD.outputPort)
                for d in _objects(desc, port, DCAT.servesDataset)]
    fields = [f for d in datasets for f in _objects(desc, d, MESH.hasField)]
    policies = [p for p in _objects(desc, s, ODRL.hasPolicy)
                if any(q.subject == p for q in desc.quads)]
    return {"dataset": datasets[0] if datasets else None, "fields": fields,
            "policy": policies[0] if policies else None}


def _rules(desc: Description, policy) -> list[dict]:
    out = []
    if policy is None:
        return out
    for kind, p in (("permission", ODRL.permission), ("prohibition", ODRL.prohibition)):
        for rule in _objects(desc, policy, p):
            action = _one(desc, rule, ODRL.action)
            row = {"kind": kind, "action": action.value if action is not None else "",
                   "operator": "", "purpose": ""}
            for c in _objects(desc, rule, ODRL.constraint):
                if _one(desc, c, ODRL.leftOperand) == _n(ODRL.purpose):
                    op = _one(desc, c, ODRL.operator)
                    right = _one(desc, c, ODRL.rightOperand)
                    row["operator"] = op.value.rsplit("/", 1)[-1] if op is not None else ""
                    row["purpose"] = right.value if right is not None else ""
            out.append(row)
    return sorted(out, key=lambda r: (r["kind"], r["action"], r["purpose"]))


def product_values(desc: Description) -> dict:
    """Return the form values of a product's description."""
    s = ox.NamedNode(desc.iri or "urn:meshkg:new")
    v: dict = {"iri": desc.iri}
    for k, p in {**PRODUCT_SINGLE, **PRODUCT_NOTES}.items():
        o = _one(desc, s, p)
        v[k] = o.value if o is not None else ""
    for k, p in PRODUCT_ONE_IRI.items():
        o = _one(desc, s, p)
        v[k] = o.value if o is not None else ""
    for k, p in PRODUCT_IRIS.items():
        v[k] = [o.value for o in _objects(desc, s, p) if isinstance(o, ox.NamedNode)]
    parts = _product_parts(desc)
    v["fields"] = []
    for f in parts["fields"]:
        def val(p, f=f):
            o = _one(desc, f, p)
            return o.value if o is not None else ""
        v["fields"].append({"iri": f.value, "name": val(RDFS.label),
                            "datatype": val(MESH.datatype), "concept": val(MESH.meansConcept),
                            "personal_data": val(DPV.hasPersonalData)})
    v["rules"] = _rules(desc, parts["policy"])
    return v


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "item"


def product_triples(iri: str, values: Mapping, current: Description) -> list[tuple]:
    """Turn product form values into the product's new description."""
    b = _Builder(iri)
    s = b.s
    for k, p in PRODUCT_SINGLE.items():
        b.text(k, p, values.get(k, ""))
    for k, p in PRODUCT_NOTES.items():
        b.text(k, p, values.get(k, ""), "en")
    for k, p in PRODUCT_ONE_IRI.items():
        if values.get(k, "").strip():
            b.add(s, p, b.iri(k, values[k], k))
    for k, p in PRODUCT_IRIS.items():
        b.iris(k, p, values.get(k, []), k.replace("_", " "))
    managed = {_n(p) for p in (*PRODUCT_SINGLE.values(), *PRODUCT_ONE_IRI.values(),
                               *PRODUCT_IRIS.values(), *PRODUCT_NOTES.values())}
    parts = _product_parts(current)
    drop_nodes: set = set()
    kept_extra: list[tuple] = []
    _fields(b, values.get("fields", []), current, parts, drop_nodes, kept_extra)
    _policy(b, values.get("rules", []), current, parts, drop_nodes, managed,
            values.get("label", ""))
    triples = b.done()
    kept = [t for t in _kept(current, managed, drop_nodes) if t not in kept_extra]
    if not any(p == RDF_TYPE and o == _n(DPROD.DataProduct) for s2, p, o in kept if s2 == s):
        kept.append((s, RDF_TYPE, _n(DPROD.DataProduct)))
    return _unique(kept + triples)


def _fields(b: _Builder, rows: list, current: Description, parts: dict, drop_nodes: set,
            removed: list) -> None:
    rows = [r for r in rows if any((r.get(k) or "").strip()
                                   for k in ("name", "datatype", "concept", "personal_data"))]
    existing = {f.value for f in parts["fields"]}
    if not rows and not existing:
        return
    dataset = parts["dataset"]
    if dataset is None:
        port = ox.NamedNode(f"{b.s.value}/port")
        dataset = ox.NamedNode(f"{b.s.value}/dataset")
        b.add(b.s, DPROD.outputPort, port)
        b.add(port, RDF.type, _n(DCAT.DataService))
        b.add(port, RDFS.label, ox.Literal("Output port"))
        b.add(port, DCAT.servesDataset, dataset)
        b.add(dataset, RDF.type, _n(DCAT.Dataset))
        b.add(dataset, RDFS.label, ox.Literal("Published dataset"))
    kept_iris = set()
    for i, r in enumerate(rows):
        name = (r.get("name") or "").strip()
        if not name:
            b.error("fields", f"field {i + 1} needs a name")
            continue
        given = (r.get("iri") or "").strip()
        f = ox.NamedNode(given) if given in existing else ox.NamedNode(
            f"{b.s.value}/field/{_slug(name)}")
        kept_iris.add(f.value)
        b.add(dataset, MESH.hasField, f)
        b.add(f, RDF.type, _n(MESH.Field))
        b.add(f, RDFS.label, ox.Literal(name))
        for key, p, what in (("datatype", MESH.datatype, "datatype"),
                             ("concept", MESH.meansConcept, "field concept"),
                             ("personal_data", DPV.hasPersonalData, "personal data category")):
            if (r.get(key) or "").strip():
                b.add(f, p, b.iri("fields", r[key], what))
    # fields: their managed triples come from the form; their other triples stay
    for q in current.quads:
        if q.subject.value in existing and (q.predicate in FIELD_MANAGED
                                            or q.subject.value not in kept_iris):
            removed.append((q.subject, q.predicate, q.object))
        if q.predicate == _n(MESH.hasField) and q.subject == dataset:
            removed.append((q.subject, q.predicate, q.object))


def _policy(b: _Builder, rows: list, current: Description, parts: dict, drop_nodes: set,
            managed: set, label: str) -> None:
    rows = [r for r in rows if (r.get("action") or "").strip()
            or (r.get("purpose") or "").strip()]
    clean = []
    for i, r in enumerate(rows):
        kind = (r.get("kind") or "permission").strip()
        op = (r.get("operator") or "").strip()
        if kind not in ("permission", "prohibition"):
            b.error("rules", f"rule {i + 1}: {kind!r} is neither permission nor prohibition")
            continue
        if op and op not in ODRL_OPERATORS:
            b.error("rules", f"rule {i + 1}: {op!r} is not an ODRL 2.2 operator "
                    f"(one of {', '.join(ODRL_OPERATORS)})")
            continue
        action = (r.get("action") or "").strip() or "use"
        if ":" not in action:
            action = str(ODRL) + action
        purpose = (r.get("purpose") or "").strip()
        if purpose and not op:
            op = "isA"
        row = {"kind": kind, "action": action, "operator": op if purpose else "",
               "purpose": purpose}
        for key, what in (("action", "action"), ("purpose", "purpose")):
            if row[key]:
                try:
                    row[key] = expand_iri(row[key], what=f"rule {i + 1} {what}")
                except ValueError as exc:
                    b.error("rules", str(exc))
        clean.append(row)
    policy = parts["policy"]
    if sorted(clean, key=lambda r: (r["kind"], r["action"], r["purpose"])) == \
            _rules(current, policy):
        managed.discard(_n(ODRL.hasPolicy))  # unchanged: keep the policy as it is
        return
    managed.add(_n(ODRL.hasPolicy))
    if policy is not None:
        drop_nodes |= {q.subject for q in _closure(list(current.quads), policy)}
    if not clean:
        return
    p = policy if policy is not None else ox.NamedNode(f"{b.s.value}/policy")
    b.add(b.s, ODRL.hasPolicy, p)
    if policy is not None:  # keep the policy's own description, rebuild its rules
        for q in current.quads:
            if q.subject == policy and q.predicate not in (
                    _n(ODRL.permission), _n(ODRL.prohibition)):
                b.triples.append((q.subject, q.predicate, q.object))
    else:
        b.add(p, RDF.type, _n(ODRL.Set))
        b.add(p, RDF.type, _n(ODRL.Policy))
        b.add(p, ODRL.uid, p)
        b.add(p, ODRL.target, b.s)
        b.add(p, RDFS.label, ox.Literal(f"{label.strip() or 'Product'}: use policy"))
    for row in clean:
        rule = ox.BlankNode()
        b.add(p, ODRL[row["kind"]], rule)
        b.add(rule, RDF.type, _n(ODRL[row["kind"].capitalize()]))
        b.add(rule, ODRL.action, ox.NamedNode(row["action"]))
        if row["purpose"]:
            c = ox.BlankNode()
            b.add(rule, ODRL.constraint, c)
            b.add(c, RDF.type, _n(ODRL.Constraint))
            b.add(c, ODRL.leftOperand, _n(ODRL.purpose))
            b.add(c, ODRL.operator, _n(ODRL[row["operator"]]))
            b.add(c, ODRL.rightOperand, ox.NamedNode(row["purpose"]))


def kind_of(desc: Description) -> str | None:
    """Return "product" or "concept" for a description, or None."""
    types = {q.object for q in desc.quads
             if q.subject.value == desc.iri and q.predicate == RDF_TYPE}
    if _n(DPROD.DataProduct) in types:
        return "product"
    if _n(SKOS.Concept) in types:
        return "concept"
    return None
