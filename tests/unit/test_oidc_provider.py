"""The test OpenID provider (tests/oidc_provider.py), end to end with plain httpx.

No procdeck code here: these tests pin the provider's behaviour that the sign-in tests of
client, server and app rely on (grants, PKCE, refresh and revocation, JWKS and rotation,
device flow answers, crafted tokens).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet

from oidc_provider import ADMIN_ROLE, OIDCProvider

REDIRECT = "http://127.0.0.1:9/callback"


@pytest.fixture(scope="module")
def op() -> Iterator[OIDCProvider]:
    with OIDCProvider() as provider:
        provider.add_user("alice", "pw-alice", claims={"email": "alice@example.org"})
        provider.add_user("root", "pw-root", admin=True)
        provider.add_client("cli", redirect_uris=[REDIRECT])
        provider.add_client("web", secret="web-secret", redirect_uris=[REDIRECT])
        provider.add_client("svc", secret="s3cret", user="svc-bot")
        yield provider


@pytest.fixture
def http(op: OIDCProvider) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=op.issuer, timeout=10) as client:
        yield client


def _password(http: httpx.Client, user: str = "alice", pw: str = "pw-alice", **extra: str):
    data = {"grant_type": "password", "username": user, "password": pw, "client_id": "cli"}
    return http.post("/token", data={**data, **extra})


def _verify(http: httpx.Client, token: str) -> dict[str, Any]:
    keys = KeySet.import_key_set(http.get("/jwks").json())
    return dict(jwt.decode(token, keys, algorithms=["RS256"]).claims)


def _segments(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes]:
    def part(text: str) -> bytes:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

    head, body, sig = token.split(".")
    return json.loads(part(head)), json.loads(part(body)), part(sig)


def test_discovery_names_every_endpoint(op: OIDCProvider, http: httpx.Client) -> None:
    doc = http.get("/.well-known/openid-configuration").json()
    assert doc["issuer"] == op.issuer
    for name in (
        "authorization_endpoint",
        "token_endpoint",
        "device_authorization_endpoint",
        "jwks_uri",
        "userinfo_endpoint",
    ):
        assert doc[name].startswith(op.issuer + "/")
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert {"authorization_code", "refresh_token", "client_credentials", "password"} <= set(
        doc["grant_types_supported"]
    )
    assert "urn:ietf:params:oauth:grant-type:device_code" in doc["grant_types_supported"]


def test_password_grant_token_verifies_against_jwks(op: OIDCProvider, http: httpx.Client) -> None:
    before = op.jwks_requests
    answer = _password(http, scope="openid profile")
    assert answer.status_code == 200
    token = answer.json()
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 300
    claims = _verify(http, token["access_token"])
    assert op.jwks_requests == before + 1
    assert claims["iss"] == op.issuer
    assert claims["sub"] == "alice"
    assert claims["aud"] == "procdeck"
    assert claims["client_id"] == "cli"
    assert claims["scope"] == "openid profile"
    assert claims["email"] == "alice@example.org"
    assert claims["preferred_username"] == "alice"
    assert claims["roles"] == []
    assert claims["nbf"] <= claims["iat"] < claims["exp"]
    assert claims["jti"]
    id_claims = _verify(http, token["id_token"])
    assert id_claims["aud"] == "cli"


def test_admin_users_carry_the_admin_role(http: httpx.Client) -> None:
    claims = _verify(http, _password(http, "root", "pw-root").json()["access_token"])
    assert claims["roles"] == [ADMIN_ROLE]


def test_token_errors_are_rfc6749_json(http: httpx.Client) -> None:
    wrong = _password(http, pw="nope")
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    unknown = http.post("/token", data={"grant_type": "magic", "client_id": "cli"})
    assert unknown.json()["error"] == "unsupported_grant_type"
    bad_secret = http.post(
        "/token", data={"grant_type": "client_credentials"}, auth=("svc", "wrong")
    )
    assert bad_secret.status_code == 401
    assert bad_secret.json()["error"] == "invalid_client"
    public = http.post("/token", data={"grant_type": "client_credentials", "client_id": "cli"})
    assert public.status_code in (400, 401)
    assert public.json()["error"] in ("invalid_client", "unauthorized_client")


def test_client_credentials_token_is_for_the_clients_user(http: httpx.Client) -> None:
    answer = http.post("/token", data={"grant_type": "client_credentials"}, auth=("svc", "s3cret"))
    assert answer.status_code == 200
    token = answer.json()
    assert "refresh_token" not in token
    claims = _verify(http, token["access_token"])
    assert claims["sub"] == "svc-bot"
    assert claims["client_id"] == "svc"
    posted = http.post(
        "/token",
        data={"grant_type": "client_credentials", "client_id": "svc", "client_secret": "s3cret"},
    )
    assert posted.status_code == 200


def test_refresh_works_until_the_users_tokens_are_revoked(
    op: OIDCProvider, http: httpx.Client
) -> None:
    op.add_user("bob", "pw-bob")
    first = _password(http, "bob", "pw-bob").json()
    data = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    again = http.post("/token", data={**data, "client_id": "cli"})
    assert again.status_code == 200
    assert _verify(http, again.json()["access_token"])["sub"] == "bob"
    wrong_client = http.post("/token", data=data, auth=("web", "web-secret"))
    assert wrong_client.json()["error"] == "invalid_grant"
    assert op.revoke_refresh_tokens("bob") >= 1
    refused = http.post("/token", data={**data, "client_id": "cli"})
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant"
    newer = http.post(
        "/token", data={**data, "refresh_token": again.json()["refresh_token"], "client_id": "cli"}
    )
    assert newer.json()["error"] == "invalid_grant"


def test_ttl_and_audience_are_honoured(op: OIDCProvider, http: httpx.Client) -> None:
    op.access_token_ttl, op.audience = 2, "elsewhere"
    try:
        token = _password(http).json()
    finally:
        op.access_token_ttl, op.audience = 300, "procdeck"
    claims = _verify(http, token["access_token"])
    assert token["expires_in"] == 2
    assert claims["exp"] - claims["iat"] == 2
    assert claims["aud"] == "elsewhere"


def test_rotate_key_changes_the_jwks(op: OIDCProvider, http: httpx.Client) -> None:
    old_token = _password(http).json()["access_token"]
    old_kids = {key["kid"] for key in http.get("/jwks").json()["keys"]}
    kid = op.rotate_key()
    jwks = http.get("/jwks").json()
    assert kid not in old_kids
    assert {key["kid"] for key in jwks["keys"]} == old_kids | {kid}
    assert all("d" not in key for key in jwks["keys"])  # public parts only
    new_token = _password(http).json()["access_token"]
    assert _segments(new_token)[0]["kid"] == kid
    assert _verify(http, new_token)["sub"] == "alice"
    assert _verify(http, old_token)["sub"] == "alice"  # old keys stay published


def test_sign_crafts_tokens_for_refusal_tests(op: OIDCProvider, http: httpx.Client) -> None:
    claims = op.access_token_claims("alice", exp=int(time.time()) - 60)
    assert claims["iss"] == op.issuer and claims["email"] == "alice@example.org"
    expired = op.sign(claims)
    assert _verify(http, expired)["exp"] < time.time()  # signature fine, expired
    assert "exp" not in op.access_token_claims("alice", exp=None)

    head, body, sig = _segments(op.sign(claims, alg="none"))
    assert head["alg"] == "none" and body == claims and sig == b""

    confused = op.sign(claims, alg="HS256")
    signing_input = confused.rsplit(".", 1)[0].encode()
    expected = hmac.new(op.public_key_pem(), signing_input, hashlib.sha256).digest()
    assert _segments(confused)[2] == expected

    with pytest.raises(JoseError):
        _verify(http, op.sign(claims, kid="unknown-kid"))
    foreign = ECKey.generate_key("P-256", parameters={"kid": "foreign"})
    forged = op.sign(claims, alg="ES256", key=foreign, headers={"typ": "at+jwt"})
    assert _segments(forged)[0] == {"alg": "ES256", "typ": "at+jwt", "kid": "foreign"}
    with pytest.raises(JoseError):
        _verify(http, forged)
    assert _verify(http, op.issue_access_token("svc-bot"))["sub"] == "svc-bot"


def test_userinfo_answers_the_claims_of_a_bearer_token(http: httpx.Client) -> None:
    token = _password(http).json()["access_token"]
    info = http.get("/userinfo", headers={"Authorization": f"Bearer {token}"})
    assert info.status_code == 200
    assert info.json()["sub"] == "alice"
    assert info.json()["email"] == "alice@example.org"
    refused = http.get("/userinfo", headers={"Authorization": "Bearer nope"})
    assert refused.status_code == 401
    assert "invalid_token" in refused.headers["WWW-Authenticate"]


# -- authorization code + PKCE ------------------------------------------------------------


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _authorize(
    op: OIDCProvider, http: httpx.Client, client_id: str = "cli", **params: str
) -> httpx.Response:
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "scope": "openid email",
        "state": "st-1",
        **params,
    }
    url = f"/authorize?{urlencode(query)}&{urlencode(op.login_url_params('alice', 'pw-alice'))}"
    return http.get(url)


def _code_of(answer: httpx.Response) -> str:
    assert answer.status_code == 302, answer.text
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT)
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == ["st-1"]
    return query["code"][0]


def test_authorization_code_with_pkce(op: OIDCProvider, http: httpx.Client) -> None:
    verifier, challenge = _pkce()
    code = _code_of(
        _authorize(op, http, code_challenge=challenge, code_challenge_method="S256", nonce="n-1")
    )
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": "cli",
        "code_verifier": verifier,
    }
    answer = http.post("/token", data=data)
    assert answer.status_code == 200, answer.text
    token = answer.json()
    assert _verify(http, token["access_token"])["sub"] == "alice"
    assert _verify(http, token["id_token"])["nonce"] == "n-1"
    assert token["refresh_token"]
    reused = http.post("/token", data=data)
    assert reused.json()["error"] == "invalid_grant"


def test_public_clients_must_use_pkce(op: OIDCProvider, http: httpx.Client) -> None:
    refused = _authorize(op, http)
    assert refused.status_code == 302
    assert parse_qs(urlsplit(refused.headers["Location"]).query)["error"] == ["invalid_request"]
    plain = _authorize(op, http, code_challenge="x" * 43, code_challenge_method="plain")
    assert "error=invalid_request" in plain.headers["Location"]

    _, challenge = _pkce()
    base = {"grant_type": "authorization_code", "redirect_uri": REDIRECT, "client_id": "cli"}
    code = _code_of(_authorize(op, http, code_challenge=challenge, code_challenge_method="S256"))
    missing = http.post("/token", data={**base, "code": code})
    assert missing.status_code == 400
    assert missing.json()["error"] == "invalid_request"
    code = _code_of(_authorize(op, http, code_challenge=challenge, code_challenge_method="S256"))
    wrong = http.post("/token", data={**base, "code": code, "code_verifier": _pkce()[0]})
    assert wrong.json()["error"] == "invalid_grant"


def test_confidential_clients_may_skip_pkce(op: OIDCProvider, http: httpx.Client) -> None:
    code = _code_of(_authorize(op, http, client_id="web"))
    answer = http.post(
        "/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
        auth=("web", "web-secret"),
    )
    assert answer.status_code == 200
    assert _verify(http, answer.json()["access_token"])["client_id"] == "web"


def test_authorize_without_login_params_shows_a_form(http: httpx.Client) -> None:
    _, challenge = _pkce()
    query = {
        "response_type": "code",
        "client_id": "cli",
        "redirect_uri": REDIRECT,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "state": "st-1",
    }
    form = http.get(f"/authorize?{urlencode(query)}")
    assert form.status_code == 200
    assert "<form" in form.text and 'type="password"' in form.text
    login = {"login_username": "alice", "login_password": "pw-alice", "action": "approve"}
    posted = http.post("/authorize", data={**query, **login})
    assert _code_of(posted)
    wrong = http.post("/authorize", data={**query, **login, "login_password": "nope"})
    assert wrong.status_code == 401
    assert "pw-alice" not in wrong.text
    denied = http.post("/authorize", data={**query, "action": "deny"})
    assert "error=access_denied" in denied.headers["Location"]
    unknown = http.get("/authorize?" + urlencode({**query, "redirect_uri": "http://evil/"}))
    assert unknown.status_code == 400  # never redirected to an unregistered URI


# -- device code ------------------------------------------------------------------------------

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def _start_device(http: httpx.Client) -> dict[str, Any]:
    answer = http.post("/device_authorization", data={"client_id": "cli", "scope": "openid"})
    assert answer.status_code == 200
    return answer.json()


def _poll(http: httpx.Client, device: dict[str, Any]) -> httpx.Response:
    data = {"grant_type": DEVICE_GRANT, "device_code": device["device_code"], "client_id": "cli"}
    return http.post("/token", data=data)


def test_device_flow_approved(op: OIDCProvider, http: httpx.Client) -> None:
    device = _start_device(http)
    assert device["interval"] == 1
    assert device["expires_in"] == 600
    assert device["verification_uri"] == op.issuer + "/device"
    assert device["verification_uri_complete"].endswith("user_code=" + device["user_code"])
    pending = _poll(http, device)
    assert pending.status_code == 400
    assert pending.json()["error"] == "authorization_pending"
    assert _poll(http, device).json()["error"] == "slow_down"  # polled at once
    op.approve_device(device["user_code"], "alice")
    time.sleep(device["interval"])
    answer = _poll(http, device)
    assert answer.status_code == 200, answer.text
    token = answer.json()
    assert _verify(http, token["access_token"])["sub"] == "alice"
    assert token["refresh_token"] and token["id_token"]
    assert _poll(http, device).json()["error"] == "invalid_grant"  # one answer per code


def test_device_flow_denied_expired_and_interval(op: OIDCProvider, http: httpx.Client) -> None:
    denied = _start_device(http)
    op.deny_device(denied["user_code"])
    assert _poll(http, denied).json()["error"] == "access_denied"
    expired = _start_device(http)
    op.expire_device(expired["user_code"])
    assert _poll(http, expired).json()["error"] == "expired_token"
    with pytest.raises(KeyError):
        op.approve_device("NOPE-NOPE", "alice")
    op.device_interval = 3
    try:
        assert _start_device(http)["interval"] == 3
    finally:
        op.device_interval = 1


def test_device_verification_page(op: OIDCProvider, http: httpx.Client) -> None:
    device = _start_device(http)
    page = http.get(device["verification_uri_complete"])
    assert page.status_code == 200 and device["user_code"] in page.text
    login = {"user_code": device["user_code"], "login_username": "alice"}
    wrong = http.post("/device", data={**login, "login_password": "nope", "action": "approve"})
    assert wrong.status_code == 401
    ok = http.post("/device", data={**login, "login_password": "pw-alice", "action": "approve"})
    assert ok.status_code == 200
    assert _poll(http, device).status_code == 200
