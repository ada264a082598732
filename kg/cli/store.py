"""The commands over the store's contents: load, demo, validate, infer, query, export,
stats, graphs and drop."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from kg.cli._common import open_from, write_output


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "fmt", help="RDF format when the extension does not tell.")
@click.option("--graph", help="Named graph for a single file (default: the file's IRI).")
@click.option("--no-validate", is_flag=True, help="Write even if the shapes are violated.")
@click.option("--context", "contexts", multiple=True, metavar="URL=PATH",
              help="Read the remote JSON-LD context URL from the local file PATH (never "
                   "fetched; repeatable; adds to the setting jsonld_contexts).")
@click.pass_context
def load(ctx, paths, fmt, graph, no_validate, contexts):
    """Load RDF files or folders, each source into its own named graph."""
    from kg.cli.exchange import context_option
    from kg.loading import mapped_contexts
    from kg.sources import load_files
    mapping = context_option(ctx.obj, contexts)
    store = open_from(ctx)
    with mapped_contexts(mapping):
        report = load_files(store, paths, fmt=fmt, graph=graph, validate=not no_validate,
                            max_bytes=ctx.obj.max_file)
    for g, n in report.graphs.items():
        click.echo(f"loaded {n} triples into <{g}>")
    if report.validation is not None:
        v = report.validation
        click.echo(f"validated {len(v.checked)} resources: {v.count('Violation')} violations, "
                   f"{v.count('Warning')} warnings")
        if v.count("Violation"):
            click.echo(f"kept {v.count('Violation')} violation(s) as findings (none refuses a "
                       "write under gate = governance); `meshkg validate` lists them, the "
                       "product pages and the governance page show them")
    if report.inference is not None:
        click.echo(f"inferred {report.inference.triples} triples "
                   f"in {report.inference.seconds:.2f} s")


@click.command()
@click.option("--force", is_flag=True, help="Load even when the store already has products.")
@click.pass_context
def demo(ctx, force):
    """Load the demo mesh (vocabularies, ontology, concepts and products)."""
    from kg.sources import is_empty, load_demo
    store = open_from(ctx)
    if not force and not is_empty(store):
        click.echo("the store already holds data products; use --force to reload the demo")
        return
    report = load_demo(store)
    click.echo(f"demo mesh loaded: {report.triples} triples in {len(report.graphs)} graphs, "
               f"{report.inference.triples} inferred; store at {ctx.obj.store}")


@click.command()
@click.option("--product", "products", multiple=True, help="Validate only this resource IRI.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "turtle"]),
              default="table", show_default=True)
@click.option("--dprod", is_flag=True, help="Also apply the official DPROD shapes.")
@click.option("--rules", "rules", multiple=True, type=click.Path(exists=True),
              help="Extra SHACL rule files or folders.")
@click.pass_context
def validate(ctx, products, fmt, dprod, rules):
    """Validate the graph, or some products, against the SHACL shapes."""
    from kg.validation import load_shapes, validate_store
    store = open_from(ctx)
    shapes = load_shapes(_rule_files(rules), dprod=dprod)
    if products:
        _check_known(store, products)
    # the findings kept for the pages are those of meshkg's shapes: a run with DPROD's
    # shapes or rule files reports, and leaves what the pages show as it was
    report = validate_store(store, list(products) or None, shapes=shapes,
                            engine=ctx.obj.shacl_engine, save=not (dprod or rules))
    _print_report(report, fmt)
    ctx.exit(0 if report.conforms else 1)


def _rule_files(paths) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        path = Path(p)
        out += sorted(path.rglob("*.ttl")) if path.is_dir() else [path]
    return out


def _check_known(store, iris) -> None:
    from rdflib import URIRef

    from kg.errors import NotFound, UsageError
    for iri in iris:
        if ":" not in iri or any(c in iri for c in '<>"{}|^`\\ \n\r\t'):
            raise UsageError(f"not an IRI: {iri!r} (give the full IRI, e.g. https://…)")
        if not store.ask("ASK { ?s ?p ?o }", bindings={"s": URIRef(iri)}):
            raise NotFound(f"unknown resource <{iri}>: the store has no triple about it")


def _print_report(report, fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    elif fmt == "turtle":
        click.echo(report.to_graph().serialize(format="turtle"))
    else:
        click.echo(report.to_text(), nl=False)


@click.command()
@click.option("--graph", "graphs", multiple=True,
              help="Re-derive only what these changed source graphs entail.")
@click.pass_context
def infer(ctx, graphs):
    """Materialise the entailments discovery needs into their own named graphs."""
    from kg.inference import infer as run
    store = open_from(ctx)
    report = run(store, changed=list(graphs) or None)
    click.echo(f"inferred {report.triples} triples for {len(report.graphs)} source graphs "
               f"in {report.seconds:.2f} s"
               + (" (schema recomputed)" if report.schema_recomputed else ""))


@click.command()
@click.argument("sparql", required=False)
@click.option("-f", "--file", "file", type=click.Path(exists=True, dir_okay=False),
              help="Read the query from a .rq file.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "tsv", "xml",
                                                    "turtle", "ntriples", "jsonld"]),
              default="table", show_default=True)
@click.option("--limit", type=int, default=None, help="Stop after this many rows.")
@click.pass_context
def query(ctx, sparql, file, fmt, limit):
    """Run a SPARQL query over the union of all graphs."""
    from kg.errors import UsageError
    if bool(sparql) == bool(file):
        raise UsageError("give a query or -f FILE, not both or neither")
    text = Path(file).read_text(encoding="utf-8") if file else sparql
    store = open_from(ctx)
    result = store.query(text, timeout=ctx.obj.query_timeout, max_rows=limit)
    _print_result(result, fmt)


_GRAPH_FORMATS = {"turtle", "ntriples", "jsonld"}


def _print_result(result, fmt: str) -> None:
    from kg.errors import UsageError
    from kg.formats import RESULT_MEDIA_TYPES, rdf_format
    from kg.results import serialize_result
    if fmt != "table" and (result.kind == "graph") != (fmt in _GRAPH_FORMATS):
        fits = "turtle, ntriples, jsonld" if result.kind == "graph" else "json, csv, tsv, xml"
        raise UsageError(f"--format {fmt} does not fit a {result.kind.upper()} result; "
                         f"use table or {fits}")
    if fmt == "table":
        if result.kind == "ask":
            click.echo("true" if result.boolean else "false")
            return
        if result.kind == "graph":
            fmt = "turtle"
        else:
            _print_table(result)
            return
    if result.kind == "graph":
        media = rdf_format(fmt if fmt not in RESULT_MEDIA_TYPES else "turtle").media_type
    else:
        media = RESULT_MEDIA_TYPES.get(fmt, RESULT_MEDIA_TYPES["json"])
    sys.stdout.buffer.write(serialize_result(result, media))
    sys.stdout.flush()


def _print_table(result) -> None:
    from rich.console import Console
    from rich.table import Table
    table = Table(*result.vars, show_lines=False)
    for row in result.rows:
        table.add_row(*[str(row[v]) if v in row else "" for v in result.vars])
    console = Console(soft_wrap=not sys.stdout.isatty())
    console.print(table)
    console.print(f"{len(result.rows)} rows" + (" (truncated)" if result.truncated else ""))


@click.group(invoke_without_command=True)
@click.option("--format", "fmt", type=click.Choice(["turtle", "trig", "jsonld", "nquads",
                                                    "ntriples", "rdfxml"]),
              default="trig", show_default=True)
@click.option("--graph", help="Export only this named graph.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to a file.")
@click.pass_context
def export(ctx, fmt, graph, output):
    """Export the store, or one named graph, as RDF; subcommands speak other standards."""
    from kg.errors import NotFound, UsageError
    if ctx.invoked_subcommand is not None:
        return
    store = open_from(ctx)
    if graph is not None and not store.has_graph(graph):
        raise NotFound(f"no named graph <{graph}> in the store")
    if graph is None and fmt in ("turtle", "ntriples", "rdfxml"):
        raise UsageError(f"{fmt} holds one graph: give --graph, or use trig, nquads or jsonld")
    # streamed: the whole store is never held in memory (25M quads at 100,000 products)
    write_output(lambda out: store.dump_to(out, graph, fmt), output)



@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def stats(ctx, as_json):
    """Count products, concepts, domains, triples and graphs; show the last validation."""
    from kg.queries import load_query
    from kg.validation import product_status
    store = open_from(ctx)
    row = store.query(load_query("stats")).rows[0]
    graphs = store.graphs()
    status = product_status(store)
    checked = [s["checked_at"] for s in status.values()]
    data = {
        "products": int(row["products"]), "concepts": int(row["concepts"]),
        "domains": int(row["domains"]), "triples": sum(graphs.values()),
        "graphs": len(graphs),
        "last_validation": max(checked) if checked else None,
        "resources_failing": sum(1 for s in status.values() if not s["conforms"]),
        "resources_checked": len(status),
    }
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    for k, v in data.items():
        click.echo(f"{k.replace('_', ' '):<19} {v if v is not None else 'never'}")


@click.command()
@click.pass_context
def graphs(ctx):
    """List the named graphs with their source and triple count."""
    from kg.namespaces import META_GRAPH
    store = open_from(ctx)
    counts = store.graphs()
    sources = {}
    if META_GRAPH in counts:
        res = store.query("SELECT ?g ?src WHERE { ?g <http://purl.org/dc/terms/source> ?src }",
                          default_graphs=[META_GRAPH])
        sources = {str(r["g"]): str(r["src"]) for r in res.rows}
    for g, n in counts.items():
        click.echo(f"{n:>9}  {g}  {sources.get(g, '')}".rstrip())


@click.command()
@click.argument("graph")
@click.pass_context
def drop(ctx, graph):
    """Remove a named graph (what one source brought) and re-derive entailments."""
    from kg.errors import NotFound
    from kg.namespaces import is_managed_graph
    from kg.sources import drop_source
    store = open_from(ctx)
    if not store.has_graph(graph):
        raise NotFound(f"no named graph <{graph}> in the store")
    if is_managed_graph(graph):
        from kg.errors import UsageError
        raise UsageError(f"<{graph}> is kept by meshkg itself (provenance, vocabularies, "
                         "entailments or findings); drop the sources that brought data instead")
    drop_source(store, graph)  # its triples, entailments, index words and meta record
    click.echo(f"dropped <{graph}>")


COMMANDS = (load, demo, validate, infer, query, export, stats, graphs, drop)
