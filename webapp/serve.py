"""`meshkg serve`: the web app on waitress (never Flask's debug server)."""

from __future__ import annotations

import logging
import sys

import click

from kg.config import Settings, load_settings

log = logging.getLogger(__name__)


def _load_demo_if_empty(store) -> None:
    try:
        from kg.sources import is_empty, load_demo
    except ImportError:
        return
    if is_empty(store):
        click.echo("the store holds no data products: loading the demo mesh…", err=True)
        load_demo(store)


def make_server(settings: Settings, store=None, *, host: str | None = None,
                port: int | None = None, threads: int | None = None):
    """Build the app and its waitress server (not started); port 0 picks a free one."""
    from waitress import create_server

    from webapp import create_app
    app = create_app(settings, store)
    return create_server(app, host=host or settings.host,
                         port=settings.port if port is None else port,
                         threads=threads or settings.threads,
                         max_request_body_size=settings.max_body + 65536,
                         # with trusted proxies, their forwarding headers must reach the
                         # app: webapp.fairness believes them from those peers only
                         clear_untrusted_proxy_headers=not settings.trusted_proxies,
                         ident="meshkg")


def start_in_thread(server, name: str = "meshkg-server"):
    """Run a waitress server in a daemon thread; return the function that stops it."""
    import threading
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()

    def stop() -> None:
        def close_all() -> None:  # inside waitress's loop, which ends once its map is empty
            for dispatcher in list(server._map.values()):
                dispatcher.handle_close()

        if thread.is_alive():
            try:
                server.trigger.pull_trigger(close_all)
            except OSError:  # the loop closed its trigger on the way out already
                pass
        thread.join(10)
        server.task_dispatcher.shutdown()

    return stop


@click.command()
@click.option("--host", help="Interface to listen on (default: settings.host, 127.0.0.1).")
@click.option("--port", type=int, help="Port (default: settings.port, 8080).")
@click.option("--threads", type=int, help="Request threads (default: settings.threads).")
@click.option("--no-demo", is_flag=True, help="Do not load the demo mesh into an empty store.")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None, threads: int | None,
          no_demo: bool) -> None:
    """Serve the browser, SPARQL endpoint, Graph Store and Linked Data."""
    from kg import open_store
    settings = ctx.find_object(Settings) or load_settings()
    settings = settings.replace(**{k: v for k, v in
                                   {"host": host, "port": port, "threads": threads}.items()
                                   if v is not None})
    store = open_store(settings)
    try:
        if settings.load_demo and not no_demo:
            _load_demo_if_empty(store)
        if settings.updates_enabled and not settings.steward_tokens:
            click.echo("warning: updates are enabled but no steward token is configured; "
                       "every write will be refused", err=True)
        store.start_workers()  # warm the query workers before the first request
        server = make_server(settings, store)
        click.echo(f"meshkg on http://{settings.host}:{server.effective_port}/ "
                   f"(SPARQL at /sparql; store {settings.store})", err=True)
        import signal
        # a service manager stops us with SIGTERM: end like Ctrl+C, so workers and the
        # store are closed below (waitress's run() returns on SystemExit)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        try:
            server.run()
        except KeyboardInterrupt:
            pass
    finally:
        store.close()  # and the workers with it
