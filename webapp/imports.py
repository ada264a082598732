"""Steward uploads (`/import`) and standard exports (`/export/...`).

Uploads need updates switched on and a steward bearer token (an Authorization Bearer header,
or the form's token field: a credential the browser never sends on its own, so no
cross-site form can post one). Each uploaded file is stored under a fresh temporary
folder by a sanitised name, imported on its own, and the folder is removed after.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from flask import Blueprint, Response, jsonify, render_template, request

from kg.errors import HostileInput, UsageError
from kg.exchange import IMPORTERS
from kg.exchange.report import ImportReport, SourceReport
from kg.results import serialize_graph
from webapp import get_settings, get_store
from webapp.auth import require_steward

bp = Blueprint("imports", __name__)

KINDS = {"draft": "data files (CSV, TSV, XLSX, JSON Lines, Parquet) to draft products",
         **{k: what for k, (_m, _f, what) in IMPORTERS.items()}}
MAX_FILES = 50


def _require_steward() -> None:
    """Check updates are on and a steward token came with the request (a Bearer header,
    else the form's token field); the session cookie never counts here."""
    require_steward(get_settings(), fallback=request.form.get("token"))


def safe_name(name: str | None) -> str:
    """Return an upload's file name, refusing paths, parents and hidden names."""
    if not name:
        raise UsageError("an uploaded file has no name")
    if "/" in name or "\\" in name or name in (".", "..") or name.startswith(".") \
            or "\x00" in name or ":" in name:
        raise HostileInput(f"upload name {name!r} is a path; only plain file names are "
                           "accepted", source=name)
    return name


def _import(kind: str, files) -> ImportReport:
    import importlib

    from kg.exchange.common import run_each
    store = get_store()
    base = get_settings().base_iri
    folder = Path(tempfile.mkdtemp(prefix="meshkg-upload-"))
    report = ImportReport()
    try:
        saved = []
        for f in files:
            try:
                path = folder / safe_name(f.filename)
            except (UsageError, HostileInput) as exc:
                report.sources.append(SourceReport(str(f.filename), kind, error=exc.message))
                continue
            f.save(path)
            saved.append(path)
        if kind == "draft":
            from kg.exchange.draft import draft
            done = draft(store, saved, base_iri=base) if saved else ImportReport()
        else:
            module, func, _what = IMPORTERS[kind]
            one = getattr(importlib.import_module(module), func)
            done = run_each(store, saved, kind,
                            lambda p, rep: one(store, p, rep, base_iri=base))
        for rep in done.sources:  # show the name uploaded, not the temporary path
            rep.source = Path(rep.source).name
            rep.error = rep.error.replace(str(folder) + "/", "") if rep.error else None
        report.sources += done.sources
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return report


@bp.get("/import")
def page():
    """Show the upload form and what each standard maps."""
    return render_template("import.html", kinds=KINDS, enabled=get_settings().updates_enabled,
                           report=None)


@bp.post("/import")
def upload():
    """Import the uploaded files of one kind; answer the per-file report."""
    _require_steward()
    kind = request.form.get("kind", "")
    if kind not in KINDS:
        raise UsageError(f"unknown import kind {kind!r}; one of {', '.join(KINDS)}")
    files = [f for f in request.files.getlist("file") if f and f.filename]
    if not files:
        raise UsageError("no file uploaded (form field 'file')")
    if len(files) > MAX_FILES:
        raise UsageError(f"at most {MAX_FILES} files per upload")
    report = _import(kind, files)
    status = 200 if report.ok else (207 if any(s.ok for s in report.sources) else 422)
    if request.accept_mimetypes.best_match(["text/html", "application/json"]) \
            == "application/json":
        return jsonify(report.to_json()), status
    return render_template("import.html", kinds=KINDS, enabled=True, report=report), status


def _download(data: bytes, media: str, name: str) -> Response:
    return Response(data, mimetype=media,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/export/dcat-ap.ttl")
def dcat_ap():
    """Download the DCAT-AP 3 catalog of the active products."""
    from kg.exchange.export_dcat_ap import export_dcat_ap
    g = export_dcat_ap(get_store(), get_settings().base_iri)
    return _download(serialize_graph(g, "text/turtle"), "text/turtle",
                     "dcat-ap.ttl")


@bp.get("/export/dprod.jsonld")
def dprod():
    """Download the products as DPROD JSON-LD."""
    from kg.exchange.export_dprod import export_dprod
    return _download(export_dprod(get_store()), "application/ld+json", "dprod.jsonld")


@bp.get("/export/odcs/<path:product>")
def odcs(product: str):
    """Download one product's ODCS v3.1.0 contract (by IRI, label or identifier)."""
    from kg.exchange.export_odcs import _id, export_odcs
    from kg.exchange.products import resolve_product
    store = get_store()
    iri = resolve_product(store, product)
    return _download(export_odcs(store, iri), "application/yaml", f"{_id(iri)}.odcs.yaml")


@bp.get("/export/skos")
def skos():
    """Download one concept scheme (?scheme=IRI) as SKOS Turtle."""
    from kg.exchange.skos import export_scheme
    scheme = request.args.get("scheme", "")
    if not scheme:
        raise UsageError("give the scheme IRI: /export/skos?scheme=...")
    g = export_scheme(get_store(), scheme)
    return _download(serialize_graph(g, "text/turtle"), "text/turtle",
                     "scheme.ttl")
