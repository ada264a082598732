"""The meshkg ontology: it parses, every own term is documented and aligned to a standard."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from kg.namespaces import DPROD, DPROD_OLD, MESH

ROOT = Path(__file__).parents[2]
ONTOLOGY = ROOT / "ontology" / "meshkg.ttl"
ONTOLOGY_IRI = URIRef("https://w3id.org/meshkg/ontology")
TERM_TYPES = (OWL.Class, RDFS.Class, OWL.ObjectProperty, OWL.DatatypeProperty, RDF.Property)


@pytest.fixture(scope="module")
def onto() -> Graph:
    return Graph().parse(ONTOLOGY)


def _own(g: Graph) -> list[URIRef]:
    return sorted({s for s in g.subjects() if isinstance(s, URIRef) and s.startswith(str(MESH))})


def _terms(g: Graph) -> list[URIRef]:
    return [s for s in _own(g) if any((s, RDF.type, t) in g for t in TERM_TYPES)]


def test_ontology_parses_and_declares_itself(onto):
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in onto
    assert onto.value(ONTOLOGY_IRI, OWL.versionInfo) is not None
    assert onto.value(ONTOLOGY_IRI, URIRef("http://purl.org/dc/terms/license")) is not None
    assert URIRef(str(DPROD)) in set(onto.objects(ONTOLOGY_IRI, OWL.imports))


def test_own_terms_exist(onto):
    names = {t.removeprefix(str(MESH)) for t in _terms(onto)}
    assert {"DataDomain", "Field", "ConceptRelation", "relatesTo", "tag", "hasField",
            "datatype", "meansConcept", "covers", "doesNotCover"} <= names


def test_every_own_term_has_label_and_comment(onto):
    missing = [t for t in _terms(onto)
               if onto.value(t, RDFS.label) is None or onto.value(t, RDFS.comment) is None]
    assert missing == []


def test_every_own_term_is_aligned_to_a_standard_term(onto):
    unaligned = []
    for t in _terms(onto):
        supers = set(onto.objects(t, RDFS.subClassOf)) | set(onto.objects(t, RDFS.subPropertyOf))
        if not any(not s.startswith(str(MESH)) for s in supers):
            unaligned.append(t)
    assert unaligned == []


def test_own_individuals_are_typed_with_standard_classes(onto):
    individuals = [s for s in _own(onto) if s not in _terms(onto)]
    assert individuals, "expected lifecycle statuses, sensitivity levels and their schemes"
    for s in individuals:
        types = set(onto.objects(s, RDF.type))
        assert types and all(not t.startswith(str(MESH)) for t in types), s
        assert onto.value(s, RDFS.label) is not None, s


@pytest.mark.parametrize("status", ["Draft", "Active", "Deprecated", "Retired"])
def test_lifecycle_statuses_are_dprod_statuses_in_a_scheme(onto, status):
    s = MESH[status]
    assert (s, RDF.type, DPROD.DataProductLifecycleStatus) in onto
    assert (s, URIRef("http://www.w3.org/2004/02/skos/core#inScheme"),
            MESH.LifecycleStatusScheme) in onto


@pytest.mark.parametrize("level", ["Public", "Internal", "Confidential", "Restricted"])
def test_sensitivity_levels_are_dprod_classifications(onto, level):
    assert (MESH[level], RDF.type, DPROD.InformationSensitivityClassification) in onto


@pytest.mark.parametrize("path", [
    ONTOLOGY, ROOT / "shapes" / "meshkg-shapes.ttl", *sorted((ROOT / "kg" / "demo").glob("*.ttl")),
], ids=lambda p: p.name)
def test_our_files_never_use_the_old_dprod_namespace(path):
    assert DPROD_OLD not in path.read_text(encoding="utf-8")
