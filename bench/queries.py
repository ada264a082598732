"""The queries both sides answer: concept discovery with narrower concepts, label search.

Bound variables are projected too: pyoxigraph substitutes only projected variables.
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

#: the same question over meshkg's materialised skos:broaderTransitive (inference graph).
#: The concept is written in with kg's safe term serializer (see discovery_meshkg): bound
#: through pyoxigraph substitutions, or VALUES, the plan joins on every product first
#: (≈ 25 ms instead of < 1 ms at 200 products).
DISCOVERY_MESHKG = PREFIXES + """SELECT DISTINCT ?product WHERE {
  { BIND(#CONCEPT# AS ?about) } UNION { ?about skos:broaderTransitive #CONCEPT# }
  ?product dct:subject ?about ; a dprod:DataProduct .
}"""


def discovery_meshkg(concept: str) -> str:
    """Return the meshkg discovery query for one concept IRI, safely serialized."""
    from rdflib import URIRef

    from kg.store.base import term_to_sparql
    return DISCOVERY_MESHKG.replace("#CONCEPT#", term_to_sparql(URIRef(concept)))


#: products whose name contains ?q, case-insensitively (same text on both sides)
LABEL_SEARCH = PREFIXES + """SELECT ?q ?product ?label WHERE {
  ?product a dprod:DataProduct ; rdfs:label ?label .
  FILTER(CONTAINS(LCASE(STR(?label)), ?q))
}"""
