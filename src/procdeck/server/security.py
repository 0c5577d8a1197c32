"""What the server refuses before a route runs: strangers, oversized and non-JSON bodies.

:class:`SecuritySettings` holds the operator's choices (access token, CORS
origins, body and JSON limits); :func:`install_security` puts them in front of
the app as one small ASGI middleware (:class:`RequestGuard`) plus Starlette's
CORS middleware when origins are configured. The guard is pure ASGI (no
``BaseHTTPMiddleware``): it adds a few attribute reads to a request, which
keeps the hot submission route fast.

Sign-in (the shared token, API keys, OpenID Connect) is judged by the gate of
:mod:`procdeck.server.auth`; the guard puts the accepted
:class:`~procdeck.server.identity.Principal` in the scope (:data:`SCOPE_KEY`).

Every refusal is an RFC 7807 problem: 401 (missing or refused credentials;
with only the shared token one answer for every case, nothing about the
token), 503 (the identity provider does not answer), 413 (body above the limit, with or without
``Content-Length``), 415 (a POST body that is not JSON). JSON nesting is
checked by the execute route with :func:`check_json_depth` (400).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import os
import re
import stat
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from procdeck.server.auth import (
    DEFAULT_API_KEY_HEADER,
    ApiKeyAuthenticator,
    ApiKeyStore,
    Authenticator,
    Credentials,
    Refusal,
    Refused,
    SignInGate,
)
from procdeck.server.errors import PROBLEM_JSON, ProblemError
from procdeck.server.identity import SCOPE_KEY, Principal

__all__ = [
    "DEFAULT_MAX_BODY_SIZE",
    "DEFAULT_MAX_JSON_DEPTH",
    "PUBLIC_PATHS",
    "RequestGuard",
    "SecuritySettings",
    "SharedTokenAuthenticator",
    "TokenFileError",
    "check_json_depth",
    "install_security",
    "is_loopback",
    "parse_size",
    "read_token_file",
    "sign_in_gate",
]

DEFAULT_MAX_BODY_SIZE = 16 * 1024 * 1024
"""Largest request body accepted (bytes): 16 MiB."""
DEFAULT_MAX_JSON_DEPTH = 64
"""Deepest nesting of arrays and objects accepted in an execute request."""

PUBLIC_PATHS = frozenset({"/", "/openapi.json", "/openapi-3.1.json", "/docs",
                          "/docs/oauth2-redirect", "/redoc"})
"""Routes that answer without a token: the landing page and the API documentation."""

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass(frozen=True)
class SecuritySettings:
    """The operator's security choices; the defaults are an open loopback server.

    ``token``: when set, every route but :data:`PUBLIC_PATHS` requires
    ``Authorization: Bearer <token>``. ``api_keys``: a key file (see
    :mod:`procdeck.server.auth.apikeys`); its keys are accepted in the
    ``api_key_header`` header or as bearer tokens. When several methods are
    set, a request passes if any accepts it. ``cors_origins``: origins a
    browser page may call the API from (none by default: CORS off).
    """

    token: str | None = field(default=None, repr=False)
    cors_origins: tuple[str, ...] = ()
    max_body_size: int = DEFAULT_MAX_BODY_SIZE
    max_json_depth: int = DEFAULT_MAX_JSON_DEPTH
    api_keys: Path | None = None
    api_key_header: str = DEFAULT_API_KEY_HEADER

    def __post_init__(self) -> None:
        if self.token is not None and not self.token.strip():
            raise ValueError("the access token must not be empty")
        if not _HEADER_NAME.fullmatch(self.api_key_header) \
                or self.api_key_header.lower() == "authorization":
            raise ValueError(f"not a usable header name for API keys: {self.api_key_header!r}")
        if self.max_body_size < 1:
            raise ValueError("max_body_size must be at least 1 byte")
        if self.max_json_depth < 1:
            raise ValueError("max_json_depth must be at least 1")

    @property
    def sign_in_required(self) -> bool:
        """True when some sign-in method is configured (requests need credentials)."""
        return self.token is not None or self.api_keys is not None

    def __repr__(self) -> str:
        token = "set" if self.token else "none"
        keys = f", api_keys={str(self.api_keys)!r}" if self.api_keys is not None else ""
        return (f"SecuritySettings(token={token}{keys}, cors_origins={self.cors_origins!r}, "
                f"max_body_size={self.max_body_size}, max_json_depth={self.max_json_depth})")


_HEADER_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+")


class TokenFileError(ValueError):
    """The token file cannot be used (missing, unreadable, empty)."""


def read_token_file(path: str | os.PathLike[str]) -> tuple[str, str | None]:
    """The token in ``path`` (surrounding whitespace removed) and a warning, if any.

    The warning says when the file is readable by other users. Raises
    :class:`TokenFileError` (never showing the file's content) when the file
    cannot be read or holds no token.
    """
    file = Path(path).expanduser()
    try:
        text = file.read_text(encoding="utf-8")
        mode = file.stat().st_mode
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise TokenFileError(f"cannot read the token file {file}: {reason}") from None
    token = text.strip()
    if not token:
        raise TokenFileError(f"the token file {file} is empty")
    if any(char.isspace() for char in token):
        raise TokenFileError(f"the token in {file} must be one line without spaces")
    warning = None
    if os.name != "nt" and mode & 0o077:
        warning = (f"the token file {file} is accessible by other users "
                   f"(mode {stat.S_IMODE(mode):04o}); run: chmod 600 {file}")
    return token, warning


def is_loopback(host: str) -> bool:
    """True when ``host`` only accepts connections from this machine."""
    if host in ("localhost", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_json_depth(document: Any, limit: int) -> None:
    """Raise a 400 problem when arrays/objects in ``document`` nest deeper than ``limit``.

    Iterative, so a deep document cannot exhaust the stack here; it stops at the
    first container past the limit.
    """
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            raise ProblemError(
                400, "Invalid request",
                f"The JSON body nests arrays and objects deeper than {limit} levels",
            )
        stack.extend((child, depth + 1) for child in children
                     if isinstance(child, dict | list))


def _problem(status: int, title: str, detail: str,
             headers: list[tuple[bytes, bytes]] | None = None) -> tuple[bytes, list]:
    body = json.dumps({"type": "about:blank", "title": title, "status": status,
                       "detail": detail}).encode()
    return body, [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
        *(headers or []),
    ]


def _is_json_type(value: bytes) -> bool:
    kind = value.split(b";", 1)[0].strip().lower()
    return kind == b"application/json" or (
        kind.startswith(b"application/") and kind.endswith(b"+json")
    )


def _digest(value: bytes) -> bytes:
    return hashlib.sha256(value).digest()


_TOKEN_HOLDER = Principal(user=None, method="token")


class SharedTokenAuthenticator:
    """Accepts ``Authorization: Bearer <token>`` with the operator's one token.

    Compares SHA-256 digests with :func:`hmac.compare_digest` (equal lengths
    whatever was sent, constant time), once per request that has an
    ``Authorization`` header. Whoever holds the token sees every job.
    """

    method = "token"

    def __init__(self, token: str) -> None:
        self._digest = _digest(token.encode())

    def __repr__(self) -> str:
        return "SharedTokenAuthenticator(token=set)"

    async def authenticate(self, credentials: Credentials) -> Principal | None:
        """The token holder, or :class:`Refused`; None without an Authorization header."""
        if credentials.scheme is None:
            return None
        given = _digest((credentials.token or "").encode("latin-1", "replace"))
        # Evaluate both parts always: no early exit that timing could reveal.
        right_token = hmac.compare_digest(given, self._digest)
        if (credentials.scheme == "bearer") & right_token:
            return _TOKEN_HOLDER
        raise Refused("the access token is not valid", specific=0)


def sign_in_gate(settings: SecuritySettings) -> SignInGate | None:
    """The gate for the configured sign-in methods; None on an open server.

    Order: the shared token, API keys. Raises
    :class:`~procdeck.server.auth.ApiKeyFileError` for an unusable key file.
    """
    authenticators: list[Authenticator] = []
    if settings.token is not None:
        authenticators.append(SharedTokenAuthenticator(settings.token))
    if settings.api_keys is not None:
        authenticators.append(ApiKeyAuthenticator(ApiKeyStore(settings.api_keys)))
    if not authenticators:
        return None
    only_token = len(authenticators) == 1 and settings.token is not None
    return SignInGate(
        authenticators,
        api_key_header=settings.api_key_header if settings.api_keys is not None else None,
        missing=("This server requires a valid access token (Authorization: Bearer <token>)"
                 if only_token else None),
        uniform=only_token,
    )


class _BodyTooLarge(Exception):
    pass


class RequestGuard:
    """ASGI middleware: sign-in, body size limit and JSON content type on POST.

    Bodies of POST/PUT/PATCH requests are read here (up to the limit, also
    when sent chunked without ``Content-Length``) and replayed to the app.
    """

    def __init__(self, app: ASGIApp, settings: SecuritySettings) -> None:
        self.app = app
        self.settings = settings
        self._gate = sign_in_gate(settings)
        self._limit = settings.max_body_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._gate is not None and scope["path"] not in PUBLIC_PATHS:
            outcome = await self._gate.check(scope)
            if isinstance(outcome, Refusal):
                await self._refuse(send, outcome.status, outcome.title, outcome.detail,
                                   list(outcome.headers))
                return
            scope[SCOPE_KEY] = outcome
        if scope["method"] in _BODY_METHODS:
            await self._guard_body(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _guard_body(self, scope: Scope, receive: Receive, send: Send) -> None:
        content_type: bytes | None = None
        declared: bytes | None = None
        for name, value in scope["headers"]:
            if name == b"content-type":
                content_type = value
            elif name == b"content-length":
                declared = value
        if declared is not None:
            try:
                too_large = int(declared) > self._limit
            except ValueError:
                too_large = False  # the server itself rejects a malformed length
            if too_large:
                await self._too_large(send)
                return
        try:
            body = await self._read_body(receive)
        except _BodyTooLarge:
            await self._too_large(send)
            return
        if body.strip() and (content_type is None or not _is_json_type(content_type)):
            shown = "none" if content_type is None else content_type.decode("latin-1")[:100]
            await self._refuse(send, 415, "Unsupported Media Type",
                               f"The body must be JSON (Content-Type: application/json), "
                               f"not {shown}")
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _read_body(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            if chunk:
                size += len(chunk)
                if size > self._limit:
                    raise _BodyTooLarge
                chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    async def _too_large(self, send: Send) -> None:
        await self._refuse(send, 413, "Content Too Large",
                           f"The request body is larger than the limit of "
                           f"{self._limit} bytes", [(b"connection", b"close")])

    @staticmethod
    async def _refuse(send: Send, status: int, title: str, detail: str,
                      headers: list[tuple[bytes, bytes]] | None = None) -> None:
        body, all_headers = _problem(status, title, detail, headers)
        await send({"type": "http.response.start", "status": status, "headers": all_headers})
        await send({"type": "http.response.body", "body": body})


def install_security(app: Any, settings: SecuritySettings) -> None:
    """Put the guard (and CORS, when origins are configured) in front of ``app``.

    CORS is the outer layer so that preflight requests (which carry no token)
    are answered, and refusals carry the CORS headers a browser page needs to
    read them.
    """
    app.state.security = settings
    app.add_middleware(RequestGuard, settings=settings)
    if settings.cors_origins:
        app.add_middleware(
            _cors_middleware(),
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Prefer", "Accept",
                           *([settings.api_key_header] if settings.api_keys else [])],
            expose_headers=["Location", "Link", "Preference-Applied"],
            max_age=600,
        )


_SIZE = re.compile(r"([0-9]+(?:\.[0-9]+)?)([a-z]*)")
_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1000, "kib": 1024, "m": 1024**2, "mb": 1000**2,
               "mib": 1024**2, "g": 1024**3, "gb": 1000**3, "gib": 1024**3}


def parse_size(text: str) -> int:
    """A byte count from ``"16777216"``, ``"16MiB"``, ``"16M"``, ``"512k"``, ``"1GB"``..."""
    match = _SIZE.fullmatch(text.strip().lower().replace(" ", "").replace("_", ""))
    if match is None or match.group(2) not in _SIZE_UNITS:
        raise ValueError(f"not a size: {text!r} (use bytes, or a number with K, M, G, MiB...)")
    size = int(float(match.group(1)) * _SIZE_UNITS[match.group(2)])
    if size < 1:
        raise ValueError(f"the size must be at least 1 byte, not {text!r}")
    return size


def _cors_middleware() -> type:
    """Starlette's CORS middleware, refusing preflights with a problem document, not text."""
    from starlette.middleware.cors import CORSMiddleware
    from starlette.responses import Response

    class ProblemCORSMiddleware(CORSMiddleware):
        def preflight_response(self, request_headers: Any) -> Response:
            response = super().preflight_response(request_headers)
            if response.status_code < 400:
                return response
            reason = bytes(response.body).decode("utf-8", "replace")
            body, _ = _problem(response.status_code, "Bad Request",
                               f"{reason}: this origin, method or header is not allowed")
            headers = {k: v for k, v in response.headers.items()
                       if k.lower() not in ("content-type", "content-length")}
            return Response(body, response.status_code, headers, media_type=PROBLEM_JSON)

    return ProblemCORSMiddleware
