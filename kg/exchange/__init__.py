"""Speak other standards: draft products from data files, import dbt, ODCS, ODPS, DPDS,
DCAT, DPROD and SKOS, and export DCAT-AP 3, DPROD, ODCS and SKOS."""

from __future__ import annotations

import importlib
from collections.abc import Callable

#: each standard `meshkg import` and the web app's uploads read: the module and function
#: importing one file of it, and what it reads (for help texts)
IMPORTERS = {
    "dbt": ("kg.exchange.dbt", "import_dbt", "a dbt target/manifest.json"),
    "odcs": ("kg.exchange.odcs", "import_odcs", "ODCS v3 data contracts (YAML/JSON)"),
    "odps": ("kg.exchange.odps", "import_odps", "ODPS data products (YAML/JSON)"),
    "dpds": ("kg.exchange.dpds", "import_dpds", "Open Data Mesh DPDS descriptors"),
    "dcat": ("kg.exchange.dcat", "import_dcat", "DCAT / DCAT-AP catalogs (RDF)"),
    "dprod": ("kg.exchange.dprod", "import_dprod", "DPROD products (JSON-LD, Turtle)"),
    "skos": ("kg.exchange.skos", "import_skos", "SKOS vocabularies (RDF)"),
}


def importer(kind: str) -> Callable:
    """Return the function importing one file of a standard (a key of IMPORTERS); its
    module is imported only now, so a command line naming one standard loads only it."""
    module, function, _what = IMPORTERS[kind]
    return getattr(importlib.import_module(module), function)
