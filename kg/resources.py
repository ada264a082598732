"""Locate the Turtle kept at the top of the repository: the ontology, the shapes, the rules.

`ontology/`, `shapes/` and `rules/` live beside `kg/` in a checkout (and so in an editable
install, which runs the checkout's files). A wheel has no such folders: its build step
(`setup.py`) copies them into the package as `kg/_toplevel/{ontology,shapes,rules}/`. Each
function returns the packaged copy when there is one, else the checkout's file.

A leaf module: it imports nothing of meshkg's.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
#: where a wheel carries the top-level folders (the name setup.py copies them to)
PACKAGED = _PACKAGE / "_toplevel"
#: the checkout's root, when kg/ runs from a source tree
CHECKOUT = _PACKAGE.parent


def _locate(folder: str, name: str) -> Path:
    packaged = PACKAGED / folder / name
    if packaged.is_file():
        return packaged
    checkout = CHECKOUT / folder
    # outside a checkout, name the packaged path so that a broken install says where the
    # file should have been, not a path beside site-packages
    return checkout / name if checkout.is_dir() else packaged


#: the vocabularies meshkg ships in kg/vocab/ and loads into every store
VOCAB_DIR = _PACKAGE / "vocab"
VOCABULARIES = ("dprod-ontology.ttl", "dcat3.ttl", "skos-core.ttl", "prov-o.ttl",
                "dcterms.ttl", "ODRL22.ttl", "dpv-2.3.ttl", "pd-2.3.ttl", "croissant-rai.ttl")


def ontology_file() -> Path:
    """Return the path of the meshkg ontology (`ontology/meshkg.ttl`)."""
    return _locate("ontology", "meshkg.ttl")


def shapes_file() -> Path:
    """Return the path of meshkg's SHACL shapes (`shapes/meshkg-shapes.ttl`)."""
    return _locate("shapes", "meshkg-shapes.ttl")


def rules_file() -> Path:
    """Return the path of the built-in governance rules (`rules/builtin.ttl`)."""
    return _locate("rules", "builtin.ttl")
