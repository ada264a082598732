"""Namespaces of the standards meshkg builds on, and its own."""

from __future__ import annotations

from rdflib import Namespace
from rdflib.namespace import DCAT, DCTERMS, OWL, PROV, RDF, RDFS, SH, SKOS, XSD

MESH = Namespace("https://w3id.org/meshkg/ontology#")
DPROD = Namespace("https://www.omg.org/spec/DPROD/")
DPROD_OLD = "https://ekgf.github.io/dprod/"
ODRL = Namespace("http://www.w3.org/ns/odrl/2/")
DPV = Namespace("https://w3id.org/dpv#")
PD = Namespace("https://w3id.org/dpv/pd#")
RAI = Namespace("http://mlcommons.org/croissant/RAI/")
DEMO = Namespace("https://demo.meshkg.org/id/")

# Graph names meshkg manages itself.
GRAPH_PREFIX = "urn:meshkg:graph:"
ONTOLOGY_GRAPH = GRAPH_PREFIX + "ontology"
VOCAB_GRAPH_PREFIX = GRAPH_PREFIX + "vocab:"
INFERRED_PREFIX = GRAPH_PREFIX + "inferred:"
SCHEMA_INFERRED_GRAPH = INFERRED_PREFIX + "schema"
META_GRAPH = GRAPH_PREFIX + "meta"
#: graphs a write fills before it commits (the remote store's staged writes, migrations)
STAGING_PREFIX = GRAPH_PREFIX + "staging:"
#: the parts of meshkg's namespace that hold users' data: steward edits, imports and
#: the default graph of SPARQL Update; every other `urn:meshkg:graph:` graph is meshkg's
#: own bookkeeping (history, meta, findings, entailments, index, vocabularies, ontology)
USER_GRAPH_PARTS = ("curated:", "import:", "default")


#: graphs derived from the asserted data (entailments, search index, findings): what a
#: user's write does to them is not kept, they are derived again after it
DERIVED_PREFIXES = (INFERRED_PREFIX, GRAPH_PREFIX + "validation")


def is_managed_graph(graph: str) -> bool:
    """Tell whether a graph is written by meshkg itself only, never by a user's write."""
    if not graph.startswith(GRAPH_PREFIX):
        return False
    return not graph[len(GRAPH_PREFIX):].startswith(USER_GRAPH_PARTS)


PREFIXES: dict[str, str] = {
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "dct": str(DCTERMS),
    "dcat": str(DCAT),
    "prov": str(PROV),
    "sh": str(SH),
    "dprod": str(DPROD),
    "odrl": str(ODRL),
    "dpv": str(DPV),
    "pd": str(PD),
    "rai": str(RAI),
    "mesh": str(MESH),
}


def sparql_prefixes() -> str:
    """Return PREFIX declarations for every namespace meshkg knows."""
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())
