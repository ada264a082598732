"""The one exception tree of meshkg.

Each class carries the exit code the CLI uses and the HTTP status the web app
answers with; both map them in exactly one place.
"""

from __future__ import annotations


class MeshError(Exception):
    """Base of every error meshkg reports to a user."""

    exit_code = 2
    http_status = 400

    def __init__(self, message: str, *, detail: object | None = None):
        super().__init__(message)
        self.message = message
        self.detail = detail


class UsageError(MeshError):
    """A command or request was called with wrong arguments."""


class ParseError(MeshError):
    """An RDF file or body could not be parsed."""

    def __init__(self, message: str, *, source: str | None = None,
                 line: int | None = None, column: int | None = None):
        where = source or "<input>"
        if line is not None:
            where += f":{line}"
            if column is not None:
                where += f":{column}"
        super().__init__(f"{where}: {message}")
        self.source = source
        self.line = line
        self.column = column
        self.reason = message


class Unrepresentable(UsageError):
    """The answer holds a value the asked-for format cannot hold: ask for another format."""

    http_status = 406


class FormatMismatch(ParseError):
    """The content does not match the format its name or type claims."""


class HostileInput(ParseError):
    """Input refused for safety (entities, remote contexts, nesting, size)."""


class TooLarge(MeshError):
    """A body or file is over the configured size limit."""

    http_status = 413


class NotFound(MeshError):
    """An IRI, graph or resource the store does not know."""

    http_status = 404


class QuerySyntaxError(MeshError):
    """A SPARQL query or update that does not parse."""


class QueryRefused(MeshError):
    """A query that would open a socket or file (SERVICE, LOAD, remote FROM)."""


class QueryTimeout(MeshError):
    """A query or update stopped at its time budget (the message names the budget)."""

    exit_code = 3
    http_status = 503


class OverBudget(MeshError):
    """An evaluation stopped because it needed more memory than its budget."""

    exit_code = 3
    http_status = 503


class Busy(MeshError):
    """Every evaluation slot this client may use, or every worker, stayed taken for the
    bounded wait: the same request may succeed later (`retry_after` seconds)."""

    exit_code = 3
    http_status = 503

    def __init__(self, message: str, *, retry_after: int = 1):
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))


class ResultTooLarge(MeshError):
    """A result over the row cap: the request must change (a LIMIT, or partial=true),
    so 400 and not 503, which tells a client to send the same request again."""


class ShapeViolation(MeshError):
    """A change refused because it leaves SHACL violations; carries the report."""

    exit_code = 1
    http_status = 422

    def __init__(self, message: str, *, report=None):
        super().__init__(message, detail=report)
        self.report = report


class InvalidInput(UsageError):
    """Form input that cannot become RDF; `errors` maps form fields to messages."""

    def __init__(self, errors):
        self.errors = {k: list(v) for k, v in errors.items()}
        first = "; ".join(f"{k}: {m}" for k, ms in self.errors.items() for m in ms)
        super().__init__(f"the form has errors, nothing was written ({first})")


class Conflict(MeshError):
    """A write based on a stale version of a resource."""

    http_status = 409


class VersionConflict(Conflict):
    """A save based on a stale version; `current` is the resource as it is now."""

    def __init__(self, message: str, *, current=None):
        super().__init__(message)
        self.current = current


class Unauthorized(MeshError):
    """Missing or wrong credentials."""

    http_status = 401


class Forbidden(MeshError):
    """Credentials that do not grant this action."""

    http_status = 403


class CsrfError(Forbidden):
    """A cookie-authenticated state change without a valid CSRF token, or cross-origin."""


class ManagedGraph(Forbidden):
    """A write to one of meshkg's own graphs (history, meta, findings, entailments, index,
    vocabularies): only meshkg writes them, whoever asks."""


class StoreLocked(MeshError):
    """The on-disk store is opened by another process."""

    exit_code = 3
    http_status = 503


class StoreError(MeshError):
    """The backend failed (disk full, remote server down)."""

    exit_code = 3
    http_status = 502


class RemoteTimeout(StoreError):
    """The remote SPARQL server did not answer within the deadline."""

    http_status = 504
