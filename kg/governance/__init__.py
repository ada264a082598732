"""Governance that computes: policy decisions on a store, checks with rules, a dashboard.

- `may` pulls from the store exactly what `kg.policies.decide` needs for one product
  (its triples, its policies, the ancestors of the request's party, place and purpose)
  plus the DPV purpose and ODRL action hierarchies, cached per process by the load
  time of the two vocabulary graphs.
- `check_store` / `check_files` run meshkg's shapes, the built-in rules in `rules/` and
  the steward's rule files, and exit non-zero on violations (see kg.cli.governance).
- Each check of a store is recorded in the governance graph as one prov:Activity with
  per-domain counts, so the dashboard can show a trend.

The package: `decisions` (may, plain words), `checks` (check_store, check_files, the
recorded runs) and `dashboard` (the trend, the products with findings).
"""

from kg.governance._common import (  # noqa: F401
    BATCH,
    BUILTIN_RULES,
    DPV_GRAPH,
    GOVERNANCE_GRAPH,
    MAY_EXIT,
    NO_DOMAIN,
    ODRL_GRAPH,
    RUN_PREFIX,
)
from kg.governance.checks import (  # noqa: F401
    CheckRun,
    DomainSummary,
    _check_store,
    _holds_shapes,
    _ownership,
    _summarise,
    check_files,
    check_shapes,
    check_store,
    record_run,
    split_paths,
)
from kg.governance.dashboard import (  # noqa: F401
    Dashboard,
    DomainTrend,
    _product_domains,
    _products_with_findings,
    dashboard,
    domain_products,
    kept_findings,
    sparkline,
)
from kg.governance.decisions import (  # noqa: F401
    MayRequest,
    _values,
    decision_graph,
    expand_iri,
    may,
    parse_at,
    plain_words,
    used_purposes,
    vocab_graph,
)

__all__ = ["BUILTIN_RULES", "GOVERNANCE_GRAPH", "MAY_EXIT", "CheckRun", "Dashboard",
           "MayRequest", "check_files", "check_shapes", "check_store",
           "dashboard", "decision_graph", "domain_products", "expand_iri", "may",
           "parse_at", "plain_words", "record_run", "sparkline", "split_paths",
           "used_purposes", "vocab_graph", "kept_findings", "NO_DOMAIN",
           "DomainSummary", "DomainTrend"]

