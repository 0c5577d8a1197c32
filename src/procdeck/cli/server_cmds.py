"""``procdeck serve``: run the local OGC API - Processes server."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from procdeck.cli._app import app


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8008,
    store: Annotated[
        str | None,
        typer.Option(
            help="Job store: a SQLite file or :memory: [default: ~/.procdeck/jobs.sqlite]"
        ),
    ] = None,
    processes: Annotated[
        list[str] | None,
        typer.Option(
            "--processes",
            help="Module with a `registry` (ProcessRegistry) to serve, or module:attribute. "
            "Repeatable. Default: the demo processes.",
        ),
    ] = None,
    workers: Annotated[int, typer.Option(min=1, help="Jobs that run at the same time.")] = 4,
    data_dir: Annotated[
        Path | None, typer.Option(help="Directory for result files [default: next to the store]")
    ] = None,
    access_log: Annotated[
        bool, typer.Option("--access-log/--no-access-log", help="Log every request.")
    ] = False,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Serve processes over OGC API - Processes (default: the demo processes)."""
    try:
        from procdeck.server.app import load_registry, run_server
    except ModuleNotFoundError as exc:
        typer.echo(f"procdeck serve needs the server extra (pip install 'procdeck[server]'): "
                   f"{exc}", err=True)
        raise typer.Exit(2) from exc
    try:
        load_registry(processes)
    except (ImportError, TypeError) as exc:
        typer.echo(f"procdeck serve: cannot load processes: {exc}", err=True)
        raise typer.Exit(2) from exc
    run_server(
        host,
        port,
        store=store,
        processes=processes,
        workers=workers,
        data_dir=data_dir,
        access_log=access_log,
        log_level=log_level,
    )
