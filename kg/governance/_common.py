"""Names the governance modules share: graphs, exit codes, what a product owns."""

from __future__ import annotations

from rdflib import URIRef

from kg import resources
from kg.namespaces import (
    DPROD,
    GRAPH_PREFIX,
    MESH,
    VOCAB_GRAPH_PREFIX,
)
from kg.policies import (
    DENY,
    NOT_APPLICABLE,
    PERMIT,
)

BUILTIN_RULES = resources.rules_file()
GOVERNANCE_GRAPH = GRAPH_PREFIX + "governance"
DPV_GRAPH = VOCAB_GRAPH_PREFIX + "dpv-2.3"
ODRL_GRAPH = VOCAB_GRAPH_PREFIX + "ODRL22"
NO_DOMAIN = "urn:meshkg:governance:no-domain"
RUN_PREFIX = "urn:meshkg:governance:run:"
BATCH = 400

#: exit codes of `meshkg may`, by outcome (2 usage / unknown product, 3 store failure)
MAY_EXIT = {PERMIT: 0, DENY: 1, NOT_APPLICABLE: 4}

# Nodes a product owns, whose findings count for the product on the dashboard
# (the same ownership validation_describe follows, without input ports: those
# belong to the upstream product).
_OWNED = (DPROD.outputPort, URIRef("http://www.w3.org/ns/dcat#servesDataset"),
          URIRef("http://www.w3.org/ns/dcat#distribution"), MESH.hasField,
          URIRef("http://www.w3.org/ns/odrl/2/hasPolicy"))

_PROV = "http://www.w3.org/ns/prov#"
_XSD = "http://www.w3.org/2001/XMLSchema#"


