"""`meshkg may` and `meshkg check`: policy decisions and metadata-as-code checks.

Exit codes of `may`: 0 permit, 1 deny, 4 not-applicable; 2 for usage errors and an
unknown product, 3 for store failures (as every command). `check` exits 0 when no
finding is a violation, 1 when some are, 2 for a rule or data file that does not
parse or a refused rule (SERVICE).
"""

from __future__ import annotations

import json

import click

from kg.cli._common import open_from


@click.command()
@click.option("--product", required=True, help="IRI or prefixed name of the data product.")
@click.option("--action", required=True,
              help="ODRL action: use, read, distribute, derive, aggregate, … or an IRI.")
@click.option("--purpose", help="DPV purpose: a short name (CustomerCare), dpv:… or an IRI.")
@click.option("--party", help="IRI of the party asking (assignee, recipient).")
@click.option("--at", help="When: an ISO date or date-time (default: now).")
@click.option("--spatial", help="IRI of the place of use (for odrl:spatial constraints).")
@click.option("--json", "as_json", is_flag=True, help="Print the decision as JSON.")
@click.pass_context
def may(ctx, product, action, purpose, party, at, spatial, as_json):
    """Ask whether an action on a product is permitted: 0 permit, 1 deny, 4 not-applicable."""
    from kg.governance import MAY_EXIT, MayRequest, parse_at, plain_words
    from kg.governance import may as decide_on_store
    request = MayRequest(product, action, purpose, party, parse_at(at) if at else None,
                         spatial)
    store = open_from(ctx)
    decision = decide_on_store(store, request)
    if as_json:
        click.echo(json.dumps(decision.to_dict(), indent=2, ensure_ascii=False))
    else:
        head, *rest = plain_words(decision)
        click.echo(f"{decision.outcome}: {head}")
        for line in rest:
            click.echo(f"  - {line}")
    ctx.exit(MAY_EXIT[decision.outcome])


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@click.option("--no-record", is_flag=True,
              help="Do not add this run to the governance graph (store mode only).")
@click.pass_context
def check(ctx, paths, fmt, no_record):
    """Check metadata with meshkg's shapes, the built-in rules and your rule files.

    PATHS are Turtle files or folders. Files holding SHACL shapes are rules; the
    others are data. With data files, they are checked in a temporary in-memory
    store with the shipped vocabularies (for CI on a repository of Turtle files);
    without, the configured store is checked and the run recorded for the dashboard.
    """
    from kg.governance import check_files, check_shapes, check_store, split_paths
    rules, data = split_paths(paths) if paths else ([], [])
    shapes = check_shapes(rules)
    names = [str(r) for r in rules]
    if data:
        run = check_files(data, shapes, rules=names, rule_timeout=ctx.obj.rule_timeout,
                          rule_memory_mb=ctx.obj.rule_memory_mb)
    else:
        run = check_store(open_from(ctx), shapes, rules=names, record=not no_record,
                          rule_timeout=ctx.obj.rule_timeout,
                          rule_memory_mb=ctx.obj.rule_memory_mb)
    if fmt == "json":
        click.echo(json.dumps(run.to_json(), indent=2, ensure_ascii=False))
    else:
        click.echo(run.report.to_text(), nl=False)
        where = f"{len(data)} data file(s)" if data else "the store"
        click.echo(f"checked {where} with meshkg shapes, built-in rules"
                   + (f" and {len(rules)} rule file(s)" if rules else ""))
        for d in run.domains:
            click.echo(f"  {d.label}: {d.passing}/{d.products} products pass, "
                       f"{d.violations} violations, {d.warnings} warnings")
    ctx.exit(0 if run.conforms else 1)


COMMANDS = (may, check)
