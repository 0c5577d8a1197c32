"""A small, real OpenID provider for tests, on loopback, built on authlib's server components.

``oidc-provider-mock`` covers discovery, authorization code and refresh with opaque access
tokens; procdeck also needs the client credentials, password and device code grants and RS256
JWT access tokens (RFC 9068 style) that a resource server validates against a JWKS. This
module serves them from a Flask app (``werkzeug.serving.make_server`` on ``127.0.0.1:0`` in a
daemon thread)::

    with OIDCProvider() as op:
        op.add_user("alice", "pw-alice", claims={"email": "alice@example.org"})
        op.add_client("cli", redirect_uris=["http://127.0.0.1:8765/callback"])
        op.add_client("svc", secret="s3cret", user="svc-bot")
        discovery = httpx.get(op.issuer + "/.well-known/openid-configuration").json()

Grants: ``authorization_code`` (PKCE S256 required for public clients), ``refresh_token``,
``client_credentials`` (confidential clients only), ``password`` and
``urn:ietf:params:oauth:grant-type:device_code`` (RFC 8628, with the device authorization
endpoint). Token errors are RFC 6749 JSON (``{"error": "invalid_grant", ...}``).

Test hooks: :meth:`OIDCProvider.sign` crafts arbitrary JWTs (``alg=none``, HS256 keyed with
the public key PEM, a foreign key, an unknown ``kid``) for refusal tests;
:meth:`~OIDCProvider.rotate_key`, :meth:`~OIDCProvider.revoke_refresh_tokens`,
:meth:`~OIDCProvider.approve_device` / :meth:`~OIDCProvider.deny_device` /
:meth:`~OIDCProvider.expire_device`, :attr:`~OIDCProvider.jwks_requests`. Request logging is
off: the provider's own log lines would otherwise carry passwords and codes from query strings.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import secrets
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import InvalidGrantError, InvalidRequestError, OAuth2Error
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc8628 import DEVICE_CODE_GRANT_TYPE, DeviceAuthorizationEndpoint
from authlib.oauth2.rfc8628 import DeviceCodeGrant as _DeviceCodeGrant
from authlib.oauth2.rfc8628.models import DeviceCredentialDict
from flask import Flask, Response, jsonify, request
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet, OctKey, OKPKey, RSAKey
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

__all__ = ["ADMIN_ROLE", "Client", "OIDCProvider", "User"]

#: The role an ``admin=True`` user (or client) carries in the ``roles`` claim.
ADMIN_ROLE = "procdeck-admin"

_USER_GRANTS = (
    "authorization_code",
    "refresh_token",
    "password",
    DEVICE_CODE_GRANT_TYPE,
)
_ALL_GRANTS = (*_USER_GRANTS, "client_credentials")
_LOGIN_USER = "login_username"
_LOGIN_PASSWORD = "login_password"

AnyKey = RSAKey | ECKey | OctKey | OKPKey


@dataclass
class User:
    """A resource owner of the provider."""

    name: str
    password: str = field(repr=False)
    claims: dict[str, Any] = field(default_factory=dict)
    admin: bool = False

    def get_user_id(self) -> str:
        """The subject (``sub``) of this user's tokens."""
        return self.name


@dataclass
class Client:
    """An OAuth client of the provider: public (no secret) or confidential."""

    client_id: str
    secret: str | None = field(default=None, repr=False)
    redirect_uris: list[str] = field(default_factory=list)
    user: str | None = None
    grant_types: tuple[str, ...] = _ALL_GRANTS
    admin: bool = False

    @property
    def is_public(self) -> bool:
        """True for clients without a secret (they authenticate with ``none``)."""
        return self.secret is None

    @property
    def subject(self) -> str:
        """The ``sub`` of client-credentials tokens."""
        return self.user or self.client_id

    # authlib's ClientMixin protocol
    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return self.redirect_uris[0] if self.redirect_uris else None

    def get_allowed_scope(self, scope: str | None) -> str:
        return scope or ""

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return self.secret is not None and hmac.compare_digest(self.secret, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.is_public:
            return method == "none"
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and "authorization_code" in self.grant_types

    def check_grant_type(self, grant_type: str) -> bool:
        if grant_type == "client_credentials" and self.is_public:
            return False
        return grant_type in self.grant_types


@dataclass
class _RefreshToken:
    token: str = field(repr=False)
    client_id: str
    user: str
    scope: str
    expires_at: float
    revoked: bool = False

    def check_client(self, client: Client) -> bool:
        return client.client_id == self.client_id

    def get_scope(self) -> str:
        return self.scope


@dataclass
class _AuthorizationCode:
    code: str = field(repr=False)
    client_id: str
    redirect_uri: str | None
    scope: str
    user: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    expires_at: float

    def get_redirect_uri(self) -> str | None:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


class _QuietHandler(WSGIRequestHandler):
    """No access log: query strings of /authorize carry passwords and codes."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64json(value: Mapping[str, Any]) -> str:
    return _b64url(json.dumps(value, separators=(",", ":")).encode())


def _scopes(scope: str | None) -> list[str]:
    return (scope or "").split()


class OIDCProvider:
    """An OpenID provider on ``127.0.0.1:<free port>``; a context manager (enter starts it).

    Settable attributes: :attr:`access_token_ttl` (seconds, default 300),
    :attr:`refresh_token_ttl` (default one day), :attr:`audience` (``aud`` of access tokens,
    default ``"procdeck"``), :attr:`device_interval` (default 1 s), :attr:`device_expires_in`
    (default 600 s), :attr:`rotate_refresh_tokens` (revoke a refresh token once used,
    default False: the old one stays valid until :meth:`revoke_refresh_tokens`).
    """

    def __init__(self, *, key_size: int = 2048) -> None:
        self.access_token_ttl: float = 300
        self.refresh_token_ttl: float = 86400
        self.audience: str = "procdeck"
        self.device_interval: int = 1
        self.device_expires_in: int = 600
        self.rotate_refresh_tokens: bool = False
        #: how many times /jwks was fetched
        self.jwks_requests: int = 0
        #: how many access tokens the token endpoint issued
        self.tokens_issued: int = 0
        self._key_size = key_size
        self._lock = threading.RLock()
        self._users: dict[str, User] = {}
        self._clients: dict[str, Client] = {}
        self._refresh: dict[str, _RefreshToken] = {}
        self._codes: dict[str, _AuthorizationCode] = {}
        self._devices: dict[str, DeviceCredentialDict] = {}  # by device_code
        self._device_grants: dict[str, tuple[User, bool]] = {}  # by user_code
        self._last_poll: dict[str, float] = {}
        self._keys: list[RSAKey] = []
        self.rotate_key()
        self._base_url: str | None = None
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.app = self._create_app()

    def __repr__(self) -> str:
        return f"OIDCProvider(issuer={self._base_url!r})"

    # -- lifecycle ------------------------------------------------------------------------

    def __enter__(self) -> OIDCProvider:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        """Serve on a free loopback port in a daemon thread."""
        if self._server is not None:
            return
        server = make_server("127.0.0.1", 0, self.app, threaded=True, request_handler=_QuietHandler)
        self._server = server
        self._base_url = f"http://127.0.0.1:{server.server_port}"
        self._thread = threading.Thread(
            target=server.serve_forever, name="oidc-provider", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Shut the server down and wait for its thread."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    @property
    def issuer(self) -> str:
        """``http://127.0.0.1:PORT`` (discovery at :attr:`discovery_url`)."""
        if self._base_url is None:
            raise RuntimeError("the provider is not running (use it as a context manager)")
        return self._base_url

    @property
    def discovery_url(self) -> str:
        """The discovery document's URL."""
        return self.issuer + "/.well-known/openid-configuration"

    @property
    def token_endpoint(self) -> str:
        """The token endpoint's URL."""
        return self.issuer + "/token"

    @property
    def authorization_endpoint(self) -> str:
        """The authorization endpoint's URL."""
        return self.issuer + "/authorize"

    @property
    def device_authorization_endpoint(self) -> str:
        """The device authorization endpoint's URL (RFC 8628)."""
        return self.issuer + "/device_authorization"

    @property
    def jwks_uri(self) -> str:
        """The JWKS URL."""
        return self.issuer + "/jwks"

    # -- registry ---------------------------------------------------------------------

    def add_user(
        self,
        name: str,
        password: str,
        claims: Mapping[str, Any] | None = None,
        admin: bool = False,
    ) -> User:
        """Register a user; ``admin=True`` puts ``procdeck-admin`` in the ``roles`` claim."""
        user = User(name, password, dict(claims or {}), admin)
        with self._lock:
            self._users[name] = user
        return user

    def add_client(
        self,
        client_id: str,
        secret: str | None = None,
        redirect_uris: Iterable[str] = (),
        user: str | None = None,
        grant_types: Iterable[str] | None = None,
        admin: bool = False,
    ) -> Client:
        """Register a client: public without ``secret`` (PKCE, device), else confidential.

        ``user`` is the ``sub`` of its client-credentials tokens (default the client id);
        ``admin`` gives those tokens the admin role. ``grant_types`` restricts the grants.
        """
        client = Client(
            client_id,
            secret,
            list(redirect_uris),
            user,
            tuple(grant_types) if grant_types is not None else _ALL_GRANTS,
            admin,
        )
        with self._lock:
            self._clients[client_id] = client
        return client

    def _query_client(self, client_id: str) -> Client | None:
        return self._clients.get(client_id)

    def _check_user(self, name: str | None, password: str | None) -> User | None:
        user = self._users.get(name or "")
        if user is None or password is None:
            return None
        if not hmac.compare_digest(user.password.encode(), password.encode()):
            return None
        return user

    # -- keys and tokens --------------------------------------------------------------------

    @property
    def signing_key(self) -> RSAKey:
        """The current private signing key."""
        return self._keys[-1]

    @property
    def kid(self) -> str:
        """The ``kid`` of the current signing key."""
        return str(self.signing_key.kid)

    def rotate_key(self, *, keep_old: bool = True) -> str:
        """Sign with a new RSA key (new ``kid``) from now on; returns its kid.

        The JWKS publishes the new key; the old keys stay published unless ``keep_old`` is
        False (then tokens signed before no longer verify against the JWKS).
        """
        kid = uuid.uuid4().hex[:16]
        key = RSAKey.generate_key(self._key_size, parameters={"kid": kid, "use": "sig"})
        with self._lock:
            self._keys = [*self._keys, key] if keep_old else [key]
        return kid

    def jwks(self) -> dict[str, Any]:
        """The public JWKS document as served at /jwks (without counting a request)."""
        keys = []
        for key in self._keys:
            public = key.as_dict(private=False)
            public["alg"] = "RS256"
            keys.append(public)
        return {"keys": keys}

    def public_key_pem(self) -> bytes:
        """The current public key in PEM (the HMAC secret of key-confusion attacks)."""
        return self.signing_key.as_pem(private=False)

    def access_token_claims(self, subject: str, **overrides: Any) -> dict[str, Any]:
        """A valid access-token claim set for ``subject`` (a user or a client's subject).

        Unknown subjects get no profile claims. ``overrides`` replace claims (``exp=...``);
        a value of None removes the claim.
        """
        now = int(time.time())
        user = self._users.get(subject)
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": subject,
            "aud": self.audience,
            "iat": now,
            "nbf": now,
            "exp": int(now + self.access_token_ttl),
            "jti": uuid.uuid4().hex,
            "scope": "openid profile email",
            "client_id": "test",
            "roles": [ADMIN_ROLE] if user is not None and user.admin else [],
            "preferred_username": subject,
        }
        if user is not None:
            claims.update(user.claims)
        for name, value in overrides.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        return claims

    def issue_access_token(self, subject: str, **overrides: Any) -> str:
        """A valid signed access token for ``subject`` without running a grant."""
        return self.sign(self.access_token_claims(subject, **overrides))

    def sign(
        self,
        claims: Mapping[str, Any],
        alg: str = "RS256",
        kid: str | None = None,
        key: AnyKey | None = None,
        headers: Mapping[str, Any] | None = None,
    ) -> str:
        """Craft a JWT with exactly ``claims`` (nothing is added).

        ``alg="none"`` gives an unsigned token (empty signature). An HMAC ``alg`` without a
        ``key`` is keyed with the public key PEM (key confusion). Otherwise ``key`` (default
        the current signing key; e.g. a foreign ``RSAKey.generate_key()``) signs with ``alg``.
        ``kid`` defaults to the key's kid (the current kid for HMAC and none); pass any string
        for an unknown kid. ``headers`` adds or replaces header fields.
        """
        header: dict[str, Any] = {"alg": alg, "typ": "JWT"}
        signer = key if key is not None else self.signing_key
        default_kid = signer.kid if key is not None else self.kid
        header_kid = kid if kid is not None else default_kid
        if header_kid is not None:
            header["kid"] = header_kid
        header.update(headers or {})
        if alg == "none" or (alg.startswith("HS") and key is None):
            signing_input = f"{_b64json(header)}.{_b64json(claims)}".encode("ascii")
            if alg == "none":
                return signing_input.decode() + "."
            digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}
            mac = hmac.new(self.public_key_pem(), signing_input, digest[alg]).digest()
            return signing_input.decode() + "." + _b64url(mac)
        return jwt.encode(header, dict(claims), signer, algorithms=[alg])

    def verify(self, token: str) -> dict[str, Any]:
        """Claims of a token signed by one of the published keys and not expired.

        Raises ``ValueError`` for anything else (used by /userinfo).
        """
        try:
            decoded = jwt.decode(token, KeySet(list(self._keys)), algorithms=["RS256"])
        except (JoseError, ValueError) as error:
            raise ValueError("invalid token") from error
        claims = dict(decoded.claims)
        if claims.get("iss") != self.issuer or float(claims.get("exp", 0)) < time.time():
            raise ValueError("invalid token")
        return claims

    def _generate_token(
        self,
        grant_type: str,
        client: Client,
        user: User | None = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        subject = user.name if user is not None else client.subject
        admin = user.admin if user is not None else client.admin
        ttl = self.access_token_ttl
        claims = self.access_token_claims(
            subject,
            exp=int(time.time() + ttl),
            scope=scope or "",
            client_id=client.client_id,
            roles=[ADMIN_ROLE] if admin else [],
        )
        token: dict[str, Any] = {
            "token_type": "Bearer",
            "access_token": self.sign(claims),
            "expires_in": int(ttl),
            "scope": scope or "",
        }
        if include_refresh_token and user is not None:
            token["refresh_token"] = secrets.token_urlsafe(32)
        if user is not None and "openid" in _scopes(scope):
            token["id_token"] = self._id_token(user, client, None)
        with self._lock:
            self.tokens_issued += 1
        return token

    def _id_token(self, user: User, client: Client, nonce: str | None) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": user.name,
            "aud": client.client_id,
            "azp": client.client_id,
            "iat": now,
            "auth_time": now,
            "exp": int(now + self.access_token_ttl),
            "preferred_username": user.name,
            "roles": [ADMIN_ROLE] if user.admin else [],
            **user.claims,
        }
        if nonce:
            claims["nonce"] = nonce
        return self.sign(claims)

    def _save_token(self, token: dict[str, Any], oauth_request: Any) -> None:
        refresh = token.get("refresh_token")
        user = getattr(oauth_request, "user", None)
        if not refresh or user is None:
            return
        record = _RefreshToken(
            refresh,
            oauth_request.client.client_id,
            user.name,
            token.get("scope", ""),
            time.time() + self.refresh_token_ttl,
        )
        with self._lock:
            self._refresh[refresh] = record

    def revoke_refresh_tokens(self, user: str) -> int:
        """Revoke every refresh token of ``user`` (refresh then fails with invalid_grant)."""
        with self._lock:
            records = [r for r in self._refresh.values() if r.user == user and not r.revoked]
            for record in records:
                record.revoked = True
        return len(records)

    # -- authorization code -----------------------------------------------------------------

    def login_url_params(self, user: str, password: str) -> dict[str, str]:
        """Query parameters that make /authorize log ``user`` in without a form (302)."""
        return {_LOGIN_USER: user, _LOGIN_PASSWORD: password}

    # -- device flow ------------------------------------------------------------------------

    def approve_device(self, user_code: str, user: str) -> None:
        """What ``user`` does on the verification page: approve the device's request."""
        with self._lock:
            self._device_credential_by_user_code(user_code)
            self._device_grants[user_code] = (self._users[user], True)

    def deny_device(self, user_code: str) -> None:
        """The user refuses the device's request (polls answer access_denied)."""
        with self._lock:
            self._device_credential_by_user_code(user_code)
            self._device_grants[user_code] = (User("-", "-"), False)

    def expire_device(self, user_code: str) -> None:
        """Let the device code expire now (polls answer expired_token)."""
        with self._lock:
            self._device_credential_by_user_code(user_code)["expires_at"] = time.time() - 1

    def _device_credential_by_user_code(self, user_code: str) -> DeviceCredentialDict:
        for credential in self._devices.values():
            if credential["user_code"] == user_code:
                return credential
        raise KeyError(f"no pending device authorization with user code {user_code!r}")

    def _should_slow_down(self, device_code: str) -> bool:
        now = time.monotonic()
        with self._lock:
            last = self._last_poll.get(device_code)
            self._last_poll[device_code] = now
        # a little slack: a client that sleeps `interval` between polls must never see this
        return last is not None and now - last < self.device_interval * 0.8

    # -- the app ----------------------------------------------------------------------------

    def _create_app(self) -> Flask:
        app = Flask("oidc_provider")
        server = AuthorizationServer(app, self._query_client, self._save_token)
        server.register_token_generator("default", self._generate_token)
        provider = self

        class PasswordGrant(grants.ResourceOwnerPasswordCredentialsGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ("client_secret_basic", "client_secret_post", "none")

            def authenticate_user(self, username: str, password: str) -> User:
                user = provider._check_user(username, password)
                if user is None:
                    raise InvalidGrantError("Invalid user name or password.")
                return user

        class ClientCredentialsGrant(grants.ClientCredentialsGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ("client_secret_basic", "client_secret_post")

        class RefreshTokenGrant(grants.RefreshTokenGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ("client_secret_basic", "client_secret_post", "none")
            INCLUDE_NEW_REFRESH_TOKEN = True

            def authenticate_refresh_token(self, refresh_token: str) -> _RefreshToken | None:
                record = provider._refresh.get(refresh_token)
                if record is None or record.revoked or record.expires_at < time.time():
                    return None
                return record

            def authenticate_user(self, refresh_token: _RefreshToken) -> User | None:
                return provider._users.get(refresh_token.user)

            def revoke_old_credential(self, refresh_token: _RefreshToken) -> None:
                if provider.rotate_refresh_tokens:
                    refresh_token.revoked = True

        class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ("client_secret_basic", "client_secret_post", "none")

            def save_authorization_code(self, code: str, oauth_request: Any) -> None:
                data = oauth_request.payload.data
                record = _AuthorizationCode(
                    code,
                    oauth_request.client.client_id,
                    oauth_request.payload.redirect_uri,
                    oauth_request.scope or "",
                    oauth_request.user.name,
                    data.get("nonce"),
                    data.get("code_challenge"),
                    data.get("code_challenge_method"),
                    time.time() + 600,
                )
                with provider._lock:
                    provider._codes[code] = record

            def query_authorization_code(
                self, code: str, client: Client
            ) -> _AuthorizationCode | None:
                record = provider._codes.get(code)
                if record is None or record.client_id != client.client_id:
                    return None
                if record.expires_at < time.time():
                    return None
                return record

            def delete_authorization_code(self, authorization_code: _AuthorizationCode) -> None:
                with provider._lock:
                    provider._codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code: _AuthorizationCode) -> User | None:
                return provider._users.get(authorization_code.user)

            def generate_token(self, user: Any = None, scope: Any = None, **kwargs: Any) -> Any:
                token = super().generate_token(user=user, scope=scope, **kwargs)
                code = self.request.authorization_code
                if user is not None and "openid" in _scopes(scope):
                    token["id_token"] = provider._id_token(user, self.client, code.nonce)
                return token

        class PublicClientsUseS256(CodeChallenge):
            """PKCE: required for public clients, S256 only."""

            SUPPORTED_CODE_CHALLENGE_METHOD = ("S256",)

            def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
                data = grant.request.payload.data
                if grant.request.client.is_public and not data.get("code_challenge"):
                    raise InvalidRequestError("Public clients must send a code_challenge (S256).")
                if data.get("code_challenge") and data.get("code_challenge_method") != "S256":
                    raise InvalidRequestError("code_challenge_method must be S256.")
                super().validate_code_challenge(grant, redirect_uri)

        class DeviceCodeGrant(_DeviceCodeGrant):
            def query_device_credential(self, device_code: str) -> DeviceCredentialDict:
                credential = provider._devices.get(device_code)
                if credential is None:
                    raise InvalidGrantError("Unknown or used device_code.")
                return credential

            def query_user_grant(self, user_code: str) -> tuple[User, bool] | None:
                return provider._device_grants.get(user_code)

            def should_slow_down(self, credential: DeviceCredentialDict) -> bool:
                return provider._should_slow_down(credential["device_code"])

            def create_token_response(self) -> Any:
                result = super().create_token_response()
                with provider._lock:  # a device code gives one token answer
                    credential = provider._devices.pop(self.request.credential["device_code"])
                    provider._device_grants.pop(credential["user_code"], None)
                return result

        class DeviceEndpoint(DeviceAuthorizationEndpoint):
            def create_endpoint_response(self, oauth_request: Any) -> Any:
                self.INTERVAL = provider.device_interval
                self.EXPIRES_IN = provider.device_expires_in
                return super().create_endpoint_response(oauth_request)

            def get_verification_uri(self) -> str:
                return provider.issuer + "/device"

            def save_device_credential(
                self, client_id: str, scope: str | None, data: dict[str, Any]
            ) -> None:
                credential = DeviceCredentialDict(
                    client_id=client_id,
                    scope=scope or "",
                    expires_at=time.time() + data["expires_in"],
                    **data,
                )
                with provider._lock:
                    provider._devices[data["device_code"]] = credential

        server.register_grant(PasswordGrant)
        server.register_grant(ClientCredentialsGrant)
        server.register_grant(RefreshTokenGrant)
        server.register_grant(AuthorizationCodeGrant, [PublicClientsUseS256(required=True)])
        server.register_grant(DeviceCodeGrant)
        server.register_endpoint(DeviceEndpoint)

        @app.get("/.well-known/openid-configuration")
        def discovery() -> Response:
            return jsonify(self._discovery())

        @app.get("/jwks")
        def jwks() -> Response:
            with self._lock:
                self.jwks_requests += 1
            return jsonify(self.jwks())

        @app.post("/token")
        def token() -> Response:
            return server.create_token_response()

        @app.post("/device_authorization")
        def device_authorization() -> Response:
            return server.create_endpoint_response(DeviceEndpoint.ENDPOINT_NAME)

        @app.route("/authorize", methods=["GET", "POST"])
        def authorize() -> Response:
            return self._authorize(server)

        @app.route("/device", methods=["GET", "POST"])
        def device() -> Response:
            return self._device_page()

        @app.route("/userinfo", methods=["GET", "POST"])
        def userinfo() -> Response:
            return self._userinfo()

        return app

    def _discovery(self) -> dict[str, Any]:
        issuer = self.issuer
        return {
            "issuer": issuer,
            "authorization_endpoint": issuer + "/authorize",
            "token_endpoint": issuer + "/token",
            "device_authorization_endpoint": issuer + "/device_authorization",
            "jwks_uri": issuer + "/jwks",
            "userinfo_endpoint": issuer + "/userinfo",
            "grant_types_supported": list(_ALL_GRANTS),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "code_challenge_methods_supported": ["S256"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
                "none",
            ],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "claims_supported": [
                "sub",
                "iss",
                "aud",
                "exp",
                "iat",
                "preferred_username",
                "email",
                "roles",
            ],
        }

    def _authorize(self, server: AuthorizationServer) -> Response:
        values = request.values
        try:
            grant = server.get_consent_grant(end_user=None)
        except OAuth2Error as error:
            return server.handle_error_response(None, error)
        if request.method == "POST" and values.get("action") == "deny":
            return server.create_authorization_response(grant_user=None, grant=grant)
        name, password = values.get(_LOGIN_USER), values.get(_LOGIN_PASSWORD)
        if name is None and password is None:
            return self._login_form("Sign in", "/authorize", values, 200)
        user = self._check_user(name, password)
        if user is None:
            return self._login_form("Wrong user name or password", "/authorize", values, 401)
        return server.create_authorization_response(grant_user=user, grant=grant)

    def _device_page(self) -> Response:
        values = request.values
        user_code = (values.get("user_code") or "").strip().upper()
        name, password = values.get(_LOGIN_USER), values.get(_LOGIN_PASSWORD)
        if request.method == "GET" or name is None:
            return self._login_form("Connect a device", "/device", values, 200, user_code=True)
        try:
            if values.get("action") == "deny":
                self.deny_device(user_code)
                return Response("<p>Request denied.</p>", mimetype="text/html")
            user = self._check_user(name, password)
            if user is None:
                return self._login_form(
                    "Wrong user name or password", "/device", values, 401, user_code=True
                )
            self.approve_device(user_code, user.name)
        except KeyError:
            return self._login_form("Unknown code", "/device", values, 400, user_code=True)
        return Response("<p>Device connected. You can close this page.</p>", mimetype="text/html")

    def _login_form(
        self,
        title: str,
        action: str,
        values: Mapping[str, str],
        status: int,
        user_code: bool = False,
    ) -> Response:
        skip = {_LOGIN_USER, _LOGIN_PASSWORD, "action", "user_code"}
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in values.items()
            if k not in skip
        )
        code_field = ""
        if user_code:
            code = html.escape(values.get("user_code", ""))
            code_field = (
                f'<label>Code <input name="user_code" id="user_code" value="{code}"></label>'
            )
        page = (
            f"<!doctype html><title>{html.escape(title)}</title><h1>{html.escape(title)}</h1>"
            f'<form method="post" action="{action}">{hidden}{code_field}'
            f'<label>User <input name="{_LOGIN_USER}" id="username"></label>'
            f'<label>Password <input type="password" name="{_LOGIN_PASSWORD}" id="password">'
            '</label><button type="submit" name="action" value="approve" id="approve">'
            'Sign in</button><button type="submit" name="action" value="deny" id="deny">'
            "Deny</button></form>"
        )
        return Response(page, status=status, mimetype="text/html")

    def _userinfo(self) -> Response:
        auth = request.headers.get("Authorization", "")
        scheme, _, token = auth.partition(" ")
        try:
            if scheme.lower() != "bearer" or not token:
                raise ValueError("no bearer token")
            claims = self.verify(token.strip())
        except ValueError:
            answer = jsonify({"error": "invalid_token"})
            answer.status_code = 401
            answer.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
            return answer
        info: dict[str, Any] = {
            "sub": claims["sub"],
            "preferred_username": claims.get("preferred_username", claims["sub"]),
            "roles": claims.get("roles", []),
        }
        user = self._users.get(claims["sub"])
        if user is not None:
            info.update(user.claims)
        return jsonify(info)
