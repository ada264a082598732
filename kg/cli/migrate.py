"""`meshkg migrate` and `meshkg recover`: move a store to or from a SPARQL 1.1 server, and
repair what an interrupted write left on one (docs/remote.md)."""

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


@click.command()
@click.pass_context
def recover(ctx):
    """Finish interrupted writes on a SPARQL server and drop its staging graphs.

    Run it when no other meshkg process writes to that server.
    """
    from kg.migrate import recover_command
    done = recover_command(ctx.obj)
    click.echo(f"finished {len(done['finished'])} interrupted write(s), "
               f"dropped {len(done['dropped'])} staging graph(s)")


COMMANDS = (migrate, recover)
