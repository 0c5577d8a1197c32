"""Sign-in for the server: the shared token, API keys and OpenID Connect, in one gate.

The security guard (:mod:`procdeck.server.security`) builds a
:class:`SignInGate` from its settings, asks it about every request but the
public ones and puts the accepted :class:`~procdeck.server.identity.Principal`
in the ASGI scope. The shared token's check stays in the guard's module.
"""

from __future__ import annotations

from procdeck.server.auth.apikeys import (
    DEFAULT_API_KEY_HEADER,
    ApiKeyAuthenticator,
    ApiKeyEntry,
    ApiKeyFileError,
    ApiKeyStore,
    hash_api_key,
    new_api_key,
    read_api_keys,
    write_api_keys,
)
from procdeck.server.auth.base import Authenticator, Credentials, Refused, Unavailable
from procdeck.server.auth.gate import REALM, Refusal, SignInGate

__all__ = [
    "DEFAULT_API_KEY_HEADER",
    "REALM",
    "ApiKeyAuthenticator",
    "ApiKeyEntry",
    "ApiKeyFileError",
    "ApiKeyStore",
    "Authenticator",
    "Credentials",
    "Refusal",
    "Refused",
    "SignInGate",
    "Unavailable",
    "hash_api_key",
    "new_api_key",
    "read_api_keys",
    "write_api_keys",
]

