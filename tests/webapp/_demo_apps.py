"""The web app over a copy of the demo mesh, with or without files imported through the
real `meshkg import` command, for the product, privacy, SPARQL-example and resource tests."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from kg.cli import main
from kg.config import Settings
from kg.store.oxigraph import OxigraphStore
from webapp import create_app

CORPORA = Path(__file__).resolve().parents[1] / "data" / "corpora"
#: DCAT-AP 3.0.1's example of a dataset series over two regions (dct:spatial on datasets)
DCAT_AP_SPATIAL = (CORPORA / "dcat-ap-3" / "examples"
                   / "example-bee-population-dataset-series-spatial-thessaloniki-athens.ttl")
#: W3C DCAT 3's example of temporal coverage (periods, OWL-Time, resolutions)
DCAT_TEMPORAL = CORPORA / "dcat3" / "examples" / "temporal-properties.ttl"


def demo_copy(template: Path, folder: Path, imports: tuple[tuple[str, Path], ...] = ()) -> Path:
    """Copy the demo store to a folder and import files into it with `meshkg import`.

    `--no-validate`: what the gate says about an imported draft (a placeholder owner,
    domain, concept) is another test's subject; these tests read what the pages show."""
    path = folder / "store"
    shutil.copytree(template, path)
    for kind, file in imports:
        result = CliRunner().invoke(main, ["--store", str(path), "import", kind,
                                           "--no-validate", str(file)])
        assert result.exit_code == 0, result.output
    return path


def app_over(path: Path):
    """Return (app, store) over a store folder; the caller closes the store."""
    store = OxigraphStore(path)
    return create_app(Settings(store=str(path), load_demo=False), store), store
