"""The ``procdeck`` command.

Each area registers its sub-commands on the shared typer app: client commands
(``processes``, ``execute``, ``jobs``, ...), the server (``serve``) and the app
(``gui``, ``demo``). Heavy imports (FastAPI, Panel) happen inside the commands.
"""

from __future__ import annotations

from importlib import import_module

from procdeck.cli._app import app

for _module in ("client_cmds", "server_cmds", "gui_cmds"):
    try:
        import_module(f"procdeck.cli.{_module}")
    except ModuleNotFoundError as exc:  # a sub-command module not written yet
        if exc.name != f"procdeck.cli.{_module}":
            raise


def main() -> None:
    """Run the ``procdeck`` command line."""
    app()


__all__ = ["app", "main"]
