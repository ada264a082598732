"""What product pages and product cards read: a product's facts, relations, contacts,
policies in plain words, ports and fields, and its stored validation status."""

from __future__ import annotations

import re
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping

from rdflib import Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, RDFS, SKOS
from rdflib.term import Node

from kg.catalog._cache import _kept
from kg.catalog._labels import _Labels, _name, _names, _unique, local_name, pick
from kg.catalog._query import FOAF, _iri, _run, _run_for, query_text
from kg.catalog.lineages import lineage
from kg.catalog.model import Field_, Listing, Policy, Port, Product, ProductCard, Ran, Ref, Relation
from kg.errors import NotFound, UsageError
from kg.namespaces import DPROD, DPV, MESH, ODRL, RAI
from kg.store.base import Store

_CARD_FIELDS = {
    DPROD.domain: "domain", DPROD.lifecycleStatus: "status", DCTERMS.subject: "concepts",
    MESH.tag: "tags", ODRL.hasPolicy: "policies", DPV.hasPersonalData: "personal_data",
}


def product_cards(store: Store, lang: str, iris: Iterable[str]) -> Listing:
    """Return a card for each data product of `iris` (others are left out), keyed by IRI.

    Cards are kept until the store is written to (`_kept`); only those not kept yet are
    read."""
    kept: dict[str, ProductCard | None] = _kept(store, ("cards", lang), dict)
    wanted = sorted(set(iris))
    missing = [i for i in wanted if i not in kept]
    ran = Ran("catalog_products", query_text("catalog_products"), 0.0)
    if missing:
        res, ran = _run_for(store, "catalog_products", "product", missing)
        found = _cards(store, res.rows, lang)
        kept.update({i: found.get(i) for i in missing})  # None: not a data product
    return Listing({i: kept[i] for i in wanted if kept.get(i) is not None}, ran)


def _cards(store: Store, rows: list[dict], lang: str) -> dict[str, ProductCard]:
    """Build cards from catalog_products rows; the names of what they link to are read
    once per linked resource (many cards share a domain, a status, a concept)."""
    facts: dict[str, dict[URIRef, set[Node]]] = defaultdict(lambda: defaultdict(set))
    for row in rows:
        facts[str(row["product"])][row["p"]].add(row["o"])
    linked = {str(o) for f in facts.values() for p, os in f.items() if p in _CARD_FIELDS
              for o in os if isinstance(o, URIRef)}
    labels, _ = _names(store, linked, lang)
    return {iri: _card(iri, f, labels, lang) for iri, f in facts.items()}


def _card(iri: str, f: Mapping[URIRef, set[Node]], labels: _Labels, lang: str) -> ProductCard:
    name = pick(f.get(RDFS.label, ()), lang)
    desc = pick(f.get(DCTERMS.description, ()), lang)
    purpose = pick(f.get(DPROD.purpose, ()), lang)
    modified = max((str(m) for m in f.get(DCTERMS.modified, ())), default=None)
    card = ProductCard(iri, str(name) if name else local_name(iri),
                       str(desc) if desc else None, str(purpose) if purpose else None,
                       modified=modified)
    for prop, attr in _CARD_FIELDS.items():
        refs = _unique(labels.ref(o) for o in f.get(prop, ()) if not isinstance(o, Literal))
        if attr in ("domain", "status"):
            setattr(card, attr, refs[0] if refs else None)
        else:
            setattr(card, attr, refs)
    return card


def products_by(store: Store, prop: URIRef, value: str, lang: str = "en") -> Listing:
    """List the data products with one value of a property (domain, tag, category, policy)."""
    res, ran = _run(store, "catalog_products_by", {"prop": prop, "value": _iri(value)})
    cards = product_cards(store, lang, [str(r["product"]) for r in res.rows]).items
    items = sorted({cards[str(r["product"])].iri: cards[str(r["product"])]
                    for r in res.rows if str(r["product"]) in cards}.values(),
                   key=lambda c: c.label.lower())
    return Listing(items, ran)


def products_holding(store: Store, category: str, lang: str = "en", page: int = 1,
                     per_page: int | None = None) -> Listing:
    """List the data products holding personal data of a DPV category or of any narrower
    one, by name, each as (card, why): the categories it holds that roll up to the one
    asked for, with the path up. `total` counts them all; with `per_page`, `items` is one
    page (cards are read for that page only). Kept until the store is written to."""
    node = _iri(category)
    found = _kept(store, ("privacy", str(node), lang),
                  lambda: _products_holding(store, node, lang))
    order, ran = found["order"], found["ran"]
    shown = order if per_page is None else order[(page - 1) * per_page:page * per_page]
    cards = product_cards(store, lang, shown).items
    items = [(cards[i], found["why"][i]) for i in shown if i in cards]
    return Listing(items, ran, total=len(order))


def _products_holding(store: Store, node: URIRef, lang: str) -> dict:
    """Return the products holding the category or a narrower one, by name, and why."""
    res, ran = _run(store, "catalog_privacy", {"category": node})
    held: dict[str, set[str]] = defaultdict(set)
    names_of: dict[str, set[Node]] = defaultdict(set)
    for row in res.rows:
        held[str(row["product"])].add(str(row["held"]))
        if "label" in row:
            names_of[str(row["product"])].add(row["label"])
    categories = sorted({c for cs in held.values() for c in cs} - {str(node)})
    up: dict[str, dict[str, set[str]]] = {"broader": defaultdict(set), "any": defaultdict(set)}
    if categories:
        path_res, _ = _run_for(store, "catalog_privacy_path", "held", categories)
        for row in (r for r in path_res.rows if r["category"] == node):
            up["any"][str(row["a"])].add(str(row["b"]))
            if row["rel"] == SKOS.broader:
                up["broader"][str(row["a"])].add(str(row["b"]))
    paths = {c: _path_up(c, str(node), up) for c in categories}
    names, _ = _names(store, {str(node), *categories, *(x for p in paths.values() for x in p)},
                      lang)
    asked = names.ref(str(node)).label
    why = {}
    for iri, cs in held.items():
        why[iri] = []
        for c in sorted(cs, key=lambda c: names.ref(c).label.lower()):
            label = names.ref(c).label
            if c == str(node):
                why[iri].append(f"holds {label}")
                continue
            via = [names.ref(x).label for x in paths[c][1:-1]]
            why[iri].append(f"holds {label}, a narrower category of {asked}"
                            + (f" (through {', '.join(via)})" if via else ""))

    def name(iri: str) -> str:
        best = pick(names_of.get(iri, ()), lang)
        return str(best) if best is not None else local_name(iri)

    order = sorted(held, key=lambda i: (name(i).lower(), i))
    return {"order": order, "why": why, "ran": ran}


def _path_up(start: str, goal: str, up: dict[str, dict[str, set[str]]]) -> list[str]:
    """Return the shortest chain of broader categories from start to goal, by skos:broader
    where that reaches (an rdfs:subClassOf closure would skip every step), else by any."""
    for links in (up["broader"], up["any"]):
        seen, queue = {start: [start]}, deque([start])
        while queue:
            here = queue.popleft()
            if here == goal:
                return seen[here]
            for nxt in sorted(links.get(here, ())):
                if nxt not in seen:
                    seen[nxt] = seen[here] + [nxt]
                    queue.append(nxt)
    return [start, goal]


def product(store: Store, iri: str, lang: str = "en") -> Product:
    """Return one data product with everything its page shows, or raise NotFound."""
    node = _iri(iri)
    res, ran = _run(store, "catalog_product", {"product": node})
    if not res.rows:
        raise NotFound(f"no data product <{iri}> in the store")
    facts: dict[URIRef, set[Node]] = defaultdict(set)
    labels = _Labels(lang)
    for row in res.rows:
        facts[row["p"]].add(row["o"])
        labels.add(row["o"], row.get("olabel"))
    card = _card(str(node), facts, labels, lang)

    def refs(prop: URIRef) -> list[Ref]:
        return _unique(labels.ref(o) for o in facts.get(prop, ()) if not isinstance(o, Literal))

    rel_res, rel_ran = _run(store, "catalog_product_relations", {"product": node})
    relations = _relations(rel_res.rows, lang)
    contact_res, contact_ran = _run(store, "catalog_product_contact", {"product": node})
    owners, contacts = _contacts(contact_res.rows, lang)
    policies, purposes, policy_ran = _policies(store, node, lang)
    fields_res, fields_ran = _run(store, "catalog_product_fields", {"product": node})
    status = validation_status(store)
    lin = lineage(store, str(node), lang)
    coverage, coverage_ran = _coverage(store, node, lang)
    links = _unique(Ref(str(o), f"{name}: {o}") for p, name in _MORE_LINKS.items()
                    for o in facts.get(p, ()) if isinstance(o, URIRef))
    return Product(
        card=card,
        about=card.concepts,
        relations=relations,
        privacy={"categories": refs(DPV.hasPersonalData), "purposes": refs(DPV.hasPurpose),
                 "legal_bases": refs(DPV.hasLegalBasis)},
        policies=policies,
        policy_purposes=purposes,
        coverage=coverage,
        owners=owners,
        contacts=contacts,
        sensitivity=refs(DPROD.informationSensitivityClassification),
        validation=status.get(str(node)),
        findings=validation_findings(store, str(node)) if str(node) in status else [],
        lineage=lin,
        ports=_ports(fields_res.rows, lang),
        links=links,
        queries={"product": ran, "relations": rel_ran, "contact": contact_ran,
                 "policy": policy_ran, "fields": fields_ran, "lineage": lin.query,
                 "coverage": coverage_ran},
    )


_MORE_LINKS = {
    DCTERMS.isReplacedBy: "replaced by", DCTERMS.replaces: "replaces",
    DCAT.landingPage: "landing page", RDFS.seeAlso: "see also",
    DCTERMS.conformsTo: "conforms to", URIRef(FOAF + "page"): "documentation",
}


_COVERAGE = {MESH.covers: "covers", MESH.doesNotCover: "does_not_cover",
             DCTERMS.coverage: "coverage", DCTERMS.spatial: "spatial",
             DCTERMS.temporal: "temporal", DCAT.spatialResolutionInMeters: "spatial_resolution",
             DCAT.temporalResolution: "temporal_resolution", RAI.dataBiases: "biases",
             RAI.dataLimitations: "limitations"}
_TEXTS = ("spatial_resolution", "temporal_resolution", "biases", "limitations")


def _coverage(store: Store, node: URIRef, lang: str) -> tuple[dict[str, list], Ran]:
    """Return every coverage statement of a product and of the datasets it serves.

    Keys: covers, does_not_cover (concepts, Refs); coverage_concepts and coverage (the
    other dct:coverage values: concepts, then places, periods or text); spatial and
    temporal (Refs: an IRI with its label, else `iri` is "" and the label is the text, a
    period's dates or a location's geometry); spatial_resolution, temporal_resolution,
    biases, limitations (texts); datasets (the served datasets that said any of it).
    A value reached through a sub-property (mesh:covers, dct:spatial and dct:temporal are
    dct:coverage's) is shown once, under the most specific property."""
    res, ran = _run(store, "catalog_product_coverage", {"product": node})
    labels = _Labels(lang)
    said: dict[str, dict[Node, dict]] = defaultdict(dict)
    datasets: set[str] = set()
    for row in res.rows:
        key, o = _COVERAGE[row["p"]], row["o"]
        labels.add(o, row.get("olabel"))
        labels.add(row["subject"], row.get("slabel"))
        if row["subject"] != node:
            datasets.add(_name(row["subject"]))
        value = said[key].setdefault(o, {"concept": False, "start": "", "end": "",
                                         "geometry": ""})
        value["concept"] |= row.get("concept") == Literal(True)
        for var in ("start", "end", "geometry"):
            if var in row:
                value[var] = max(value[var], str(row[var]))
    narrower = {o for k in ("covers", "spatial", "temporal") for o in said.get(k, ())}
    out: dict[str, list] = {k: [] for k in ("covers", "does_not_cover", "coverage_concepts",
                                            "coverage", "spatial", "temporal", *_TEXTS)}
    for key, values in said.items():
        if key in _TEXTS:
            out[key] = _texts([o for o in values if isinstance(o, Literal)], lang, key)
            continue
        refs = []
        for o, v in values.items():
            if key == "coverage" and o in narrower:
                continue
            if key == "coverage" and v["concept"]:
                out["coverage_concepts"].append(labels.ref(o))
            else:
                refs.append(_value(o, v, labels, key))
        out[key] += _unique(r for r in refs if r.iri) + sorted(
            (r for r in refs if not r.iri), key=lambda r: r.label)
    out["coverage_concepts"] = _unique(out["coverage_concepts"])
    out["datasets"] = _unique(labels.ref(d) for d in datasets)
    return out, ran


_UNNAMED = {"temporal": "a period of time with no calendar dates stated",
            "spatial": "a place with no name or geometry stated"}


def _value(o: Node, v: dict, labels: _Labels, key: str) -> Ref:
    """Return a coverage value as a Ref: an IRI with its label (`iri` set), else text."""
    if isinstance(o, Literal):
        return Ref("", str(o), o.language)
    if isinstance(o, URIRef):
        ref = labels.ref(o)
        if ref.label == local_name(str(o)) and not any(c.isalpha() for c in ref.label):
            ref.label = str(o).split("://", 1)[-1]  # a bare number says nothing alone
        return ref
    ref = labels.ref(o)
    if not ref.label.startswith("_:") and ref.label != local_name(_name(o)):
        return Ref("", ref.label, ref.lang)  # a labelled blank node
    if v["start"] or v["end"]:
        return Ref("", _period(v["start"], v["end"]))
    if v["geometry"]:
        return Ref("", v["geometry"])
    return Ref("", _UNNAMED.get(key, "a resource with no name stated"))


def _period(start: str, end: str) -> str:
    if start and end:
        return f"{start} to {end}"
    return f"since {start}" if start else f"until {end}"


def _texts(values: list[Literal], lang: str, key: str) -> list[str]:
    """Return the texts to show in a language: those in it (or untagged), else the best."""
    best = pick(values, lang)
    texts = {str(o) for o in values if o.language in (None, lang) or o == best}
    if key == "spatial_resolution":
        return sorted(_metres(t) for t in texts)
    if key == "temporal_resolution":
        return sorted(_duration(t) for t in texts)
    return sorted(texts)


def _metres(text: str) -> str:
    try:
        value = float(text)
    except ValueError:
        return text
    return f"{value:,.0f} m" if value == int(value) else f"{value:,} m"


_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?"
                       r"(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")
_UNITS = ("year", "month", "week", "day", "hour", "minute", "second")


def _duration(text: str) -> str:
    """Say an xsd:duration in words ("PT1H": "1 hour"); other text as it is."""
    m = _DURATION.match(text.strip())
    if not m or not any(m.groups()):
        return text
    parts = [f"{n} {unit}{'' if n == '1' else 's'}"
             for n, unit in zip(m.groups(), _UNITS, strict=True) if n]
    return ", ".join(parts) + f" ({text.strip()})"


def _relations(rows: list[dict], lang: str) -> list[Relation]:
    labels = _Labels(lang)
    triples = set()
    for row in rows:
        labels.add(row["s"], row.get("slabel"))
        labels.add(row["rel"], row.get("rlabel"))
        labels.add(row["o"], row.get("olabel"))
        triples.add((row["s"], row["rel"], row["o"]))
    out = [Relation(labels.ref(s), labels.ref(r), labels.ref(o)) for s, r, o in triples]
    return sorted(out, key=lambda r: (r.subject.label, r.relation.label, r.object.label))


def _contacts(rows: list[dict], lang: str) -> tuple[list[dict], list[dict]]:
    found: dict[tuple[str, str], dict] = {}
    names = _Labels(lang)
    for row in rows:
        key = (str(row["role"]), _name(row["agent"]))
        entry = found.setdefault(key, {"iri": key[1], "emails": set(), "urls": set()})
        names.add(row["agent"], row.get("name"), int(row.get("rank", 0)))
        if "email" in row:
            entry["emails"].add(str(row["email"]))
        if "url" in row:
            entry["urls"].add(str(row["url"]))
    owners, contacts = [], []
    for (role, agent), entry in sorted(found.items()):
        ref = names.ref(agent)
        item = {"ref": ref, "emails": sorted(entry["emails"]), "urls": sorted(entry["urls"])}
        (owners if role == str(DPROD.dataProductOwner) else contacts).append(item)
    return owners, contacts


def policy(store: Store, iri: str, lang: str = "en") -> Listing:
    """Return one policy in plain words (as a one-item listing), or an empty listing."""
    node = _iri(iri)
    res, ran = _run(store, "catalog_product_policy", {"policy": node})
    return Listing(_describe(res.graph(), [node], lang), ran)


def _policies(store: Store, node: URIRef, lang: str) -> tuple[list[Policy], list[Ref], Ran]:
    """Return a product's policies in plain words and the purposes they constrain by."""
    res, ran = _run(store, "catalog_product_policy", {"product": node})
    graph = res.graph()
    policies = _describe(graph, sorted(set(graph.objects(node, ODRL.hasPolicy)), key=str), lang)
    purposes = set()
    for constraint in graph.subjects(ODRL.leftOperand, ODRL.purpose):
        for value in graph.objects(constraint, ODRL.rightOperand):
            members = list(graph.items(value)) if (value, RDF.first, None) in graph else [value]
            purposes |= {m for m in members if isinstance(m, URIRef)}
    labels = _Labels(lang)
    for p in purposes:
        for lp in (SKOS.prefLabel, RDFS.label):
            for label in graph.objects(p, lp):
                labels.add(p, label)
    return policies, _unique(labels.ref(p) for p in purposes), ran


def _describe(graph, policies: list[Node], lang: str) -> list[Policy]:
    from kg.policies import describe_policy

    out = []
    for policy in policies:
        if (None, ODRL.hasPolicy, policy) not in graph:
            continue
        try:
            sentences = describe_policy(graph, policy)
        except UsageError as exc:
            sentences = [exc.message]
        label = pick(graph.objects(policy, RDFS.label), lang)
        out.append(Policy(Ref(_name(policy), str(label) if label else local_name(str(policy))),
                          sentences))
    return out


def _ports(rows: list[dict], lang: str) -> list[Port]:
    labels = _Labels(lang)
    ports: dict[str, dict] = {}
    for row in rows:
        port = _name(row["port"])
        labels.add(row["port"], row.get("portLabel"))
        p = ports.setdefault(port, {"endpoint": None, "datasets": {}})
        if "endpoint" in row:
            p["endpoint"] = str(row["endpoint"])
        if "dataset" not in row:
            continue
        labels.add(row["dataset"], row.get("datasetLabel"))
        fields = p["datasets"].setdefault(_name(row["dataset"]), {})
        if "field" not in row:
            continue
        labels.add(row["field"], row.get("name"))
        labels.add(row.get("means"), row.get("meansLabel"))
        labels.add(row.get("personal"), row.get("personalLabel"))
        labels.add(row.get("suggested"), row.get("suggestedLabel"))
        f = fields.setdefault(_name(row["field"]), {"datatype": None, "means": None,
                                                     "personal": {}, "suggested": {}})
        if "suggested" in row:
            f["suggested"][_name(row["suggested"])] = (
                row["suggested"], str(row.get("confidence", "")), str(row.get("evidence", "")))
        if "datatype" in row:
            f["datatype"] = str(row["datatype"])
        if "means" in row:
            f["means"] = row["means"]
        if "personal" in row:
            f["personal"][_name(row["personal"])] = row["personal"]
    out = []
    for port, p in sorted(ports.items()):
        datasets = []
        for ds, fields in sorted(p["datasets"].items()):
            flist = [Field_(fi, labels.ref(fi).label, _short_datatype(f["datatype"]),
                            labels.ref(f["means"]) if f["means"] is not None else None,
                            [labels.ref(x) for x in f["personal"].values()],
                            [(labels.ref(x), c, e) for x, c, e in f["suggested"].values()])
                     for fi, f in fields.items()]
            flist.sort(key=lambda f: f.name)
            datasets.append((labels.ref(ds), flist))
        out.append(Port(port, labels.ref(port).label, p["endpoint"], datasets))
    return out


def _short_datatype(iri: str | None) -> str | None:
    if iri and iri.startswith("http://www.w3.org/2001/XMLSchema#"):
        return "xsd:" + iri.split("#", 1)[1]
    return iri


def validation_status(store: Store) -> dict[str, dict]:
    """Return the last stored validation status of each checked resource."""
    from kg.validation import product_status
    return product_status(store)


def validation_findings(store: Store, iri: str) -> list:
    """Return the stored validation findings about one resource, violations first."""
    from kg.validation import stored_findings
    order = {"Violation": 0, "Warning": 1, "Info": 2}
    found = stored_findings(store, str(_iri(iri)))
    return sorted(found, key=lambda f: (order.get(f.severity, 3), f.path or "", f.message))
