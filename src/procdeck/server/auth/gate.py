"""The sign-in gate: every configured method judges a request; one acceptance lets it in.

:class:`SignInGate` reads the credentials of an ASGI request once
(``Authorization`` and the API key header), asks each authenticator in turn
and answers the first :class:`~procdeck.server.identity.Principal`, or a
:class:`Refusal`: 401 with ``WWW-Authenticate: Bearer realm="procdeck"``
(plus ``error="invalid_token"`` when credentials were sent), or 503 when an
identity provider that had to decide did not answer. Refusals are logged at
INFO with the method, path, client and reason; never with the credentials.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from procdeck.server.auth.base import Authenticator, Credentials, Refused, Unavailable
from procdeck.server.identity import Principal

__all__ = ["REALM", "Refusal", "SignInGate"]

log = logging.getLogger("procdeck.server.auth")

REALM = "procdeck"
"""The realm named in ``WWW-Authenticate``."""

_CHALLENGE = f'Bearer realm="{REALM}"'.encode()
_INVALID = _CHALLENGE + b', error="invalid_token"'


@dataclass(frozen=True)
class Refusal:
    """A request the gate turns away: the problem's status, title, detail and headers."""

    status: int
    title: str
    detail: str
    headers: tuple[tuple[bytes, bytes], ...] = ()


class SignInGate:
    """Runs the authenticators on a request and answers who is calling, or why not.

    ``api_key_header``: the header carrying API keys (None: no API keys).
    ``missing``: the detail of a request without credentials. ``uniform``:
    answer every refusal with that same detail (the shared-token server's
    rule: nothing about why a token was refused).
    """

    def __init__(self, authenticators: Sequence[Authenticator], *,
                 api_key_header: str | None = None, missing: str | None = None,
                 uniform: bool = False) -> None:
        if not authenticators:
            raise ValueError("the gate needs at least one authenticator")
        self.authenticators = tuple(authenticators)
        self._api_key_header = api_key_header.lower().encode() if api_key_header else None
        self.missing = missing or "This server requires sign-in " + _how(api_key_header)
        self.uniform = uniform

    def __repr__(self) -> str:
        methods = ", ".join(a.method for a in self.authenticators)
        return f"SignInGate({methods})"

    def credentials(self, scope: Mapping[str, Any]) -> Credentials:
        """The credentials of the request: the first Authorization and API key headers."""
        scheme = token = api_key = None
        for name, value in scope.get("headers", ()):
            if name == b"authorization" and scheme is None:
                raw_scheme, _, raw_token = value.strip().partition(b" ")
                scheme = raw_scheme.decode("latin-1").lower()
                token = raw_token.strip().decode("latin-1")
            elif name == self._api_key_header and api_key is None:
                api_key = value.strip().decode("latin-1")
        return Credentials(scheme=scheme, token=token, api_key=api_key)

    async def check(self, scope: Mapping[str, Any]) -> Principal | Refusal:
        """The caller of the request in ``scope``, or the refusal to answer."""
        credentials = self.credentials(scope)
        refusals: list[Refused] = []
        unavailable: list[Unavailable] = []
        for authenticator in self.authenticators:
            try:
                principal = await authenticator.authenticate(credentials)
            except Refused as refused:
                refusals.append(refused)
                continue
            except Unavailable as down:
                unavailable.append(down)
                continue
            if principal is not None:
                return principal
        best = max(refusals, key=lambda r: r.specific, default=None)
        if unavailable and (best is None or best.specific < 2):
            reason = unavailable[0].detail
            self._log(scope, f"sign-in unavailable: {reason}")
            return Refusal(503, "Service Unavailable",
                           f"Sign-in is unavailable right now: {reason}",
                           ((b"retry-after", b"10"),))
        if not credentials.sent or best is None:
            reason = "no credentials" if not credentials.sent else "credentials of no known kind"
            self._log(scope, reason)
            headers = (b"www-authenticate", _INVALID if credentials.sent else _CHALLENGE)
            return Refusal(401, "Unauthorized", self.missing, (headers,))
        self._log(scope, best.detail)
        detail = self.missing if self.uniform else f"Sign-in refused: {best.detail}"
        return Refusal(401, "Unauthorized", detail, ((b"www-authenticate", _INVALID),))

    @staticmethod
    def _log(scope: Mapping[str, Any], reason: str) -> None:
        client = scope.get("client")
        where = f"{client[0]}" if client else "unknown client"
        log.info("refused %s %s from %s: %s", scope.get("method", "?"),
                 scope.get("path", "?"), where, reason)


def _how(api_key_header: str | None) -> str:
    if api_key_header:
        return (f"(Authorization: Bearer <token>, or {api_key_header}: <key>)")
    return "(Authorization: Bearer <token>)"
