"""The ``procdeck`` command.

Each area registers its sub-commands on the shared typer app: client commands
(``processes``, ``execute``, ``jobs``, ...), the server (``serve``) and the app
(``gui``, ``demo``). Heavy imports (FastAPI, Panel) happen inside the commands.
"""

from __future__ import annotations

# Importing each sub-command module registers its commands on ``app``.
from procdeck.cli import apikey_cmds, client_cmds, gui_cmds, server_cmds  # noqa: F401
from procdeck.cli._app import app


def main() -> None:
    """Run the ``procdeck`` command line."""
    app()


__all__ = ["app", "main"]
