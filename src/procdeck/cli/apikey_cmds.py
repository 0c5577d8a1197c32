"""``procdeck api-key add|list|remove``: manage the API key file of ``procdeck serve --api-keys``.

The file keeps only SHA-256 hashes. ``add`` prints the new key once (on
stdout, alone, so ``KEY=$(procdeck api-key add alice --file keys.toml)``
works); nobody can show it again. The file is rewritten atomically, mode 0600;
a running server picks the change up within a second or two.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from procdeck.cli._app import app

if TYPE_CHECKING:
    from procdeck.server.auth import ApiKeyEntry

api_key_app = typer.Typer(
    name="api-key",
    help="Manage the API keys of `procdeck serve --api-keys FILE` (one key per user).",
    no_args_is_help=True,
)
app.add_typer(api_key_app, name="api-key")

FileOption = Annotated[
    Path, typer.Option("--file", help="The API key file (TOML; hashes only).")
]


def _load(file: Path, *, missing_ok: bool) -> list[ApiKeyEntry]:
    from procdeck.server.auth import ApiKeyFileError, read_api_keys

    if missing_ok and not file.expanduser().exists():
        return []
    try:
        return read_api_keys(file)
    except ApiKeyFileError as exc:
        typer.echo(f"procdeck api-key: {exc}", err=True)
        raise typer.Exit(2) from exc


def _save(file: Path, entries: list[ApiKeyEntry]) -> None:
    from procdeck.server.auth import write_api_keys

    try:
        write_api_keys(file, entries)
    except OSError as exc:
        typer.echo(f"procdeck api-key: cannot write {file}: "
                   f"{exc.strerror or type(exc).__name__}", err=True)
        raise typer.Exit(2) from exc


@api_key_app.command("add")
def add(
    user: Annotated[str, typer.Argument(help="The user the key signs in as.")],
    file: FileOption,
    admin: Annotated[bool, typer.Option("--admin", help="The user sees every job.")] = False,
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace the user's key if there is one.")
    ] = False,
) -> None:
    """Make a key for USER, store its hash in --file, print the key once."""
    from procdeck.server.auth import ApiKeyEntry, hash_api_key, new_api_key

    if not user.strip() or user != user.strip():
        typer.echo("procdeck api-key: the user name must not be empty or padded with spaces",
                   err=True)
        raise typer.Exit(2)
    entries = _load(file, missing_ok=True)
    if any(entry.user == user for entry in entries) and not replace:
        typer.echo(f"procdeck api-key: {user!r} has a key already: remove it first, "
                   "or add --replace", err=True)
        raise typer.Exit(1)
    key = new_api_key()
    digest = bytes.fromhex(hash_api_key(key).removeprefix("sha256:"))
    entries = [entry for entry in entries if entry.user != user]
    entries.append(ApiKeyEntry(user, digest, admin))
    _save(file, entries)
    typer.echo(f"procdeck api-key: new key for {user!r}{' (admin)' if admin else ''} in "
               f"{file}; it is shown only now:", err=True)
    typer.echo(key)


@api_key_app.command("list")
def list_keys(file: FileOption) -> None:
    """List the users that have a key, and which are admins (never the hashes)."""
    entries = _load(file, missing_ok=False)
    if not entries:
        typer.echo(f"no API keys in {file}", err=True)
        return
    width = max(len("user"), *(len(entry.user) for entry in entries))
    typer.echo(f"{'user':<{width}}  admin")
    for entry in entries:
        typer.echo(f"{entry.user:<{width}}  {'yes' if entry.admin else 'no'}")


@api_key_app.command("remove")
def remove(
    user: Annotated[str, typer.Argument(help="The user whose key is removed.")],
    file: FileOption,
) -> None:
    """Remove USER's key from --file (the key stops working within a second or two)."""
    entries = _load(file, missing_ok=False)
    kept = [entry for entry in entries if entry.user != user]
    if len(kept) == len(entries):
        typer.echo(f"procdeck api-key: {user!r} has no key in {file}", err=True)
        raise typer.Exit(1)
    _save(file, kept)
    typer.echo(f"procdeck api-key: removed the key of {user!r} from {file}", err=True)
