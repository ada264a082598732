"""The governance dashboard: per-domain counts and their trend over the recorded checks,
and, before any check, the findings the gate kept."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from kg.governance._common import GOVERNANCE_GRAPH, NO_DOMAIN
from kg.governance.checks import DomainSummary
from kg.policies import (
    local_name,
)
from kg.queries import load_query
from kg.store.base import Store

# ------------------------------------------------------------------ dashboard


@dataclass
class DomainTrend:
    """One domain on the dashboard: its latest counts and its history, oldest first."""

    domain: str
    label: str
    latest: DomainSummary
    history: list[DomainSummary]
    checked_at: list[str]
    #: (product, violations, warnings) of products with stored findings, worst first
    with_findings: list[tuple[str, int, int]] = field(default_factory=list)

    @property
    def slug(self) -> str:
        """Return the short name the domain page is reached by."""
        return local_name(self.domain)


@dataclass
class Dashboard:
    """What /governance shows: per-domain counts and trends, and the last run's time."""

    domains: list[DomainTrend]
    last_run: str | None
    runs: int


def dashboard(store: Store, *, runs: int = 30) -> Dashboard:
    """Return per-domain counts of the latest check and their trend over the last runs."""
    if not store.has_graph(GOVERNANCE_GRAPH):
        return Dashboard([], None, 0)
    rows = store.query(load_query("governance_runs"), default_graphs=[GOVERNANCE_GRAPH]).rows
    order: list[str] = []
    ended: dict[str, str] = {}
    by_run: dict[str, dict[str, DomainSummary]] = {}
    for r in rows:
        run = str(r["run"])
        if run not in by_run:
            if len(order) == runs:
                continue
            order.append(run)
            ended[run] = str(r["ended"])
            by_run[run] = {}
        domain = str(r["domain"])
        by_run[run][domain] = DomainSummary(
            domain, str(r.get("label") or local_name(domain)), int(r["products"]),
            int(r["passing"]), int(r["violations"]), int(r["warnings"]))
    if not order:
        return Dashboard([], None, 0)
    order.reverse()  # oldest first, as a trend reads
    latest = by_run[order[-1]]
    findings = _products_with_findings(store)
    domains = []
    for domain, summary in latest.items():
        history = [by_run[run][domain] for run in order if domain in by_run[run]]
        times = [ended[run] for run in order if domain in by_run[run]]
        domains.append(DomainTrend(domain, summary.label, summary, history, times,
                                   findings.get(domain, [])))
    domains.sort(key=lambda d: (d.domain == NO_DOMAIN, d.label.lower()))
    return Dashboard(domains, ended[order[-1]], len(order))


def _product_domains(store: Store) -> dict[str, str]:
    from kg.validation import asserted_graphs
    graphs = asserted_graphs(store, exclude=[GOVERNANCE_GRAPH])
    rows = store.query(load_query("governance_domains"), default_graphs=graphs).rows
    return {str(r["product"]): str(r.get("domain") or NO_DOMAIN) for r in rows}


def _products_with_findings(store: Store) -> dict[str, list[tuple[str, int, int]]]:
    """Return, per domain, the products whose stored status has violations or warnings."""
    from kg.validation import product_status
    status = product_status(store)
    out: dict[str, list[tuple[str, int, int]]] = {}
    for product, domain in _product_domains(store).items():
        st = status.get(product)
        if st and (st["violations"] or st["warnings"]):
            out.setdefault(domain, []).append((product, st["violations"], st["warnings"]))
    for items in out.values():
        items.sort(key=lambda t: (-t[1], -t[2], t[0]))
    return out


def kept_findings(store: Store) -> list[tuple[str, list[tuple[str, int, int]]]]:
    """Before any `meshkg check`: per domain (sorted, no domain last), the products whose
    findings the gate kept on their last load, import or edit, with their counts."""
    found = _products_with_findings(store)
    return sorted(found.items(), key=lambda kv: (kv[0] == NO_DOMAIN, kv[0]))


def domain_products(store: Store, domain: str) -> list[tuple[str, dict | None]]:
    """Return the products of a domain with their last stored validation status."""
    from kg.validation import product_status
    status = product_status(store)
    products = sorted(p for p, d in _product_domains(store).items() if d == domain)
    return [(p, status.get(p)) for p in products]


def sparkline(values: Sequence[int], *, width: int = 120, height: int = 24) -> str:
    """Return an inline SVG polyline of the values (numbers only, no markup from data)."""
    if not values:
        return ""
    top = max(max(values), 1)
    step = width / max(len(values) - 1, 1)
    points = " ".join(f"{i * step:.1f},{height - 2 - (v / top) * (height - 4):.1f}"
                      for i, v in enumerate(values))
    return (f'<svg class="sparkline" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-hidden="true">'
            f'<polyline fill="none" stroke="currentColor" stroke-width="1.5" '
            f'points="{points}"/></svg>')

