"""Who is calling: the principal the security guard puts on each request.

The guard (:mod:`procdeck.server.security`) authenticates a request and stores a
:class:`Principal` in the ASGI scope under :data:`SCOPE_KEY`; routes read it with
:func:`principal_of`. A server without sign-in (or with the one shared
``--token-file`` token) has one user: :data:`SINGLE_USER`, who sees every job,
as before per-user jobs existed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["SCOPE_KEY", "SINGLE_USER", "Principal", "principal_of"]

SCOPE_KEY = "procdeck.principal"
"""The ASGI scope key holding the request's :class:`Principal`."""


@dataclass(frozen=True)
class Principal:
    """The caller of one request.

    ``user``: the user's id (the token's ``sub`` claim, or the API key's user
    name); ``None`` on a single-user server. ``admin``: sees and touches every
    user's jobs. ``method``: how the caller signed in: ``"none"``, ``"token"``
    (the shared token), ``"api-key"`` or ``"oidc"``. ``name``: a display name
    when the credentials carry one (``preferred_username``, ``email``).
    """

    user: str | None
    admin: bool = False
    method: str = "none"
    name: str | None = None

    @property
    def sees_all(self) -> bool:
        """True when this caller may see every job (single-user server or admin)."""
        return self.user is None or self.admin

    def may_see(self, owner: str | None) -> bool:
        """True when this caller may see (and dismiss) a job owned by ``owner``."""
        return self.sees_all or owner == self.user


SINGLE_USER = Principal(user=None)
"""The caller on a server without per-user sign-in."""


def principal_of(request_or_scope: Any) -> Principal:
    """The :class:`Principal` of a Starlette request (or an ASGI scope)."""
    scope = getattr(request_or_scope, "scope", request_or_scope)
    if isinstance(scope, Mapping):
        found = scope.get(SCOPE_KEY)
        if isinstance(found, Principal):
            return found
    return SINGLE_USER
