"""What the catalog's reads return: plain dataclasses the CLI, the web pages and tests share."""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import Literal


@dataclass(frozen=True)
class Ran:
    """One query the catalog ran: its name, runnable text and time taken."""

    name: str
    sparql: str
    ms: float


@dataclass
class Ref:
    """A linked resource with the label chosen for the reader."""

    iri: str
    label: str
    lang: str | None = None

    @property
    def is_iri(self) -> bool:
        """Tell whether the resource has an IRI (not a blank node label)."""
        return not self.iri.startswith("_:")


@dataclass
class Listing:
    """A list answer and the query that produced it; `total` counts all when items is a page."""

    items: list
    query: Ran | None = None
    total: int | None = None


@dataclass
class TreeNode:
    """One concept in a concept tree: label and whether it has narrower concepts."""

    iri: str
    label: str
    has_children: bool
    lang: str | None = None


@dataclass
class Scheme:
    """A concept scheme: its title, how many concepts it holds and where its tree starts."""

    iri: str
    label: str
    top: list[TreeNode] = field(default_factory=list)  # its top concepts, else `roots`
    size: int = 0  # its concepts: in it, its top concepts and every concept below them
    lang: str | None = None  # the language of the title
    roots: bool = False  # it names no top concept: `top` holds those without a broader
    query: Ran | None = None  # the query that read `top`


@dataclass
class Relation:
    """A typed relation between two concepts: "Customer places Order"."""

    subject: Ref
    relation: Ref
    object: Ref


@dataclass
class AboutProduct:
    """A product found through a concept: the concept it is about and the path up."""

    product: ProductCard
    about: Ref
    path: list[Ref]  # from `about` up to the concept asked for, both included

    @property
    def direct(self) -> bool:
        """Tell whether the product is about the concept asked for itself."""
        return len(self.path) <= 1

    @property
    def explanation(self) -> str:
        """Say in words why the product was found through the concept."""
        if self.direct:
            return f"about {self.about.label}"
        via = "".join(f", narrower than {r.label}" for r in self.path[1:-1])
        return f"about {self.about.label}{via}, a narrower concept of {self.path[-1].label}"


@dataclass
class Coverage:
    """A data product that states it covers a concept (mesh:covers), or that it does not
    (mesh:doesNotCover), with why in words: stated of the concept, of a broader concept
    (which includes it) or of a narrower one (a part of it)."""

    product: ProductCard
    reasons: list[str]
    direct: bool  # stated of the concept itself


@dataclass
class Concept:
    """What a concept page shows."""

    iri: str
    label: str
    lang: str | None
    labels: dict[str, str]
    alt_labels: list[Literal]
    hidden_labels: list[Literal]
    definition: str | None
    scope_note: str | None
    schemes: list[Ref]
    broader: list[Ref]
    narrower: list[Ref]
    related: list[Ref]
    matches: dict[str, list[Ref]]
    relations: list[Relation]
    products: list[AboutProduct]
    queries: dict[str, Ran]
    product_count: int = 0  # products about it or a narrower concept, on every page
    page: int = 1
    pages: int = 1
    covered_by: list[Coverage] = field(default_factory=list)  # mesh:covers, the first 50
    not_covered_by: list[Coverage] = field(default_factory=list)  # mesh:doesNotCover
    covered_count: int = 0  # products in covered_by and those not shown
    not_covered_count: int = 0

    @property
    def languages(self) -> list[str]:
        """List the languages the concept has a preferred label in."""
        return sorted(self.labels)


@dataclass
class ProductCard:
    """The facts a product card and the search facets use."""

    iri: str
    label: str
    description: str | None = None
    purpose: str | None = None
    domain: Ref | None = None
    status: Ref | None = None
    modified: str | None = None
    concepts: list[Ref] = field(default_factory=list)
    tags: list[Ref] = field(default_factory=list)
    policies: list[Ref] = field(default_factory=list)
    personal_data: list[Ref] = field(default_factory=list)


@dataclass
class Field_:
    """One schema field of a dataset."""

    iri: str
    name: str
    datatype: str | None
    means: Ref | None
    personal: list[Ref]
    suggested: list[tuple[Ref, str, str]] = field(default_factory=list)


@dataclass
class Port:
    """An output port, the datasets it serves and their fields."""

    iri: str
    label: str
    endpoint: str | None
    datasets: list[tuple[Ref, list[Field_]]]


@dataclass
class Policy:
    """A policy in plain words."""

    ref: Ref
    sentences: list[str]


@dataclass
class Lineage:
    """Upstream and downstream products, and the links between them for a picture."""

    upstream: list[Ref]
    downstream: list[Ref]
    edges: list[tuple[str, str]]  # (derived, source)
    labels: dict[str, str]
    depth: dict[str, int]  # negative upstream, positive downstream
    query: Ran | None = None


@dataclass
class Product:
    """What a product page shows, in the meaning-first order."""

    card: ProductCard
    about: list[Ref]
    relations: list[Relation]
    privacy: dict[str, list[Ref]]
    policies: list[Policy]
    policy_purposes: list[Ref]  # the purposes its policies constrain by
    coverage: dict[str, list]
    owners: list[dict]
    contacts: list[dict]
    sensitivity: list[Ref]
    validation: dict | None
    findings: list
    lineage: Lineage
    ports: list[Port]
    links: list[Ref]
    queries: dict[str, Ran]


@dataclass
class Hit:
    """One search result: a product or a concept, with why it was found."""

    kind: str  # "product" or "concept"
    iri: str
    label: str
    score: int
    reasons: list[str]
    card: ProductCard | None = None


@dataclass
class SearchResult:
    """Search results, the facets over them and the queries run."""

    q: str
    hits: list[Hit]  # one page of them when the search asked for pages
    concepts: list[Hit]
    facets: dict[str, list[tuple[Ref, int]]]  # over every hit, not only the page
    filters: dict[str, str]
    queries: list[Ran]
    total: int = 0
    page: int = 1
    pages: int = 1
