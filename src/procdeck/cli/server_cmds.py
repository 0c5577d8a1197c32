"""``procdeck serve``: run the local OGC API - Processes server."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from procdeck.cli._app import app

if TYPE_CHECKING:
    from procdeck.server.callbacks import CallbackSettings
    from procdeck.server.security import SecuritySettings


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
    executor: Annotated[
        str,
        typer.Option(help="Where jobs run: 'threads' (in the server) or 'dask' (a Dask "
                     "cluster: --scheduler, or a local cluster of --workers processes)."),
    ] = "threads",
    scheduler: Annotated[
        str | None,
        typer.Option(help="Dask scheduler address (tcp://host:8786) for --executor dask."),
    ] = None,
    access_log: Annotated[
        bool, typer.Option("--access-log/--no-access-log", help="Log every request.")
    ] = False,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    token_file: Annotated[
        Path | None,
        typer.Option(help="File holding an access token: every route but the landing page "
                     "and the API docs then requires 'Authorization: Bearer <token>'."),
    ] = None,
    api_keys: Annotated[
        Path | None,
        typer.Option("--api-keys", help="TOML file of API keys (made with `procdeck api-key "
                     "add`); a key is accepted in the --api-key-header header or as "
                     "'Authorization: Bearer <key>'. Re-read when it changes."),
    ] = None,
    api_key_header: Annotated[
        str, typer.Option(help="Request header that carries an API key.")
    ] = "X-API-Key",
    cors_origin: Annotated[
        list[str] | None,
        typer.Option("--cors-origin", help="Origin a browser page may call the API from, "
                     "e.g. http://localhost:5006. Repeatable. Default: none (CORS off)."),
    ] = None,
    max_body_size: Annotated[
        str, typer.Option(help="Largest request body accepted (bytes, or e.g. 16MiB, 512K).")
    ] = "16MiB",
    allow_path: Annotated[
        list[Path] | None,
        typer.Option("--allow-path", help="Directory besides the data directory that "
                     "processes may write to (e.g. simulate_scene's output_path). Repeatable."),
    ] = None,
    callback_host: Annotated[
        list[str] | None,
        typer.Option("--callback-host", help="Host that execute requests may ask to be called "
                     "back at (subscriber URIs, http/https only), e.g. 127.0.0.1. Repeatable. "
                     "Default: none (every subscriber is refused)."),
    ] = None,
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
    _check_executor(executor, scheduler)
    security = _security_settings(token_file, cors_origin or [], max_body_size)
    security = _with_api_keys(security, api_keys, api_key_header)
    run_server(
        host,
        port,
        store=store,
        processes=processes,
        workers=workers,
        data_dir=data_dir,
        executor=executor,
        scheduler=scheduler,
        access_log=access_log,
        log_level=log_level,
        security=security,
        allowed_paths=allow_path or [],
        callbacks=_callback_settings(callback_host or []),
    )


def _security_settings(
    token_file: Path | None, origins: list[str], max_body_size: str
) -> SecuritySettings:
    """The server's SecuritySettings from the options; exit 2 (with why) when one is unusable."""
    from procdeck.server.security import (
        SecuritySettings,
        TokenFileError,
        parse_size,
        read_token_file,
    )

    token = None
    if token_file is not None:
        try:
            token, warning = read_token_file(token_file)
        except TokenFileError as exc:
            typer.echo(f"procdeck serve: {exc}", err=True)
            raise typer.Exit(2) from exc
        if warning:
            typer.echo(f"procdeck serve: WARNING: {warning}", err=True)
    try:
        limit = parse_size(max_body_size)
    except ValueError as exc:
        typer.echo(f"procdeck serve: --max-body-size: {exc}", err=True)
        raise typer.Exit(2) from exc
    for origin in origins:
        if origin != "*" and "://" not in origin:
            typer.echo(f"procdeck serve: --cors-origin {origin!r}: give scheme://host[:port]",
                       err=True)
            raise typer.Exit(2)
    return SecuritySettings(token=token, cors_origins=tuple(o.rstrip("/") for o in origins),
                            max_body_size=limit)


def _with_api_keys(
    security: SecuritySettings, api_keys: Path | None, header: str
) -> SecuritySettings:
    """``security`` with the API key file; exit 2 (with why) when it or the header is unusable."""
    from dataclasses import replace

    from procdeck.server.auth import ApiKeyFileError, read_api_keys
    from procdeck.server.auth.apikeys import loose_mode_warning

    if api_keys is None:
        return security
    try:
        read_api_keys(api_keys)
        updated = replace(security, api_keys=api_keys.expanduser().resolve(),
                          api_key_header=header)
    except (ApiKeyFileError, ValueError) as exc:
        typer.echo(f"procdeck serve: {exc}", err=True)
        raise typer.Exit(2) from exc
    warning = loose_mode_warning(api_keys)
    if warning:
        typer.echo(f"procdeck serve: WARNING: {warning}", err=True)
    return updated


def _callback_settings(hosts: list[str]) -> CallbackSettings | None:
    """The callback settings allowing ``hosts``; exit 2 for something that is not a host."""
    from procdeck.server.callbacks import CallbackSettings

    for host in hosts:
        if not host.strip() or any(c in host for c in "/@?# "):
            typer.echo(f"procdeck serve: --callback-host {host!r}: give a host name or "
                       "address (no scheme, port or path)", err=True)
            raise typer.Exit(2)
    return CallbackSettings.allowing(hosts) if hosts else None


def _check_executor(executor: str, scheduler: str | None) -> None:
    """Exit 2 (with why) for an unknown executor, or a scheduler without the dask executor."""
    from procdeck.server.executors import EXECUTORS

    if executor not in EXECUTORS:
        typer.echo(f"procdeck serve: --executor {executor!r}: choose one of "
                   f"{', '.join(EXECUTORS)}", err=True)
        raise typer.Exit(2)
    if scheduler is not None and executor != "dask":
        typer.echo("procdeck serve: --scheduler needs --executor dask", err=True)
        raise typer.Exit(2)
    if executor == "dask":
        try:
            import distributed  # noqa: F401
        except ModuleNotFoundError as exc:
            typer.echo("procdeck serve: --executor dask needs dask.distributed "
                       "(pip install 'procdeck[dask]')", err=True)
            raise typer.Exit(2) from exc
