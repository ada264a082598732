"""The exchange commands: `meshkg draft`, `meshkg import <standard>` and
`meshkg export dcat-ap | dprod | odcs | skos`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from kg.cli._common import open_from, write_output
from kg.exchange import IMPORTERS, importer
from kg.results import serialize_graph


def _progress(label: str, total: int):
    """Return a callback that advances a rich progress bar on a terminal (or nothing)."""
    if not sys.stderr.isatty() or total < 2:
        return None, None
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
    bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                   TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                   TextColumn("{task.fields[current]}"), transient=True)
    task = bar.add_task(label, total=total, current="")

    def advance(rep):
        bar.update(task, advance=1, current=Path(rep.source).name)

    return bar, advance


def context_option(settings, options) -> dict:
    """Map remote JSON-LD contexts to local files: the setting jsonld_contexts, then the
    `--context URL=PATH` options (which win for the same URL)."""
    from kg.loading import context_map
    mapping = context_map(settings.jsonld_contexts, origin="setting jsonld_contexts")
    mapping.update(context_map(options, origin="--context"))
    return mapping


def _finish(ctx, report, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2, ensure_ascii=False, default=str))
    else:
        click.echo(report.to_text(), nl=False)
    failed = [s for s in report.sources if not s.ok]
    if failed:
        click.echo(f"error: {len(failed)} of {len(report.sources)} sources not imported",
                   err=True)
        ctx.exit(1 if all(s.validation is not None for s in failed) else 2)


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--no-validate", is_flag=True, help="Write drafts even if shapes are violated.")
@click.option("--json", "as_json", is_flag=True, help="Print the import report as JSON.")
@click.pass_context
def draft(ctx, paths, no_validate, as_json):
    """Profile CSV, TSV, XLSX, JSON Lines or Parquet files (or folders) and draft products."""
    from kg.exchange.draft import draft as run
    from kg.exchange.profile import tabular_files
    store = open_from(ctx)
    total = len(tabular_files(paths))
    bar, advance = _progress("drafting", total)
    if bar is not None:
        with bar:
            report = run(store, list(paths), base_iri=ctx.obj.base_iri,
                         validate=not no_validate, progress=advance)
    else:
        report = run(store, list(paths), base_iri=ctx.obj.base_iri, validate=not no_validate)
    _finish(ctx, report, as_json)


@click.group("import")
def import_group():
    """Import products or vocabularies from other standards, each into its own graph."""


def _import_command(kind: str, what: str) -> click.Command:
    @click.command(kind, help=f"Import {what}; each file lands in its own named graph.")
    @click.argument("paths", nargs=-1, required=True, type=click.Path())
    @click.option("--no-validate", is_flag=True, help="Write even if shapes are violated.")
    @click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
    @click.option("--context", "contexts", multiple=True, metavar="URL=PATH",
                  help="Read the remote JSON-LD context URL from the local file PATH "
                       "(never fetched; repeatable; adds to the setting jsonld_contexts).")
    @click.pass_context
    def command(ctx, paths, no_validate, as_json, contexts):
        from kg.exchange.common import run_each
        from kg.loading import mapped_contexts
        mapping = context_option(ctx.obj, contexts)
        store = open_from(ctx)
        one = importer(kind)
        files = [Path(p) for p in paths]
        bar, advance = _progress(f"importing {kind}", len(files))

        def each(path, rep):
            return one(store, path, rep, base_iri=ctx.obj.base_iri, validate=not no_validate)

        with mapped_contexts(mapping):
            if bar is not None:
                with bar:
                    report = run_each(store, files, kind, each, progress=advance)
            else:
                report = run_each(store, files, kind, each)
        _finish(ctx, report, as_json)

    return command


for _kind, (_module, _function, _what) in IMPORTERS.items():
    import_group.add_command(_import_command(_kind, _what))


@click.command("dcat-ap")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to a file.")
@click.option("--format", "fmt", type=click.Choice(["turtle", "jsonld", "xml"]),
              default="turtle", show_default=True)
@click.pass_context
def dcat_ap(ctx, output, fmt):
    """Export the active products as a DCAT-AP 3.0.1 catalog."""
    from kg.exchange.export_dcat_ap import export_dcat_ap
    g = export_dcat_ap(open_from(ctx), ctx.obj.base_iri)
    write_output(serialize_graph(g, _MEDIA_TYPES[fmt]), output)


@click.command("dprod")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to a file.")
@click.option("--active", is_flag=True, help="Only products with status mesh:Active.")
@click.pass_context
def dprod(ctx, output, active):
    """Export the data products as DPROD JSON-LD."""
    from kg.exchange.export_dprod import export_dprod
    from kg.namespaces import MESH
    write_output(export_dprod(open_from(ctx), MESH.Active if active else None), output)


@click.command("odcs")
@click.argument("product")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to a file.")
@click.pass_context
def odcs(ctx, product, output):
    """Export one data product (IRI, label or identifier) as an ODCS v3.1.0 contract."""
    from kg.exchange.export_odcs import export_odcs
    from kg.exchange.products import resolve_product
    store = open_from(ctx)
    write_output(export_odcs(store, resolve_product(store, product)), output)


@click.command("skos")
@click.argument("scheme")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to a file.")
@click.option("--format", "fmt", type=click.Choice(["turtle", "xml", "jsonld", "nt"]),
              default="turtle", show_default=True)
@click.pass_context
def skos(ctx, scheme, output, fmt):
    """Export one concept scheme as SKOS, as it was loaded."""
    from kg.exchange.skos import export_scheme
    g = export_scheme(open_from(ctx), scheme)
    write_output(serialize_graph(g, _MEDIA_TYPES[fmt]), output)


#: the --format names of the exports, as media types for kg.results.serialize_graph
#: (which falls back to pyoxigraph where rdflib would recurse: a 100,000-item rdf:List)
_MEDIA_TYPES = {"turtle": "text/turtle", "jsonld": "application/ld+json",
                "xml": "application/rdf+xml", "nt": "application/n-triples"}


COMMANDS = (draft, import_group)
#: the subcommands of `meshkg export` that speak other standards
EXPORTS = (dcat_ap, dprod, odcs, skos)
