"""What every sign-in method shares: the credentials of a request and the ways to say no.

An authenticator looks at :class:`Credentials` and answers a
:class:`~procdeck.server.identity.Principal` (accepted), ``None`` (nothing it
can judge was sent), or raises :class:`Refused` (credentials of its kind, and
wrong) or :class:`Unavailable` (it cannot judge now: the identity provider is
down). Details are general words ("the token has expired"), never the
credentials themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from procdeck.server.identity import Principal

__all__ = ["Authenticator", "Credentials", "Refused", "Unavailable"]


@dataclass(frozen=True)
class Credentials:
    """What a request sent to sign in (never shown: the values are left out of ``repr``).

    ``scheme`` and ``token``: the ``Authorization`` header split at its first
    space (``scheme`` lower-cased; both ``None`` without the header).
    ``api_key``: the value of the API key header, if configured and sent.
    """

    scheme: str | None = None
    token: str | None = field(default=None, repr=False)
    api_key: str | None = field(default=None, repr=False)

    @property
    def bearer(self) -> str | None:
        """The token of ``Authorization: Bearer <token>`` (``None`` for another scheme)."""
        return self.token if self.scheme == "bearer" and self.token else None

    @property
    def sent(self) -> bool:
        """True when the request carried any credentials at all."""
        return self.scheme is not None or self.api_key is not None


class Refused(Exception):
    """Credentials of an authenticator's kind that it does not accept.

    ``detail`` says what kind of failure in general words; ``specific`` ranks
    refusals when several authenticators refused one request (the most
    specific one is answered: a JWT's "expired" beats "not an API key").
    """

    def __init__(self, detail: str, *, specific: int = 1) -> None:
        super().__init__(detail)
        self.detail = detail
        self.specific = specific


class Unavailable(Exception):
    """The authenticator cannot decide now (its identity provider does not answer)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class Authenticator(Protocol):
    """One sign-in method (shared token, API keys, OpenID Connect)."""

    method: str
    """The name of the method, as in :attr:`Principal.method`."""

    async def authenticate(self, credentials: Credentials) -> Principal | None:
        """The caller, ``None`` when nothing of this kind was sent; raise Refused/Unavailable."""
        ...
