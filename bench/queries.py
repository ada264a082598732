"""The queries both sides answer: concept discovery with narrower concepts, label search.

Bound variables are projected too: pyoxigraph substitutes only projected variables.
meshkg answers discovery and label search from its search index (kg.searchindex),
materialised at inference; the baseline side walks skos:broader* and scans labels.
"""

PREFIXES = """PREFIX dprod: <https://www.omg.org/spec/DPROD/>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""

#: products about ?concept or any narrower concept, by walking skos:broader* at query time
DISCOVERY_RDFLIB = PREFIXES + """SELECT DISTINCT ?concept ?product WHERE {
  ?about skos:broader* ?concept .
  ?product dct:subject ?about ; a dprod:DataProduct .
}"""

#: the same question over meshkg's discovery index: one triple pattern in one named graph
#: (each product with every concept it is about, directly or through a broader one).
#: The concept is written in with kg's safe term serializer (see discovery_meshkg): bound
#: through pyoxigraph substitutions, or VALUES, the plan joins on every product first.
DISCOVERY_MESHKG = """SELECT DISTINCT ?product WHERE {
  GRAPH <#INDEX_GRAPH#> { ?product <#ABOUT#> #CONCEPT# }
}"""

#: the question over the materialised skos:broaderTransitive in the union of all graphs,
#: without the index (what meshkg ran before it; any SPARQL store holding the same
#: triples answers it, so an endpoint without meshkg's index graph can be sent this)
DISCOVERY_UNION = PREFIXES + """SELECT DISTINCT ?product WHERE {
  { BIND(#CONCEPT# AS ?about) } UNION { ?about skos:broaderTransitive #CONCEPT# }
  ?product dct:subject ?about ; a dprod:DataProduct .
}"""


def _concept(text: str, concept: str) -> str:
    from rdflib import URIRef

    from kg.store.base import term_to_sparql
    return text.replace("#CONCEPT#", term_to_sparql(URIRef(concept)))


def discovery_meshkg(concept: str) -> str:
    """Return the meshkg discovery query (its index) for one concept IRI."""
    from kg import searchindex
    return _concept(DISCOVERY_MESHKG.replace("#INDEX_GRAPH#", searchindex.DISCOVERY_GRAPH)
                    .replace("#ABOUT#", searchindex.ABOUT), concept)


def discovery_union(concept: str) -> str:
    """Return the discovery query over the union of graphs (no index) for one concept."""
    return _concept(DISCOVERY_UNION, concept)


#: products whose name contains ?q, case-insensitively (same text on both sides)
LABEL_SEARCH = PREFIXES + """SELECT ?q ?product ?label WHERE {
  ?product a dprod:DataProduct ; rdfs:label ?label .
  FILTER(CONTAINS(LCASE(STR(?label)), ?q))
}"""


def label_search_meshkg(store, text: str) -> str:
    """Return meshkg's label search for the same question: products whose name has a
    word starting with each word of the text, from the label index (kg.searchindex; its
    dictionary is read first, so the words are written in). For the benchmark's two-word
    names ("harmonised invoices") it finds the rows CONTAINS finds."""
    from kg import searchindex
    words = searchindex.lookup(store, text) or "FILTER(false)"
    return ("PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
            f"PREFIX idx: <{searchindex.INDEX}>\n"
            "SELECT ?product ?label WHERE {\n"
            f"  GRAPH <{searchindex.LABELS_GRAPH}> {{\n    {words}\n"
            "    ?entry idx:product ?product ; idx:how rdfs:label ; idx:text ?label .\n  }\n}")
