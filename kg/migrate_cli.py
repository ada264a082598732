"""`meshkg migrate`: copy the store to or from a SPARQL 1.1 server."""

from __future__ import annotations

import click


@click.command()
@click.option("--to", "to_url", help="Copy this store to a remote one (sparql+http://…) "
              "or a folder.")
@click.option("--from", "from_url", help="Copy a remote store (or a folder) into this one.")
@click.pass_context
def migrate(ctx, to_url, from_url):
    """Copy all named graphs between stores in batches; a re-run resumes."""
    from kg.migrate import migrate_command
    counts = migrate_command(ctx.obj, to_url=to_url, from_url=from_url)
    click.echo(f"copied {len(counts)} graphs, {sum(counts.values())} triples")


def register(main, export) -> None:
    """Add `migrate` to the meshkg command line."""
    main.add_command(migrate)
