"""Governance pages and API: policy decisions, the "may I?" page and the dashboard.

`POST /api/decision` answers what `meshkg may --json` prints, from the same
function (`kg.governance.may`). The dashboard reads the check runs recorded in the
governance graph by `meshkg check`. Everything works without JavaScript; the
trend is a server-side SVG whose only inputs are integers.
"""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, render_template, request
from markupsafe import Markup

from kg import governance
from kg.errors import UsageError
from kg.policies import ODRL_ACTIONS
from webapp import get_store

bp = Blueprint("governance", __name__)

#: actions offered first in the "may I?" form; any ODRL 2.2 action may be typed
COMMON_ACTIONS = ("use", "read", "distribute", "derive", "aggregate", "modify", "share",
                  "sell", "transfer", "delete", "anonymize", "archive")


@bp.post("/api/decision")
def decision():
    """Decide a JSON request {product, action, purpose, party, at}: Decision.to_dict()."""
    data = request.get_json(force=True, silent=True)
    if data is None:
        raise UsageError("the body must be JSON: {\"product\": ..., \"action\": ..., "
                         "\"purpose\": ..., \"party\": ..., \"at\": ...}")
    answer = governance.may(get_store(), governance.MayRequest.from_json(data))
    return jsonify(answer.to_dict())


@bp.get("/governance/may")
def may_page():
    """Render the answer to a "may I?" form, in plain words, with the form again."""
    args = request.args
    purpose = args.get("purpose_iri", "").strip() or args.get("purpose", "").strip()
    form = {"product": args.get("product", ""), "action": args.get("action", "use"),
            "purpose": purpose, "party": args.get("party", ""), "at": args.get("at", "")}
    try:
        req = governance.MayRequest.from_json({k: v for k, v in form.items() if v})
        answer = governance.may(get_store(), req)
    except UsageError as exc:
        return render_template("governance_may.html", form=form, decision=None,
                               error=exc.message), 400
    return render_template("governance_may.html", form=form, decision=answer,
                           words=governance.plain_words(answer), error=None)


@bp.get("/governance")
def dashboard():
    """Per domain: products passing, violations, warnings, the trend, products with findings."""
    store = get_store()
    board = governance.dashboard(store)
    # before any check, what the gate kept on loads, imports and edits is still shown
    kept = governance.kept_findings(store) if not board.domains else []
    return render_template("governance.html", board=board, kept=kept,
                           no_domain=governance.NO_DOMAIN)


@bp.get("/governance/domain/<slug>")
def domain(slug: str):
    """One domain: its trend run by run and each product's last validation status."""
    board = governance.dashboard(get_store())
    found = next((d for d in board.domains if d.slug == slug), None)
    if found is None:
        abort(404, description=f"no domain {slug!r} in the last governance check")
    products = governance.domain_products(get_store(), found.domain)
    return render_template("governance_domain.html", d=found, products=products,
                           last_run=board.last_run)


@bp.app_template_global()
def may_form_options() -> dict:
    """Return the choices of the "may I?" form: actions and the purposes policies use."""
    purposes = governance.used_purposes(get_store())
    others = sorted(a for a in ODRL_ACTIONS if a not in COMMON_ACTIONS)
    return {"actions": list(COMMON_ACTIONS) + others, "purposes": purposes}


@bp.app_template_global()
def sparkline(values) -> Markup:
    """Return an inline SVG trend line; safe because it is built from integers only."""
    return Markup(governance.sparkline([int(v) for v in values]))
