"""API keys: one per user, hashed at rest in a TOML file, reloaded when the file changes.

The file (``procdeck serve --api-keys FILE``, managed with ``procdeck api-key``)::

    [[key]]
    user = "alice"
    hash = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    admin = false

Keys are random (:func:`new_api_key`: 256 bits), so one SHA-256 is enough to
keep them useless to whoever reads the file. A request sends its key as
``X-API-Key: <key>`` (the header name is configurable) or as
``Authorization: Bearer <key>``. :class:`ApiKeyStore` looks at the file's
mtime and size at most once a second and re-reads it when they change; a
file that became unusable keeps the last good keys and logs a warning (which
names the file and the reason, never a key or a hash).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
import stat
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from procdeck.server.auth.base import Credentials, Refused
from procdeck.server.identity import Principal

__all__ = [
    "DEFAULT_API_KEY_HEADER",
    "ApiKeyAuthenticator",
    "ApiKeyEntry",
    "ApiKeyFileError",
    "ApiKeyStore",
    "hash_api_key",
    "new_api_key",
    "read_api_keys",
    "write_api_keys",
]

log = logging.getLogger("procdeck.server.auth")

DEFAULT_API_KEY_HEADER = "X-API-Key"
"""The request header that carries an API key unless configured otherwise."""

KEY_PREFIX = "pdk_"
"""Every key made by :func:`new_api_key` starts so (secret scanners and people recognise it)."""

_HASH = re.compile(r"sha256:([0-9a-f]{64})")


class ApiKeyFileError(ValueError):
    """The API key file cannot be used (unreadable, not TOML, a malformed entry)."""


@dataclass(frozen=True)
class ApiKeyEntry:
    """One user's key as stored: the user, the SHA-256 digest of the key, the admin flag."""

    user: str
    digest: bytes = field(repr=False)
    admin: bool = False

    @property
    def hash(self) -> str:
        """The stored form of the digest, ``sha256:<hex>``."""
        return "sha256:" + self.digest.hex()


def new_api_key() -> str:
    """A new random API key (``pdk_`` and 43 URL-safe characters: 256 bits)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    """The stored form of ``key``: ``sha256:<hex digest>``."""
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def read_api_keys(path: str | os.PathLike[str]) -> list[ApiKeyEntry]:
    """The entries of the key file at ``path``; :class:`ApiKeyFileError` saying why not.

    A missing file is an error here (the CLI's ``add`` starts one). Messages
    name the file, the entry number and the field, never a hash.
    """
    file = Path(path).expanduser()
    try:
        document = tomllib.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ApiKeyFileError(f"cannot read the API key file {file}: "
                              f"{exc.strerror or type(exc).__name__}") from None
    except UnicodeDecodeError:
        raise ApiKeyFileError(f"the API key file {file} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ApiKeyFileError(f"the API key file {file} is not valid TOML: {exc}") from None
    return _entries(document, file)


def _entries(document: dict, file: Path) -> list[ApiKeyEntry]:
    raw = document.get("key", [])
    if not isinstance(raw, list):
        raise ApiKeyFileError(f"{file}: 'key' must be an array of tables ([[key]])")
    entries: list[ApiKeyEntry] = []
    users: set[str] = set()
    for number, item in enumerate(raw, start=1):
        where = f"{file}: key {number}"
        if not isinstance(item, dict):
            raise ApiKeyFileError(f"{where}: must be a table ([[key]])")
        user, digest, admin = item.get("user"), item.get("hash"), item.get("admin", False)
        if not isinstance(user, str) or not user.strip():
            raise ApiKeyFileError(f"{where}: 'user' must be a non-empty string")
        match = _HASH.fullmatch(digest) if isinstance(digest, str) else None
        if match is None:
            raise ApiKeyFileError(f"{where} ({user}): 'hash' must be 'sha256:' and 64 "
                                  "lower-case hex digits")
        if not isinstance(admin, bool):
            raise ApiKeyFileError(f"{where} ({user}): 'admin' must be true or false")
        if user in users:
            raise ApiKeyFileError(f"{where}: user {user!r} has a key already (one per user)")
        users.add(user)
        entries.append(ApiKeyEntry(user, bytes.fromhex(match.group(1)), admin))
    return entries


def _toml_string(text: str) -> str:
    escaped = []
    for char in text:
        if char in '"\\':
            escaped.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            escaped.append(f"\\u{ord(char):04x}")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'


def write_api_keys(path: str | os.PathLike[str], entries: Iterable[ApiKeyEntry]) -> None:
    """Write ``entries`` to ``path``: atomically (a temporary file renamed), mode 0600."""
    file = Path(path).expanduser()
    lines = ["# procdeck API keys (hashes only): managed with `procdeck api-key`", ""]
    for entry in entries:
        lines += ["[[key]]", f"user = {_toml_string(entry.user)}", f'hash = "{entry.hash}"',
                  f"admin = {'true' if entry.admin else 'false'}", ""]
    file.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{file.name}.", dir=file.parent)
    try:
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            out.write("\n".join(lines))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, file)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def loose_mode_warning(path: str | os.PathLike[str]) -> str | None:
    """A warning when the file at ``path`` is readable or writable by other users."""
    file = Path(path).expanduser()
    try:
        mode = file.stat().st_mode
    except OSError:
        return None
    if os.name != "nt" and mode & 0o077:
        return (f"the API key file {file} is accessible by other users "
                f"(mode {stat.S_IMODE(mode):04o}); run: chmod 600 {file}")
    return None


def _signature(file: Path) -> tuple[int, int, int] | None:
    try:
        info = file.stat()
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size, info.st_ino


class ApiKeyStore:
    """The keys of one file, re-read when the file changes (checked at most every ``interval`` s).

    Raises :class:`ApiKeyFileError` when the file cannot be used at the start.
    Later failures keep the last good keys and log one warning per change.
    """

    def __init__(self, path: str | os.PathLike[str], *, interval: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.path = Path(path).expanduser()
        self.interval = interval
        self._clock = clock
        self._signature = _signature(self.path)
        self._entries: Sequence[ApiKeyEntry] = read_api_keys(self.path)
        self._checked = clock()

    def __repr__(self) -> str:
        return f"ApiKeyStore({str(self.path)!r}, {len(self._entries)} key(s))"

    @property
    def entries(self) -> Sequence[ApiKeyEntry]:
        """The keys in use now (after a reload check)."""
        self._maybe_reload()
        return self._entries

    def lookup(self, key: str) -> ApiKeyEntry | None:
        """The entry whose key is ``key``, or None.

        Compares the digest with every entry (``hmac.compare_digest``, no early
        exit), so the time taken says nothing about which entry nearly matched.
        """
        given = hashlib.sha256(key.encode("utf-8", "replace")).digest()
        found: ApiKeyEntry | None = None
        for entry in self.entries:
            if hmac.compare_digest(given, entry.digest) and found is None:
                found = entry
        return found

    def _maybe_reload(self) -> None:
        now = self._clock()
        if now - self._checked < self.interval:
            return
        self._checked = now
        signature = _signature(self.path)
        if signature == self._signature:
            return
        self._signature = signature
        try:
            entries = read_api_keys(self.path)
        except ApiKeyFileError as exc:
            log.warning("API keys not reloaded, keeping the %d key(s) loaded before: %s",
                        len(self._entries), exc)
            return
        self._entries = entries
        log.info("API keys reloaded from %s: %d key(s)", self.path, len(entries))


class ApiKeyAuthenticator:
    """Accepts a key of :class:`ApiKeyStore` in the API key header or as a bearer token."""

    method = "api-key"

    def __init__(self, store: ApiKeyStore) -> None:
        self.store = store

    def __repr__(self) -> str:
        return f"ApiKeyAuthenticator({self.store!r})"

    async def authenticate(self, credentials: Credentials) -> Principal | None:
        """The key's user, or Refused; None when neither header form was sent."""
        key = credentials.api_key if credentials.api_key is not None else credentials.bearer
        if key is None:
            return None
        entry = self.store.lookup(key)
        if entry is None:
            raise Refused("the API key is not valid", specific=1)
        return Principal(user=entry.user, admin=entry.admin, method=self.method)
