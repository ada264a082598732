"""Map kg.errors to HTTP answers, in one place."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from kg.errors import Busy, MeshError, ShapeViolation

log = logging.getLogger(__name__)


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json", "text/plain"])
    return best == "application/json" or request.path.startswith(("/api/", "/sparql",
                                                                   "/graph-store"))


def error_body(status: int, message: str, detail=None):
    """Answer an error as JSON, plain text or an HTML page, as the client asks."""
    if _wants_json():
        body = {"error": message, "status": status}
        if isinstance(detail, dict | list):
            body["detail"] = detail
        return jsonify(body), status
    if request.accept_mimetypes.best == "text/plain":
        return message + "\n", status, {"Content-Type": "text/plain; charset=utf-8"}
    try:
        return render_template("error.html", status=status, message=message,
                               detail=detail), status
    except Exception:  # a broken template must not hide the original error
        log.exception("error page failed to render")
        return message + "\n", status, {"Content-Type": "text/plain; charset=utf-8"}


def init_app(app: Flask) -> None:
    """Register the error handlers."""

    @app.errorhandler(ShapeViolation)
    def _shape(exc: ShapeViolation):
        detail = exc.report.to_json() if exc.report is not None else None
        return error_body(exc.http_status, exc.message, detail)

    @app.errorhandler(MeshError)
    def _mesh(exc: MeshError):
        resp = app.make_response(error_body(
            exc.http_status, exc.message,
            exc.detail if isinstance(exc.detail, dict | list) else None))
        if isinstance(exc, Busy):  # the one 503 worth retrying as it is: say when
            resp.headers["Retry-After"] = str(exc.retry_after)
        return resp

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        return error_body(exc.code or 500, exc.description or exc.name)

    @app.errorhandler(Exception)
    def _bug(exc: Exception):
        log.exception("unexpected error on %s %s", request.method, request.path)
        return error_body(500, "internal error; it has been logged")
