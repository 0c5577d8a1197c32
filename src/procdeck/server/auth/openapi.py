"""The served OpenAPI document names the sign-in methods a server accepts."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["document_sign_in"]

_PROBLEM_JSON = "application/problem+json"
_API_ERROR_REF = {"$ref": "#/components/schemas/ApiError"}


def document_sign_in(schema: dict[str, Any], *, token: bool, api_key_header: str | None,
                     oidc_discovery: str | None, public_paths: Iterable[str]) -> None:
    """Put the security schemes in ``schema`` and let each guarded operation name them.

    ``token``: the shared token (``--token-file``); ``api_key_header``: API
    keys are accepted in that header (and as bearer tokens);
    ``oidc_discovery``: the provider's discovery URL (JWT or opaque access
    tokens as bearer tokens). Alternatives: any one scheme suffices. Nothing
    changes when no method is configured.
    """
    schemes: dict[str, dict[str, Any]] = {}
    bearer_kinds = []
    if token:
        bearer_kinds.append("the token of `procdeck serve --token-file`")
    if api_key_header:
        bearer_kinds.append("an API key")
    if oidc_discovery:
        bearer_kinds.append("an access token of the OpenID Connect provider")
    if not bearer_kinds:
        return
    schemes["bearerAuth"] = {"type": "http", "scheme": "bearer",
                             "description": "Bearer token: " + ", or ".join(bearer_kinds)}
    if api_key_header:
        schemes["apiKeyAuth"] = {"type": "apiKey", "in": "header", "name": api_key_header,
                                 "description": "An API key of `procdeck api-key add`"}
    if oidc_discovery:
        schemes["openIdConnect"] = {"type": "openIdConnect",
                                    "openIdConnectUrl": oidc_discovery}
        # JWT access tokens are sent as bearer tokens: bearerFormat says so.
        schemes["bearerAuth"]["bearerFormat"] = "JWT"
    requirement = [{name: []} for name in schemes]
    public = set(public_paths)
    for path, operations in schema.get("paths", {}).items():
        if path in public:
            continue
        for operation in operations.values():
            operation["security"] = requirement
            responses = operation.setdefault("responses", {})
            responses["401"] = _problem("Missing or refused credentials")
            if oidc_discovery:
                responses.setdefault("503", _problem("The identity provider does not answer"))
    schema.setdefault("components", {}).setdefault("securitySchemes", {}).update(schemes)


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {_PROBLEM_JSON: {"schema": _API_ERROR_REF}}}
