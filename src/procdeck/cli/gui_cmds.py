"""``procdeck gui`` (the app against a server) and ``procdeck demo`` (local server + app)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from procdeck.cli._app import app

__all__ = ["demo", "gui"]


@app.command()
def gui(
    server: Annotated[
        str | None,
        typer.Option("--server", "-s", help="Server URL (default: the client configuration)."),
    ] = None,
    port: Annotated[int, typer.Option(help="Port the app listens on.")] = 5006,
    address: Annotated[str, typer.Option(help="Address the app listens on.")] = "127.0.0.1",
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Do not open a web browser.")
    ] = False,
    timeout: Annotated[
        float, typer.Option(help="Seconds to wait for each answer of the server.", min=0.1)
    ] = 30.0,
) -> None:
    """Serve the app (process browser, forms, jobs) for a server; one state per browser tab."""
    from procdeck.gui.serve import serve_app

    def announce(url: str) -> None:
        typer.echo(f"procdeck app: {url}  (server: {server or 'from configuration'})")
        typer.echo("Press Ctrl-C to stop.")

    serve_app(server, port=port, address=address, show=not no_browser, on_started=announce,
              timeout=timeout)


@app.command()
def demo(
    port: Annotated[int, typer.Option(help="Port of the app.")] = 5006,
    server_port: Annotated[
        int | None, typer.Option(help="Port of the local server (default: a free port).")
    ] = None,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Do not open a web browser.")
    ] = False,
) -> None:
    """Start a local server with the demo processes and the app against it."""
    from procdeck.gui.serve import serve_app
    from procdeck.server.testing import ServerProcess, ServerStartError

    with tempfile.TemporaryDirectory(prefix="procdeck-demo-") as workdir:
        root = Path(workdir)
        server = ServerProcess(
            store=root / "jobs.sqlite",
            data_dir=root / "data",
            port=server_port,
            log_path=root / "server.log",
        )
        try:
            server.start()
        except ServerStartError as error:
            typer.echo(f"The local server did not start: {error}", err=True)
            raise typer.Exit(code=1) from None
        typer.echo(f"procdeck server: {server.url}  (demo processes, log {server.log_path})")

        def announce(url: str) -> None:
            typer.echo(f"procdeck app:    {url}")
            typer.echo("Press Ctrl-C to stop both.")

        try:
            serve_app(server.url, port=port, show=not no_browser, on_started=announce)
        finally:
            server.stop()
            typer.echo("Stopped the app and the server.")
