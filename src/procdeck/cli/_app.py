"""The typer application every ``procdeck`` sub-command registers on."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="procdeck",
    help="OGC API - Processes from the command line: query a server, run jobs, serve processes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """OGC API - Processes from the command line."""


@app.command()
def version() -> None:
    """Print procdeck's version."""
    from procdeck import __version__

    typer.echo(__version__)
