"""Steward curation in the browser: sign-in, forms, history, revert, drafts, accounts.

Reading needs no account. Every POST here needs a steward (a signed-in account
or a bearer steward token) and, for cookie sessions, a per-session CSRF token
plus a same-origin Origin or Referer header. A request is token-authenticated only
when it carries a valid `Authorization: Bearer` steward token, and then its session
cookie is not used at all; any other Authorization header (a browser sends a cached
Basic password on its own) leaves it a cookie request, CSRF-checked.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from kg import accounts, curation
from kg.errors import (
    Conflict,
    CsrfError,
    Forbidden,
    InvalidInput,
    ShapeViolation,
    Unauthorized,
    UsageError,
    VersionConflict,
)
from kg.namespaces import DEMO, MESH
from webapp import get_settings, get_store
from webapp.auth import bearer_token, refuse_managed, token_matches

bp = Blueprint("curation", __name__)


@bp.record_once
def _cookie_policy(state) -> None:
    state.app.config["SESSION_COOKIE_HTTPONLY"] = True
    state.app.config["SESSION_COOKIE_SAMESITE"] = "Lax"


# -- who is asking ------------------------------------------------------------------


def accounts_file() -> str | None:
    """Return the accounts file named in the settings (or the app config)."""
    return (getattr(get_settings(), "accounts_file", None)
            or current_app.config.get("MESHKG_ACCOUNTS_FILE"))


def _bearer() -> bool:
    """Tell whether the request authenticates by a steward bearer token (401 if wrong)."""
    token = bearer_token(request.headers.get("Authorization"))
    if token is None:
        return False
    if not token_matches(token, get_settings().steward_tokens):
        raise Unauthorized("the steward token is not valid")
    return True


def current_user() -> dict | None:
    """Return {"name", "role", "bearer"} of the steward making the request, or None."""
    if _bearer():
        return {"name": "token", "role": "steward", "bearer": True}
    name = session.get("user")
    if not name:
        return None
    acc = accounts.load(accounts_file()).get(name)
    if acc is None:  # removed since sign-in
        session.clear()
        return None
    return {"name": acc.name, "role": acc.role, "bearer": False}


def require(role: str = "steward") -> dict:
    """Return the current steward, or refuse with 401/403."""
    user = current_user()
    if user is None:
        raise Unauthorized("sign in as a steward (or send a steward bearer token) to edit")
    if role == "admin" and user["role"] != "admin":
        raise Forbidden("only an admin may manage accounts")
    if user["role"] not in ("steward", "admin"):
        raise Forbidden("this account may not edit")
    return user


def csrf_token() -> str:
    """Return this session's CSRF token (made on first use)."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def _same_origin(url: str) -> bool:
    parts, here = urlsplit(url), urlsplit(request.host_url)
    return (parts.scheme, parts.netloc) == (here.scheme, here.netloc)


@bp.before_app_request
def _check_csrf() -> None:
    if request.method != "POST" or request.blueprint != "curation":
        return
    if _bearer():
        return  # answered by the token alone, never by the cookie: nothing to forge
    origin = request.headers.get("Origin")
    referer = request.headers.get("Referer")
    if origin and origin != "null":
        if not _same_origin(origin):
            raise CsrfError(f"refused: this form was posted from another origin ({origin})")
    elif referer:
        if not _same_origin(referer):
            raise CsrfError("refused: this form was posted from another site")
    else:
        raise CsrfError("refused: the request carries neither Origin nor Referer")
    sent = request.form.get("csrf_token", "")
    if not sent or "csrf" not in session or not hmac.compare_digest(
            sent.encode(), session["csrf"].encode()):
        raise CsrfError("refused: the form's CSRF token is missing or wrong "
                        "(reload the page and try again); nothing was written")


@bp.app_context_processor
def _helpers() -> dict:
    def user():
        try:
            return current_user()
        except Unauthorized:
            return None
    return {"csrf_token": csrf_token, "steward": user}


# -- sign-in ------------------------------------------------------------------------


def _local(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return url_for("curation.index")


@bp.route("/signin", methods=["GET", "POST"])
def signin():
    """Sign a steward in with an account name and password."""
    nxt = _local(request.values.get("next"))
    if request.method == "GET":
        return render_template("signin.html", next=nxt, error=None)
    acc = accounts.authenticate(accounts_file(), request.form.get("name", ""),
                                request.form.get("password", ""))
    if acc is None:
        return render_template("signin.html", next=nxt,
                               error="Wrong account name or password."), 401
    session.clear()
    session["user"] = acc.name
    csrf_token()
    return redirect(nxt, code=303)


@bp.post("/signout")
def signout():
    """Sign out."""
    session.clear()
    return redirect(url_for("browse.index"), code=303)


@bp.get("/curate")
def index():
    """The steward's start page: new resources, drafts and recent changes."""
    if current_user() is None:
        return redirect(url_for("curation.signin", next=request.full_path), code=303)
    return render_template("curation_index.html",
                           changes=curation.history(get_store(), limit=30),
                           drafts=curation.drafts(get_store()))


# -- forms ----------------------------------------------------------------------------


def _lines(name: str) -> list[str]:
    return [x.strip() for x in request.form.get(name, "").splitlines() if x.strip()]


def _rows(prefix: str, keys: tuple[str, ...]) -> list[dict]:
    rows, i = [], 0
    while any(f"{prefix}-{i}-{k}" in request.form for k in keys) and i < 500:
        rows.append({k: request.form.get(f"{prefix}-{i}-{k}", "") for k in keys})
        i += 1
    return rows


def concept_form() -> dict:
    """Read the posted concept form into form values."""
    labels = []
    for r in _rows("label", ("lang", "pref", "alt", "definition")):
        r["alt"] = [a.strip() for a in r["alt"].splitlines() if a.strip()]
        labels.append(r)
    return {"iri": request.form.get("iri", "").strip(), "labels": labels,
            **{k: _lines(k) for k in ("in_scheme", "broader", "narrower", "related")},
            "relations": _rows("rel", ("p", "o"))}


def product_form() -> dict:
    """Read the posted product form into form values."""
    v = {k: request.form.get(k, "").strip() for k in (
        "iri", "label", "description", "purpose", "owner", "domain", "status", "sensitivity",
        "biases", "limitations")}
    v.update({k: _lines(k) for k in curation.PRODUCT_IRIS})
    v["fields"] = _rows("field", ("iri", "name", "datatype", "concept", "personal_data"))
    v["rules"] = _rows("rule", ("kind", "action", "operator", "purpose"))
    return v


def _field_findings(iri: str, report, owned: set[str]) -> dict[str, list]:
    """Group SHACL findings by the form field they are about (by sh:resultPath)."""
    out: dict[str, list] = {}
    for f in report.results:
        out.setdefault(curation.field_of(f, iri, owned), []).append(f)
    return out


def _choices(kind: str) -> list[tuple[str, str]]:
    if kind == "status":
        return [(str(MESH[s]), s) for s in curation.LIFECYCLE]
    return [(str(MESH[s]), s) for s in curation.SENSITIVITY]


def _render_form(kind: str, values: dict, *, version: str, new: bool, status: int = 200,
                 errors=None, findings=None, comment: str = ""):
    store = get_store()
    ctx = {"values": values, "version": version, "new": new, "errors": errors or {},
           "findings": findings or {}, "comment": comment,
           "history_url": url_for("curation.history_page", iri=values.get("iri"))
           if not new else None}
    if kind == "concept":
        ctx["relations"] = curation.relation_properties(store)
        body = render_template("curation_concept.html", **ctx)
    else:
        ctx["statuses"], ctx["sensitivities"] = _choices("status"), _choices("sensitivity")
        ctx["operators"] = curation.ODRL_OPERATORS
        body = render_template("curation_product.html", **ctx)
    resp = make_response(body, status)
    if not new and status == 200:
        resp.headers["ETag"] = f'"{version}"'
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/curate/<kind>")
def edit(kind: str):
    """Show the edit form of a concept or product (a new one without ?iri=)."""
    if kind not in ("concept", "product"):
        abort(404)
    if current_user() is None:
        return redirect(url_for("curation.signin", next=request.full_path), code=303)
    iri = request.args.get("iri", "").strip()
    store = get_store()
    if not iri:
        empty = curation.Description("")
        values = (curation.concept_values(empty) if kind == "concept"
                  else curation.product_values(empty))
        if kind == "product":
            values["status"] = str(MESH.Draft)
        return _render_form(kind, values, version="", new=True)
    desc = curation.describe(store, iri)
    if not desc.exists:
        from kg.errors import NotFound
        raise NotFound(f"nothing to edit: the store says nothing about {iri}")
    if curation.kind_of(desc) not in (kind, None):
        return redirect(url_for("curation.edit", kind=curation.kind_of(desc), iri=iri))
    if request.headers.get("If-None-Match") == f'"{desc.version}"':
        return "", 304
    rels = [p for p, _ in curation.relation_properties(store)]
    values = (curation.concept_values(desc, rels) if kind == "concept"
              else curation.product_values(desc))
    return _render_form(kind, values, version=desc.version, new=False)


@bp.post("/curate/<kind>")
def save(kind: str):
    """Save a concept or product form through the SHACL gate, or explain the refusal."""
    if kind not in ("concept", "product"):
        abort(404)
    user = require()
    store = get_store()
    values = concept_form() if kind == "concept" else product_form()
    version = request.form.get("version", "")
    new = not version
    comment = request.form.get("comment", "")
    if kind == "product" and request.form.get("action") == "draft":
        values["status"] = str(MESH.Draft)

    def again(status, **kw):
        return _render_form(kind, values, version=version, new=new, status=status,
                            comment=comment, **kw)

    try:
        iri = curation.expand_iri(values["iri"] or _suggest_iri(kind, values),
                                  what="IRI")
        values["iri"] = iri
        desc = curation.describe(store, iri)
        refuse_managed(desc.graphs)
        if kind == "concept":
            rels = [p for p, _ in curation.relation_properties(store)]
            triples = curation.concept_triples(iri, values, desc, rels)
        else:
            triples = curation.product_triples(iri, values, desc)
        change = curation.save(store, iri, triples, steward=user["name"], comment=comment,
                               version=version or desc.version, create=new)
    except ValueError as exc:
        return again(400, errors={"iri": [str(exc)]})
    except InvalidInput as exc:
        return again(400, errors=exc.errors)
    except VersionConflict as exc:
        return _conflict(kind, values, exc)
    except ShapeViolation as exc:
        nodes = {q.subject.value for q in _would_be(triples)}
        return again(422, findings=_field_findings(iri, exc.report, nodes))
    if user["bearer"]:
        return {"saved": change is not None, "iri": iri,
                "change": change.id if change else None,
                "version": curation.describe(store, iri).version}, 201 if new else 200
    page = url_for(f"browse.{kind}", iri=iri)
    return redirect(page, code=303)


def _would_be(triples):
    import pyoxigraph as ox
    return [ox.Quad(s, p, o) for s, p, o in triples if isinstance(s, ox.NamedNode)]


def _suggest_iri(kind: str, values: dict) -> str:
    label = values.get("label") or next(
        (r.get("pref") for r in values.get("labels", []) if r.get("pref")), "")
    if not label:
        raise InvalidInput({"iri": ["give an IRI (or a label to derive one from)"]})
    base = getattr(get_settings(), "base_iri", str(DEMO))
    return f"{base}{kind}/{curation._slug(label)}"


def _conflict(kind: str, values: dict, exc: VersionConflict):
    store = get_store()
    current = exc.current
    rels = [p for p, _ in curation.relation_properties(store)]
    theirs = (curation.concept_values(current, rels) if kind == "concept"
              else curation.product_values(current))
    body = render_template("curation_conflict.html", kind=kind, message=exc.message,
                           theirs=theirs, yours=values, theirs_text=current.nquads(),
                           version=current.version,
                           changes=curation.history(store, current.iri, limit=3))
    return body, 409, {"Cache-Control": "no-store"}


# -- history, revert, drafts ---------------------------------------------------------


@bp.get("/history")
def history_page():
    """Show the recorded changes of one resource (or the latest of all) as diffs."""
    iri = request.args.get("iri", "").strip() or None
    changes = curation.history(get_store(), iri)
    return render_template("curation_history.html", iri=iri, changes=changes)


@bp.post("/history/revert")
def revert():
    """Undo one recorded change by a new change."""
    user = require()
    change_id = request.form.get("change", "")
    old = curation.get_change(get_store(), change_id)
    # a record forged into the history graph must not make meshkg write its own graphs
    refuse_managed(q.graph_name.value for q in old.added | old.removed)
    try:
        curation.revert(get_store(), change_id, steward=user["name"],
                        comment=request.form.get("comment", "") or f"Revert {change_id}")
    except ShapeViolation as exc:
        return render_template("curation_history.html", iri=old.resource,
                               changes=curation.history(get_store(), old.resource),
                               refused=exc.report), 422
    return redirect(url_for("curation.history_page", iri=old.resource), code=303)


@bp.get("/drafts")
def drafts():
    """List the products in draft for review."""
    return render_template("curation_drafts.html", drafts=curation.drafts(get_store()))


@bp.post("/drafts/publish")
def publish():
    """Publish a draft product (lifecycle status mesh:Active)."""
    user = require()
    iri = request.form.get("iri", "")
    refuse_managed(curation.describe(get_store(), iri).graphs if iri else ())
    try:
        curation.set_status(get_store(), iri, "Active", steward=user["name"],
                            comment=request.form.get("comment", "") or "Published draft",
                            version=request.form.get("version") or None)
    except ShapeViolation as exc:
        return render_template("curation_drafts.html", drafts=curation.drafts(get_store()),
                               refused=exc.report, refused_iri=iri), 422
    return redirect(url_for("browse.product", iri=iri), code=303)


# -- accounts -------------------------------------------------------------------------


@bp.route("/admin/accounts", methods=["GET", "POST"])
def accounts_page():
    """Let an admin add and remove accounts (the file is rewritten atomically)."""
    if request.method == "GET" and current_user() is None:
        return redirect(url_for("curation.signin", next=request.full_path), code=303)
    user = require("admin")
    path = accounts_file()
    if path is None:
        raise Conflict("no accounts file is configured (set accounts_file)")
    message, status = None, 200
    if request.method == "POST":
        name = request.form.get("name", "").strip()
        try:
            if request.form.get("action") == "remove":
                if name == user["name"]:
                    raise Conflict("you cannot remove your own account")
                accounts.remove(path, name)
                message = f"Removed {name}."
            else:
                accounts.add(path, name, request.form.get("password", ""),
                             request.form.get("role", "steward"))
                message = f"Saved {name}."
        except (UsageError, Conflict) as exc:
            message, status = exc.message, exc.http_status
    return render_template("curation_accounts.html", accounts=accounts.load(path).values(),
                           message=message, roles=accounts.ROLES), status
