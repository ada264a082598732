"""The product page shows every coverage statement: concepts covered and not covered,
dct:coverage, dct:spatial, dct:temporal (periods as date ranges), the resolutions, and
Croissant RAI biases and limitations; for a demo product, and for products `meshkg import
dcat` made from a DCAT-AP 3 example and a W3C DCAT 3 example, whose datasets state them."""

from __future__ import annotations

import html as htmllib
import re

import pytest

from tests.webapp._demo_apps import DCAT_AP_SPATIAL, DCAT_TEMPORAL, app_over, demo_copy

PRODUCT = "https://demo.meshkg.org/id/product/"


@pytest.fixture(scope="module")
def client(tmp_path_factory, _demo_template):
    path = demo_copy(_demo_template[0], tmp_path_factory.mktemp("coverage"),
                     (("dcat", DCAT_AP_SPATIAL), ("dcat", DCAT_TEMPORAL)))
    app, store = app_over(path)
    store.update(  # a steward's own coverage statements, beside the demo's
        "INSERT DATA { GRAPH <urn:test:coverage> { "
        f"<{PRODUCT}store-sales> <http://purl.org/dc/terms/coverage> "
        "\"Tills of the 212 Lindenhof stores\"@en , <http://example.org/region/dach> ; "
        "<http://www.w3.org/ns/dcat#spatialResolutionInMeters> 25000.0 ; "
        "<http://www.w3.org/ns/dcat#temporalResolution> \"P1D\"^^"
        "<http://www.w3.org/2001/XMLSchema#duration> . "
        "<http://example.org/region/dach> <http://www.w3.org/2000/01/rdf-schema#label> "
        "\"Germany, Austria, Switzerland\"@en } }")
    yield app.test_client()
    store.close()


def coverage(client, iri: str) -> dict[str, str]:
    """Return the coverage section of a product page as {term: text}."""
    resp = client.get("/product", query_string={"iri": iri})
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    page = resp.get_data(as_text=True)
    section = page.split('id="coverage"')[1].split('id="trust"')[0]
    facts = {}
    for term, value in re.findall(r"<dt>(.*?)</dt><dd[^>]*>(.*?)</dd>", section, re.S):
        facts[term] = " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", value)).split())
    facts["note"] = " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", section)).split())
    return facts


def imported(client, label: str) -> str:
    """Return the IRI of the product an import made from the dataset with this title."""
    resp = client.get("/search", query_string={"q": label, "format": "json"})
    hits = [h for h in resp.get_json()["results"] if h["label"] == label]
    assert len(hits) == 1, resp.get_json()["results"]
    return hits[0]["iri"]


def test_demo_product_shows_concepts_places_period_biases_limitations(client):
    facts = coverage(client, PRODUCT + "ecommerce-sales")
    assert facts["Covers"] == "Online sale"
    assert facts["Does not cover"] == "In-store sale"
    assert facts["Where"] == "AUT , DEU"
    assert facts["When"] == "since 2020-03-01"
    assert facts["Known biases"].startswith("Marketplace orders are reported two days late")
    assert facts["Limitations"].startswith("E-commerce only")


def test_dct_coverage_and_resolutions_are_shown(client):
    facts = coverage(client, PRODUCT + "store-sales")
    assert facts["Coverage"] == "Germany, Austria, Switzerland , Tills of the 212 Lindenhof stores"
    assert "spatial resolution 25,000 m" in facts["Where"]
    assert "temporal resolution 1 day (P1D)" in facts["When"]
    # mesh:covers and dct:spatial are dct:coverage too; they are not said twice
    assert "In-store sale" not in facts["Coverage"] and "DEU" not in facts["Coverage"]


def test_a_product_stating_no_concept_says_so_truthfully(client):
    facts = coverage(client, imported(
        client, "Bee population 2023 in the region of Thessaloniki and Athens"))
    assert facts["Covers"] == "No concept it covers is stated."
    assert "Not stated" not in facts["note"]


def test_imported_dcat_ap_dataset_shows_its_places(client):
    """DCAT-AP 3.0.1's example: the datasets name GeoNames places (no label in the store)."""
    iri = imported(client, "Bee population 2023 in the region of Thessaloniki and Athens")
    facts = coverage(client, iri)
    assert facts["Where"] == "sws.geonames.org/264371 , sws.geonames.org/734077"
    if iri != "https://data.gov.gr/id/dataset/BeePopulation2023":  # a product serving it
        assert "Includes what the datasets it serves state: Bee population 2023" \
            in facts["note"]
    facts = coverage(client, imported(client, "Bee population 2022 in the region of Thessaloniki"))
    assert facts["Where"] == "sws.geonames.org/734077"


def test_imported_geonames_places_link_out(client):
    iri = imported(client, "Bee population 2022 in the region of Thessaloniki")
    page = client.get("/product", query_string={"iri": iri}).get_data(as_text=True)
    assert 'href="https://sws.geonames.org/734077"' in page


@pytest.mark.parametrize("dataset, when", [
    ("ds127", "since 2016-03-04"),
    ("ds257", "2016-03-04 to 2018-08-05"),
    ("ds348", "2016-03-04 to 2018-08-05"),  # OWL-Time beginning and end
    ("ds429", "1914 to 1939"),  # OWL-Time years
    ("ds586", "until 2018-08-05"),
    ("ds850", "a period of time with no calendar dates stated"),  # geological time
    ("ds782", "(temporal resolution 1 hour (PT1H))"),
    ("ds913", "(temporal resolution 15 minutes (PT15M))"),
])
def test_imported_dcat_periods_show_as_date_ranges(client, dataset, when):
    """W3C DCAT 3's temporal-properties example: the datasets have no title, so the
    import names each product after its IRI's last segment."""
    facts = coverage(client, imported(client, dataset))
    assert facts["When"] == when
