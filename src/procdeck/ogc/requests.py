"""The execute request: from what a caller gives to the standard JSON body, in one place.

The body of ``POST /processes/{id}/execution`` has four members, ``inputs``,
``outputs``, ``response`` and ``subscriber`` (:data:`EXECUTE_MEMBERS`). Two doors
lead to it:

- :func:`request_document`, lenient, for what a person means (the client's
  ``execute_process`` and the app's record of what it ran): a
  :class:`~procdeck.ogc.models.ProcessRequest`, a mapping, any pydantic model or
  keyword arguments; every key that is not a standard member is an *input*.
- :func:`execute_document`, strict, for what arrives on the wire (the server's
  execute route): a JSON object with the standard members only, so a typo is
  refused rather than taken as an input. One non-standard member is still
  accepted for compatibility: ``"mode": "async"`` (from drafts of the standard,
  still sent by older clients) asks for asynchronous execution like
  ``Prefer: respond-async``; it is taken out of the document.

A request :func:`request_document` makes passes :func:`execute_document`
unchanged, so client and server agree on what was asked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from procdeck.ogc.models import ProcessRequest, ResponseType, describe_validation_error
from procdeck.ogc.vocabulary import EXECUTE_MEMBERS

__all__ = [
    "LEGACY_MODE_MEMBER",
    "ExecuteBody",
    "RequestError",
    "execute_document",
    "request_document",
]

LEGACY_MODE_MEMBER = "mode"
"""The pre-1.0 member ``"mode": "async" | "sync" | "auto"``; only ``"async"`` changes anything."""

_MESSAGE_LIMIT = 300


class RequestError(ValueError):
    """An execute request that cannot be made into the standard body (the message says why)."""


# -- lenient: what a person means ---------------------------------------------------------------


def request_document(request: Any = None, /, **members: Any) -> dict[str, Any]:
    """The standard execute body for ``request`` plus ``members``.

    ``request`` is None, a :class:`ProcessRequest`, a mapping or another
    pydantic model (dumped by alias); ``members`` are more of the same
    (``subscriber=...``, ``outputs=...``, or inputs such as ``duration=2``).
    Keys other than the four standard members are inputs. A member given on
    both sides must agree; an input may be given only once. Raises
    :class:`RequestError` for anything that is not a valid request.
    """
    document = _as_model(request).to_dict()
    if not members:
        return document
    extra = _validated(members).to_dict()
    inputs = document.get("inputs") or {}
    overlap = sorted(set(inputs) & set(extra.get("inputs") or {}))
    if overlap:
        raise RequestError(f"input(s) {overlap} given twice")
    for name in sorted(EXECUTE_MEMBERS - {"inputs"}):
        if name in extra and document.get(name) not in (None, extra[name]):
            raise RequestError(f"the request already has a different {name}")
    return {**document, **extra, "inputs": {**inputs, **(extra.get("inputs") or {})}}


def _as_model(request: Any) -> ProcessRequest:
    if request is None:
        return ProcessRequest()
    if isinstance(request, ProcessRequest):
        return request
    if isinstance(request, Mapping):
        return _validated(dict(request))
    if isinstance(request, BaseModel):
        return _validated(request.model_dump(mode="json", by_alias=True))
    raise RequestError(
        f"request must be a ProcessRequest or a dict, not {type(request).__name__}"
    )


def _validated(data: dict[str, Any]) -> ProcessRequest:
    try:
        return ProcessRequest.model_validate(data)
    except ValidationError as exc:
        raise RequestError(_invalid(exc)) from None
    except (TypeError, ValueError) as exc:  # e.g. a subscriber that is not a mapping
        raise RequestError(f"invalid execute request: {exc}") from None


def _invalid(exc: ValidationError) -> str:
    """The problems, named after the one standard member they are all in, if they are."""
    places = {str(error["loc"][0]) for error in exc.errors() if error["loc"]}
    if len(places) == 1 and (member := places.pop()) in EXECUTE_MEMBERS - {"inputs"}:
        return f"invalid {member}: {describe_validation_error(exc, skip=1)}"
    return f"invalid execute request: {describe_validation_error(exc)}"


# -- strict: what arrives on the wire -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExecuteBody:
    """An execute request as received: the standard ``document`` and what the legacy mode asked.

    ``document`` holds the standard members only (each as sent: the server
    checks inputs, outputs and subscriber against the process itself).
    ``asks_async`` is True when the body said ``"mode": "async"``.
    """

    document: dict[str, Any]
    asks_async: bool = False


def execute_document(body: Any) -> ExecuteBody:
    """The execute request in ``body`` (parsed JSON, or None for an empty body), checked.

    Raises :class:`RequestError` when it is not a JSON object, has members
    other than the standard ones (and ``mode``), an ``inputs`` that is not an
    object, or a ``response`` other than ``raw`` and ``document``.
    """
    if body is None:
        return ExecuteBody({})
    if not isinstance(body, dict):
        raise RequestError("The execute request must be a JSON object")
    unknown = body.keys() - EXECUTE_MEMBERS - {LEGACY_MODE_MEMBER}
    if unknown:
        raise RequestError(
            f"Unknown member(s) {_short(str(sorted(unknown)))} in the execute request; "
            "inputs go under 'inputs'"
        )
    if not isinstance(body.get("inputs", {}), dict):
        raise RequestError("'inputs' must be an object")
    if body.get("response", ResponseType.RAW) not in tuple(ResponseType):
        raise RequestError("'response' must be 'raw' or 'document'")
    document = {k: v for k, v in body.items() if k != LEGACY_MODE_MEMBER}
    return ExecuteBody(document, body.get(LEGACY_MODE_MEMBER) == "async")


def _short(text: str) -> str:
    # the unknown names are the sender's: a huge list must not make a huge answer
    return text if len(text) <= _MESSAGE_LIMIT else text[:_MESSAGE_LIMIT] + "..."
