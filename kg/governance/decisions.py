"""Policy decisions on a store: what `kg.policies.decide` needs for one product, pulled
from the store (its triples, policies, the request's hierarchies), and the answer in words."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from rdflib import Graph, URIRef

from kg.errors import NotFound, UsageError
from kg.governance._common import BATCH, DPV_GRAPH, ODRL_GRAPH
from kg.namespaces import (
    META_GRAPH,
    PREFIXES,
)
from kg.policies import (
    DENY,
    NOT_APPLICABLE,
    PERMIT,
    Decision,
    decide,
    prefixed_name,
)
from kg.queries import load_query
from kg.store.base import Store, term_to_sparql

# ------------------------------------------------------------------ decisions


@dataclass(frozen=True)
class MayRequest:
    """A question: may `party` do `action` on `product` for `purpose` at `at`?"""

    product: str
    action: str
    purpose: str | None = None
    party: str | None = None
    at: datetime | date | None = None
    spatial: str | None = None

    @classmethod
    def from_json(cls, data: object) -> MayRequest:
        """Build a request from decoded JSON, or raise UsageError naming the bad field."""
        if not isinstance(data, dict):
            raise UsageError("the body must be a JSON object with product, action and purpose")
        unknown = sorted(set(data) - {"product", "action", "purpose", "party", "at", "spatial"})
        if unknown:
            raise UsageError(f"unknown field(s): {', '.join(unknown)}")
        values = {}
        for name in ("product", "action", "purpose", "party", "at", "spatial"):
            value = data.get(name)
            if value is not None and not isinstance(value, str):
                raise UsageError(f"{name} must be a string, got {type(value).__name__}")
            values[name] = value.strip() if isinstance(value, str) and value.strip() else None
        for name in ("product", "action"):
            if values[name] is None:
                raise UsageError(f"{name} is required")
        values["at"] = parse_at(values["at"]) if values["at"] else None
        return cls(**values)


def parse_at(text: str) -> datetime | date:
    """Parse an ISO 8601 date or date-time (`2026-06-01`, `2026-06-01T12:00:00Z`)."""
    try:
        if "T" in text or " " in text.strip():
            return datetime.fromisoformat(text.strip())
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise UsageError(f"at must be an ISO date or date-time, got {text!r}") from exc


#: IRI schemes written without "//" that a name may use as they are
_IRI_SCHEMES = ("urn", "mailto", "tag", "did", "data")


def expand_iri(name: str, what: str) -> URIRef:
    """Expand a full IRI or a prefixed name meshkg knows; refuse anything else."""
    text = name.strip()
    prefix, sep, local = text.partition(":")
    if sep and prefix in PREFIXES and not local.startswith("//"):
        text = PREFIXES[prefix] + local
    elif sep and not local.startswith("//") and prefix.lower() not in _IRI_SCHEMES:
        raise UsageError(f"{what} {name!r}: unknown prefix {prefix!r} (known: "
                         f"{', '.join(sorted(PREFIXES))}); give the full IRI instead")
    iri = URIRef(text)
    if ":" not in text:
        raise UsageError(f"{what} must be an IRI or prefixed name, got {name!r}")
    term_to_sparql(iri)  # raises UsageError for characters an IRI cannot hold
    return iri


def may(store: Store, request: MayRequest) -> Decision:
    """Decide a request on one product of the store (NotFound for an unknown product)."""
    product = expand_iri(request.product, "product")
    if not store.ask(load_query("governance_product_exists"), bindings={"product": product}):
        raise NotFound(f"unknown product <{product}>: the store has no triple about it")
    graph = decision_graph(store, product, request)
    return decide(graph, target=str(product), action=request.action, purpose=request.purpose,
                  party=request.party, at=request.at, spatial=request.spatial)


def decision_graph(store: Store, product: URIRef, request: MayRequest) -> Graph:
    """Return the graph `decide` needs: the product's policies and the vocab hierarchies."""
    graph = Graph()
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns)
    own = Graph()
    for name in ("governance_product", "governance_policy"):
        own += store.construct(load_query(name), bindings={"product": product})
    graph += own
    graph += vocab_graph(store)
    named = sorted({o for o in own.objects() if isinstance(o, URIRef)}, key=str)
    for i in range(0, len(named), BATCH):
        query = load_query("governance_named").replace("#VALUES#", _values("r", named[i:i + BATCH]))
        graph += store.construct(query)
    for value, what in ((request.party, "party"), (request.spatial, "spatial"),
                        (request.purpose, "purpose")):
        if value is None or (what == "purpose" and ":" not in value):
            continue  # a bare purpose name resolves against the DPV hierarchy already pulled
        start = expand_iri(value, what)
        graph += store.construct(load_query("governance_ancestors"), bindings={"start": start})
    return graph


_VOCAB_LOCK = threading.Lock()
_VOCAB_CACHE: dict[tuple, Graph] = {}


def vocab_graph(store: Store) -> Graph:
    """Return the DPV purpose and ODRL action hierarchies, cached per vocabulary load."""
    row = {}
    if store.has_graph(META_GRAPH):
        rows = store.query(load_query("governance_vocab_version"), default_graphs=[META_GRAPH],
                           bindings={"dpv": URIRef(DPV_GRAPH), "odrl": URIRef(ODRL_GRAPH)}).rows
        row = rows[0] if rows else {}
    key = tuple(str(row.get(k)) for k in ("dpvModified", "dpvCount", "odrlModified",
                                          "odrlCount"))
    with _VOCAB_LOCK:
        cached = _VOCAB_CACHE.get(key)
    if cached is not None and row:
        return cached
    graphs = [g for g in (DPV_GRAPH, ODRL_GRAPH) if store.has_graph(g)]
    vocab = store.construct(load_query("governance_vocab"), default_graphs=graphs) \
        if graphs else Graph()
    if row:
        with _VOCAB_LOCK:
            if len(_VOCAB_CACHE) > 8:  # a process sees few vocabulary versions
                _VOCAB_CACHE.clear()
            _VOCAB_CACHE[key] = vocab
    return vocab


def plain_words(decision: Decision) -> list[str]:
    """Return the decision as sentences: the outcome, each step, each duty."""
    head = {PERMIT: "Permitted.", DENY: "Denied.",
            NOT_APPLICABLE: "Not applicable: no policy governs this product."}
    lines = [head.get(decision.outcome, decision.outcome)]
    lines += [step.message for step in decision.explanation]
    lines += [f"Duty: {d.duty} ({prefixed_name(d.action or '')}"
              + (f" on {prefixed_name(d.target)}" if d.target else "") + ")."
              for d in decision.duties]
    return lines


def used_purposes(store: Store) -> list[tuple[str, str]]:
    """Return (IRI, label) of the purposes the store's policies constrain by."""
    rows = store.query(load_query("governance_purposes")).rows
    return [(str(r["purpose"]), str(r.get("label") or prefixed_name(str(r["purpose"]))))
            for r in rows]


def _values(var: str, iris: Iterable) -> str:
    """Return a VALUES block binding var to the IRIs, each through the safe serializer."""
    return f"VALUES ?{var} {{ {' '.join(term_to_sparql(URIRef(i)) for i in iris)} }}"


