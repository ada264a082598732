"""The catalog read API the CLI and the web app share: find data by its meaning.

Every function runs one or more `kg/queries/catalog_*.rq` files with values bound
by the safe term serializer (`_query`), and returns its answer together with the
SPARQL it ran (`Ran`), so that a page can show "the query behind this list" and open
it on the SPARQL page: the shown query is the one that ran. Labels are chosen per
language with a fallback (`_labels`); answers that every page or search needs whole
are kept per store until it is written to (`_cache`).

One module per page family: `home` (the start page's lists, which page shows an IRI),
`concepts` (concept and scheme pages), `products` (product pages and cards),
`lineages` (upstream and downstream), `ranking` (search, facets, suggestions), and
`model` (what they all return).
"""

from kg.catalog._labels import local_name, pick
from kg.catalog._query import FOAF, MAX_QUERY_TEXT, VCARD, query_text
from kg.catalog.concepts import (
    MATCH_PROPS,
    PER_PAGE,
    Hierarchy,
    ancestors,
    children,
    concept,
    concept_label,
    hierarchy,
    products_about,
    scheme,
    scheme_size,
    schemes,
    search_in_scheme,
)
from kg.catalog.home import domains, kind_of, recent_products, validation_summary
from kg.catalog.lineages import lineage
from kg.catalog.model import (
    AboutProduct,
    Concept,
    Field_,
    Hit,
    Lineage,
    Listing,
    Policy,
    Port,
    Product,
    ProductCard,
    Ran,
    Ref,
    Relation,
    Scheme,
    SearchResult,
    TreeNode,
)
from kg.catalog.products import (
    policy,
    product,
    product_cards,
    products_by,
    validation_findings,
    validation_status,
)
from kg.catalog.ranking import FACETS, search, suggest

__all__ = [
    "FACETS", "FOAF", "MATCH_PROPS", "MAX_QUERY_TEXT", "PER_PAGE", "VCARD",
    "AboutProduct", "Concept", "Field_", "Hierarchy", "Hit", "Lineage", "Listing", "Policy",
    "Port", "Product", "ProductCard", "Ran", "Ref", "Relation", "Scheme", "SearchResult",
    "TreeNode",
    "ancestors", "children", "concept", "concept_label", "domains", "hierarchy", "kind_of",
    "lineage", "local_name", "pick", "policy", "product", "product_cards", "products_about",
    "products_by", "query_text", "recent_products", "scheme", "scheme_size", "schemes",
    "search", "search_in_scheme", "suggest", "validation_findings", "validation_status",
    "validation_summary",
]
