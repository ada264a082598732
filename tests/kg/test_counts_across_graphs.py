"""What the home page counts is counted once, however many graphs state it: a scheme whose
concepts two files both describe, a product whose modification time two imports state (a
DCAT dataset and its JSON-LD twin). Found by trying meshkg with the Skosmos test files."""

from __future__ import annotations

from kg import catalog
from kg.sources import load_files

SCHEME = """
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix ex: <https://example.org/v/> .
ex:scheme a skos:ConceptScheme ; dct:title "Shared scheme"@en ; skos:hasTopConcept ex:a .
ex:a a skos:Concept ; skos:prefLabel "A"@en ; skos:topConceptOf ex:scheme .
ex:b a skos:Concept ; skos:prefLabel "B"@en ; skos:broader ex:a ; skos:inScheme ex:scheme .
ex:c a skos:Concept ; skos:prefLabel "C"@en ; skos:broader ex:b ; skos:inScheme ex:scheme .
"""


def test_a_scheme_described_by_two_files_counts_each_concept_once(vocab_store, tmp_path):
    for name in ("one.ttl", "two.ttl"):
        (tmp_path / name).write_text(SCHEME, encoding="utf-8")
    load_files(vocab_store, [tmp_path / "one.ttl", tmp_path / "two.ttl"])
    assert catalog.scheme_size(vocab_store, "https://example.org/v/scheme") == 3


def test_recently_changed_lists_a_product_once(demo_store, tmp_path):
    first = catalog.recent_products(demo_store).items[0]
    twin = tmp_path / "twin.ttl"
    twin.write_text(f"<{first.iri}> <http://purl.org/dc/terms/modified> "
                    '"2999-01-01"^^<http://www.w3.org/2001/XMLSchema#date> .\n',
                    encoding="utf-8")
    load_files(demo_store, [twin])
    recent = [p.iri for p in catalog.recent_products(demo_store).items]
    assert recent[0] == first.iri and recent.count(first.iri) == 1
