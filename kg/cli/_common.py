"""What every command module shares: the store the settings name, and writing output."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import click

from kg.config import Settings


def open_from(ctx: click.Context):
    """Open the store named by the settings and close it when the command ends."""
    from kg import open_store
    settings: Settings = ctx.obj
    from kg.inference import recover
    from kg.sources import ensure_vocabularies
    store = open_store(settings)
    ctx.call_on_close(store.close)
    ensure_vocabularies(store)
    recover(store)  # what a stopped write left underived, before the command reads
    return store


def write_output(data: bytes | Callable[[BinaryIO], None], output: str | None) -> None:
    """Write bytes, or what a writer function writes, to a file atomically (via a .part
    file that replaces the file only once complete), or to standard output."""
    write = data if callable(data) else (lambda out: out.write(data))
    if output:
        from kg.errors import UsageError
        tmp = Path(output + ".part")
        try:
            with tmp.open("wb") as f:
                write(f)
            tmp.replace(output)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from exc
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        click.echo(f"wrote {Path(output).stat().st_size} bytes to {output}", err=True)
    else:
        write(sys.stdout.buffer)
        sys.stdout.flush()
