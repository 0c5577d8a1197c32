"""Client configuration: server URL, access token and user name.

Each setting is resolved on its own, first found wins:

1. the argument given to :meth:`ClientConfig.load` (or to ``Client(...)``),
2. the environment: ``PROCDECK_SERVER_URL``, ``PROCDECK_ACCESS_TOKEN``, ``PROCDECK_USER_NAME``,
3. the config file: ``$PROCDECK_CONFIG``, else ``~/.procdeck/config.toml``,
4. the default: server ``http://127.0.0.1:8008``, no token, no user name.

The token is a secret: it is never part of ``repr``/``str``, error messages or
logs, and the config file is always written with mode 0600.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
import tomllib
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError, field_validator

from procdeck._util.urls import MASK, mask_url
from procdeck.client.errors import ConfigError

__all__ = [
    "DEFAULT_SERVER_URL",
    "ENV_ACCESS_TOKEN",
    "ENV_CONFIG",
    "ENV_SERVER_URL",
    "ENV_USER_NAME",
    "ClientConfig",
    "InsecureConfigWarning",
    "default_config_path",
    "mask_url",
]

DEFAULT_SERVER_URL = "http://127.0.0.1:8008"
ENV_SERVER_URL = "PROCDECK_SERVER_URL"
ENV_ACCESS_TOKEN = "PROCDECK_ACCESS_TOKEN"
ENV_USER_NAME = "PROCDECK_USER_NAME"
ENV_CONFIG = "PROCDECK_CONFIG"

_FIELDS = ("server_url", "access_token", "user_name")
_ENV_NAMES = {
    "server_url": ENV_SERVER_URL,
    "access_token": ENV_ACCESS_TOKEN,
    "user_name": ENV_USER_NAME,
}


class InsecureConfigWarning(UserWarning):
    """The config file (which may hold the access token) is readable by other users."""


def default_config_path() -> Path:
    """``$PROCDECK_CONFIG`` if set, else ``~/.procdeck/config.toml``."""
    configured = os.environ.get(ENV_CONFIG)
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".procdeck" / "config.toml"


class ClientConfig(BaseModel):
    """Where the client connects and as whom.

    ``access_token`` is a :class:`pydantic.SecretStr`: use
    ``config.access_token.get_secret_value()`` to read it. Invalid values raise
    :class:`~procdeck.client.errors.ConfigError`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    server_url: str = DEFAULT_SERVER_URL
    access_token: SecretStr | None = None
    user_name: str | None = None

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            # Never echo the input values: one of them may be the token.
            problems = "; ".join(
                f"{'.'.join(str(p) for p in error['loc']) or 'config'}: {error['msg']}"
                for error in exc.errors(include_input=False, include_url=False)
            )
            raise ConfigError(f"invalid client configuration: {problems}") from None

    @field_validator("server_url", mode="before")
    @classmethod
    def _normalise_url(cls, value: Any) -> str:
        if value is None:
            return DEFAULT_SERVER_URL
        url = str(value).strip()
        if "://" not in url:
            url = f"http://{url}"  # "localhost:8008" means http, as in a browser
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"server URL must be an http(s) URL, got {value!r}")
        return url.rstrip("/")

    @field_validator("access_token", "user_name", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, str):
            raise ValueError("must be a string")
        return value.strip()

    # -- resolution -------------------------------------------------------------------------

    @classmethod
    def load(
        cls,
        server_url: str | None = None,
        access_token: str | None = None,
        user_name: str | None = None,
        *,
        path: str | os.PathLike[str] | None = None,
    ) -> ClientConfig:
        """Resolve each setting from arguments, environment, config file, default (in order)."""
        values: dict[str, Any] = {
            "server_url": server_url,
            "access_token": access_token,
            "user_name": user_name,
        }
        for name in _FIELDS:
            if not values[name]:
                values[name] = os.environ.get(_ENV_NAMES[name]) or None
        if any(values[name] is None for name in _FIELDS):
            stored = cls._read_file(Path(path) if path else default_config_path())
            for name in _FIELDS:
                if values[name] is None:
                    values[name] = stored.get(name)
        return cls(**values)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str] | None = None) -> ClientConfig:
        """The settings stored in the config file alone (defaults where it has none)."""
        stored = cls._read_file(Path(path) if path else default_config_path())
        return cls(**{name: stored.get(name) for name in _FIELDS})

    @staticmethod
    def _read_file(path: Path) -> dict[str, Any]:
        path = path.expanduser()
        try:
            info = path.stat()
            with path.open("rb") as file:
                data = tomllib.load(file)
        except FileNotFoundError:
            return {}
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read config file {path}: {exc}") from None
        if os.name != "nt" and info.st_mode & 0o077:
            warnings.warn(
                f"config file {path} is accessible by other users "
                f"(mode {stat.S_IMODE(info.st_mode):04o}); run: chmod 600 {path}",
                InsecureConfigWarning,
                stacklevel=4,
            )
        return {name: data[name] for name in _FIELDS if data.get(name) is not None}

    # -- persistence ------------------------------------------------------------------------

    def write(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Write the settings to the config file (created with mode 0600) and return its path.

        The file is written to a temporary file created 0600 in the same
        directory and renamed over the target, so it is never readable by others,
        not even for a moment, and never left half-written.
        """
        target = (Path(path) if path else default_config_path()).expanduser()
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=".config-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                file.write(self._to_toml())
                file.flush()
                os.fsync(file.fileno())
            os.replace(temp_name, target)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
        return target

    def _to_toml(self) -> str:
        lines = ["# procdeck client configuration (written by procdeck; keep it private)"]
        for name, value in self._plain_items():
            if value is not None:
                lines.append(f"{name} = {toml_string(value)}")
        return "\n".join(lines) + "\n"

    # -- display ----------------------------------------------------------------------------

    def _plain_items(self) -> list[tuple[str, str | None]]:
        token = self.access_token.get_secret_value() if self.access_token else None
        return [
            ("server_url", self.server_url),
            ("access_token", token),
            ("user_name", self.user_name),
        ]

    def to_dict(self) -> dict[str, str | None]:
        """The settings as a dict with the token (and a password in the URL) masked."""
        return {
            "access_token": MASK if self.access_token else None,
            "server_url": mask_url(self.server_url),
            "user_name": self.user_name,
        }

    def to_json(self, indent: int | None = 2) -> str:
        """The settings as JSON with the token masked, keys sorted like the notebook display."""
        return json.dumps(self.to_dict(), indent=indent, sort_keys=True)

    def __repr__(self) -> str:
        shown = ", ".join(f"{key}={value!r}" for key, value in self.to_dict().items())
        return f"ClientConfig({shown})"

    __str__ = __repr__

    def _repr_json_(self) -> tuple[dict[str, Any], dict[str, Any]]:
        return self.to_dict(), {"expanded": True, "root": "ClientConfig"}


_TOML_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def toml_string(text: str) -> str:
    """``text`` as a TOML basic string (quoted, with control characters escaped)."""
    out = []
    for char in text:
        if char in _TOML_ESCAPES:
            out.append(_TOML_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'
