"""What the start page lists (domains, recent products, the validation summary), and which
page shows an IRI."""

from __future__ import annotations

from rdflib import URIRef
from rdflib.namespace import SKOS

from kg.catalog._cache import _kept
from kg.catalog._labels import _Labels, _name
from kg.catalog._query import _iri, _run
from kg.catalog.model import Listing
from kg.catalog.products import product_cards, validation_status
from kg.errors import UsageError
from kg.namespaces import DPROD, DPV, MESH, ODRL
from kg.store.base import Store


def domains(store: Store, lang: str = "en") -> Listing:
    """List data domains with their product counts, largest first (kept: `_kept`)."""
    return _kept(store, ("domains", lang), lambda: _domains(store, lang))


def _domains(store: Store, lang: str) -> Listing:
    res, ran = _run(store, "catalog_domains")
    labels, counts = _Labels(lang), {}
    for row in res.rows:
        labels.add(row["domain"], row.get("label"))
        counts[_name(row["domain"])] = int(row["products"])
    items = [(labels.ref(d), n) for d, n in counts.items()]
    items.sort(key=lambda x: (-x[1], x[0].label.lower()))
    return Listing(items, ran)


def recent_products(store: Store, lang: str = "en") -> Listing:
    """List the most recently changed data products, newest first (kept: `_kept`)."""
    return _kept(store, ("recent", lang), lambda: _recent_products(store, lang))


def _recent_products(store: Store, lang: str) -> Listing:
    res, ran = _run(store, "catalog_recent")
    cards = product_cards(store, lang, [str(r["product"]) for r in res.rows]).items
    items = [cards[str(r["product"])] for r in res.rows if str(r["product"]) in cards]
    return Listing(items, ran)


def validation_summary(store: Store) -> dict:
    """Count the data products that pass validation, of those checked and of all (kept)."""
    return _kept(store, ("validation",), lambda: _validation_summary(store))


def _validation_summary(store: Store) -> dict:
    status = validation_status(store)
    res, _ = _run(store, "catalog_product_iris")
    products = {str(r["product"]) for r in res.rows}
    checked = [status[p] for p in products if p in status]
    passing = sum(1 for s in checked if s.get("conforms"))
    return {"passing": passing, "checked": len(checked), "products": len(products)}


def kind_of(store: Store, iri: str) -> str | None:
    """Tell which page shows an IRI: product, concept, scheme, domain, policy, or None.

    A concept (or an untyped IRI) that some product names as its dprod:domain is shown by
    the domain page: DPROD leaves the domain's class open, and standard data often makes
    it a skos:Concept of a scheme of domains."""
    try:
        node = _iri(iri)
    except UsageError:
        return None
    res, _ = _run(store, "catalog_kind", {"iri": node})
    types = {r["type"] for r in res.rows}
    for t, kind in ((DPROD.DataProduct, "product"), (SKOS.ConceptScheme, "scheme"),
                    (MESH.DataDomain, "domain"), (DPV.PersonalData, "privacy")):
        if t in types:
            return kind
    if types & {ODRL.Policy, ODRL.Set, ODRL.Offer, ODRL.Agreement}:
        return "policy"
    if _domain_of(store, node):
        return "domain"
    return "concept" if SKOS.Concept in types else None


def _domain_of(store: Store, node: URIRef) -> bool:
    """Tell whether some data product names a node as its dprod:domain."""
    res, _ = _run(store, "catalog_products_by", {"prop": DPROD.domain, "value": node})
    return bool(res.rows)
