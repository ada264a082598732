"""The meshkg command line: the `meshkg` group, its command modules and its plugins.

One module per command group, each thin over the services: `store` (load, demo,
validate, infer, query, export, stats, graphs, drop), `governance` (may, check),
`exchange` (draft, import, export dcat-ap | dprod | odcs | skos) and `migrate`
(migrate, recover); `meshkg serve` and other packages' commands come through the
`meshkg.commands` entry point group. A new command goes into the module of its group
(or a new module listed below) and reaches the store through `open_from`.

Errors from kg.errors are mapped to exit codes here, in one place: 0 success,
1 shape violations (or a policy deny for `may`), 2 usage or input errors,
3 store failures.
"""

from __future__ import annotations

import logging

import click

from kg.cli import exchange, governance, migrate
from kg.cli import store as store_commands
from kg.cli._common import open_from, write_output
from kg.config import load_settings
from kg.errors import MeshError, ShapeViolation


class MeshGroup(click.Group):
    """A click group that turns kg.errors into messages and exit codes."""

    def invoke(self, ctx):
        # rdflib logs a traceback for every ill-typed literal it reads ("1986-21-00"^^xsd:date
        # in the Skosmos test files); the literal is kept as it is, and that is no error
        logging.getLogger("rdflib.term").setLevel(logging.ERROR)
        try:
            return super().invoke(ctx)
        except ShapeViolation as exc:
            click.echo(f"error: {exc.message}", err=True)
            if exc.report is not None:
                click.echo(exc.report.to_text(), err=True)
            ctx.exit(exc.exit_code)
        except MeshError as exc:
            click.echo(f"error: {exc.message}", err=True)
            ctx.exit(exc.exit_code)

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(_plugins()))

    def get_command(self, ctx, name):
        return super().get_command(ctx, name) or _plugins().get(name)


def _plugins() -> dict[str, click.Command]:
    """Commands other packages add through the `meshkg.commands` entry point group."""
    from importlib.metadata import entry_points
    out = {}
    for ep in entry_points(group="meshkg.commands"):
        try:
            out[ep.name] = ep.load()
        except ImportError:  # a half-installed plugin must not break the CLI
            continue
    return out


@click.group(cls=MeshGroup)
@click.option("--config", "config_file", type=click.Path(dir_okay=False),
              help="TOML settings file (default: ./meshkg.toml or $MESHKG_CONFIG).")
@click.option("--store", help="Store location: a folder, 'memory', or sparql+http://… "
              "(default: $MESHKG_STORE or ~/.local/share/meshkg/store).")
@click.version_option(package_name="meshkg")
@click.pass_context
def main(ctx: click.Context, config_file: str | None, store: str | None) -> None:
    """meshkg: a semantic metadata knowledge graph for data mesh."""
    ctx.obj = load_settings(config_file, store=store)


for _module in (store_commands, governance, exchange, migrate):
    for _command in _module.COMMANDS:
        main.add_command(_command)
for _command in exchange.EXPORTS:  # `meshkg export dcat-ap | dprod | odcs | skos`
    store_commands.export.add_command(_command)

__all__ = ["main", "open_from", "write_output"]
