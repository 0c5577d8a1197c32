"""Turning HTTP answers into models or :class:`ClientError` subclasses.

Lenient with what servers send (wrong content types, non-standard fields,
results as raw bodies or ``Link`` headers), but every failure ends up as one of
procdeck's exceptions with a message that names the URL and what went wrong.
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import html
import json
import os
import re
import socket
from http import HTTPStatus
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

import httpx
from pydantic import BaseModel, ValidationError

from procdeck._util.urls import mask_url
from procdeck.client._protocol import Call
from procdeck.client.errors import (
    AuthenticationError,
    BadRequestError,
    ClientError,
    ConnectionFailedError,
    HTTPStatusError,
    InvalidResponseError,
    NoSuchJobError,
    NoSuchProcessError,
    NotFoundError,
    RequestTimeoutError,
    ResultNotReadyError,
    ServerError,
)
from procdeck.ogc.models import ApiError, JobResults, describe_validation_error
from procdeck.ogc.vocabulary import MEDIA_JSON, REL_MONITOR

M = TypeVar("M", bound=BaseModel)

_SUMMARY_LENGTH = 200
CHUNK_SIZE = 1 << 20
"""Bytes per read while streaming a body to a file or a size-limited buffer."""
_OGC_EXCEPTIONS: dict[str, type[NotFoundError]] = {
    "no-such-process": NoSuchProcessError,
    "no-such-job": NoSuchJobError,
    "result-not-ready": ResultNotReadyError,
}


# -- URLs and messages ------------------------------------------------------------------------


def where(call: Call) -> str:
    """``METHOD url`` of a call, for messages."""
    return f"{call.method} {mask_url(call.display_url)}"


def summarise_text(text: str, limit: int = _SUMMARY_LENGTH) -> str:
    """One line of at most ``limit`` characters."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


_TITLE_RE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_DROP_RE = re.compile(r"<(script|style|head)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG_RE = re.compile(r"<[^>]+>")


def summarise_html(page: str) -> str:
    """The title and the start of the visible text of an HTML page, on one line."""
    title_match = _TITLE_RE.search(page)
    title = html.unescape(" ".join(title_match.group(1).split())) if title_match else ""
    text = html.unescape(_TAG_RE.sub(" ", _DROP_RE.sub(" ", page)))
    text = " ".join(text.split())
    if title and text.startswith(title):
        text = text[len(title) :].strip()
    summary = f"{title}: {text}" if title and text else title or text
    return summarise_text(summary or "empty page")


# -- content inspection -----------------------------------------------------------------------


def media_type(response: httpx.Response) -> str:
    """The response's media type, lower case, without parameters."""
    return response.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def is_json_type(kind: str) -> bool:
    return kind == MEDIA_JSON or kind.endswith("+json") or kind == "text/json"


def _looks_like_markup(content: bytes) -> bool:
    return content.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<"


def _check_complete(call: Call, response: httpx.Response) -> None:
    # A real transport reports a short read itself; this catches proxies and test transports
    # that hand over fewer bytes than they announced.
    declared = response.headers.get("content-length")
    if declared is None or response.headers.get("content-encoding"):
        return
    try:
        expected = int(declared)
    except ValueError:
        return
    if len(response.content) < expected:
        raise InvalidResponseError(
            f"{where(call)}: truncated body (got {len(response.content)} of {expected} bytes)",
            url=str(call.url),
            status=response.status_code,
        )


def _not_json_error(call: Call, response: httpx.Response, expected: str) -> InvalidResponseError:
    kind = media_type(response)
    content = response.content
    head = content[:2048].lower()
    if "html" in kind or (
        _looks_like_markup(content) and (b"<html" in head or b"<!doctype" in head)
    ):
        found = f"an HTML page ({summarise_html(response.text)})"
    else:
        found = f"{kind or 'a body without content type'} ({summarise_text(response.text)})"
    return InvalidResponseError(
        f"{where(call)}: expected {expected} as JSON but the server sent {found}",
        url=str(call.url),
        status=response.status_code,
    )


def read_json(call: Call, response: httpx.Response, expected: str = "a document") -> Any:
    """The response body as JSON, or :class:`InvalidResponseError` saying why not."""
    _check_complete(call, response)
    content = response.content
    if not content.strip():
        raise InvalidResponseError(
            f"{where(call)}: empty body where {expected} was expected",
            url=str(call.url),
            status=response.status_code,
        )
    if _looks_like_markup(content):
        raise _not_json_error(call, response, expected)
    try:
        return json.loads(content)
    except (ValueError, UnicodeDecodeError) as exc:
        if not is_json_type(media_type(response)) and content.lstrip()[:1] not in (b"{", b"["):
            raise _not_json_error(call, response, expected) from None
        raise InvalidResponseError(
            f"{where(call)}: malformed JSON in {expected} ({exc})",
            url=str(call.url),
            status=response.status_code,
        ) from None


def parse_document(
    call: Call,
    response: httpx.Response,
    model: type[M],
    coerce: Any = None,
) -> M:
    """Validate the JSON body as ``model``.

    The fast path lets pydantic parse the bytes directly; only when that fails
    is the body decoded to explain why, and ``coerce`` (a function from the
    decoded JSON to a fixed-up value, e.g. a bare list wrapped in ``{"jobs": ...}``)
    gets a chance to rescue a non-standard but understandable document.
    """
    name = model.__name__
    _check_complete(call, response)
    try:
        return model.model_validate_json(response.content)
    except ValidationError as exc:
        error = exc
        json_broken = any(item["type"] == "json_invalid" for item in exc.errors())
    # Decode to explain the failure; raises the precise error for HTML, empty or malformed bodies.
    data = read_json(call, response, f"a {name} document")
    candidates = [data] if json_broken else []
    if coerce is not None:
        fixed = coerce(data)
        if fixed is not data:
            candidates.append(fixed)
    for candidate in candidates:
        try:
            return model.model_validate(candidate)
        except ValidationError as exc:
            error = exc
    raise InvalidResponseError(
        f"{where(call)}: the server's {name} document does not fit the standard: "
        f"{describe_validation_error(error)}",
        url=str(call.url),
        status=response.status_code,
    )


# -- HTTP errors ------------------------------------------------------------------------------


def _problem_text(value: Any) -> str | None:
    """A problem member as text: FastAPI's 422 ``detail`` is a list of errors, for instance."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(item, dict) for item in value):
        parts = []
        for item in value:
            loc = item.get("loc")
            where_ = ".".join(str(p) for p in loc) if isinstance(loc, list | tuple) else None
            message = item.get("msg") or item.get("message") or json.dumps(item, default=str)
            parts.append(f"{where_}: {message}" if where_ else str(message))
        return "; ".join(parts)
    return json.dumps(value, default=str)


def _parse_problem(response: httpx.Response) -> tuple[ApiError | None, str | None]:
    """The RFC 7807 problem (if the body is one) and the server traceback (if sent)."""
    content = response.content
    if not content.strip() or _looks_like_markup(content):
        return None, None
    try:
        data = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return None, None
    if not isinstance(data, dict):
        return None, None
    fields = {key: _problem_text(data.get(key)) for key in ("type", "title", "detail", "instance")}
    status = data.get("status")
    extras = {k: v for k, v in data.items() if k not in fields and k != "status"}
    problem = ApiError(
        **{k: v for k, v in fields.items() if v is not None},
        status=status if isinstance(status, int) else None,
        **extras,
    )
    traceback = data.get("traceback")
    if isinstance(traceback, list):
        traceback = "".join(str(line) for line in traceback)
    elif traceback is not None and not isinstance(traceback, str):
        traceback = json.dumps(traceback, default=str)
    return problem, traceback


def _error_class(
    status: int, problem_type: str | None, not_found: type[NotFoundError]
) -> type[HTTPStatusError]:
    if problem_type:
        tail = problem_type.rstrip("/").rsplit("/", 1)[-1].lower()
        if tail in _OGC_EXCEPTIONS:
            return _OGC_EXCEPTIONS[tail]
    if status in (400, 422):
        return BadRequestError
    if status in (401, 403):
        return AuthenticationError
    if status == 404:
        return not_found
    if status >= 500:
        return ServerError
    return HTTPStatusError


def status_error(
    call: Call, response: httpx.Response, not_found: type[NotFoundError] = NotFoundError
) -> HTTPStatusError:
    """The exception for a 4xx/5xx answer, with the RFC 7807 fields when the body has them."""
    status = response.status_code
    try:
        reason = response.reason_phrase or HTTPStatus(status).phrase
    except ValueError:
        reason = ""
    problem, traceback = _parse_problem(response)
    if problem is not None and (problem.title or problem.detail):
        texts = [t for t in (problem.title, problem.detail) if t]
        if len(texts) == 2 and texts[0].strip().lower() == texts[1].strip().lower():
            texts = texts[:1]
        what = ": ".join(summarise_text(t, 300) for t in texts)
    elif not response.content.strip():
        what = "no details given"
    elif "html" in media_type(response) or _looks_like_markup(response.content):
        what = f"HTML page: {summarise_html(response.text)}"
    else:
        what = summarise_text(response.text)
    cls = _error_class(status, problem.type if problem else None, not_found)
    return cls(
        f"{where(call)} failed with {status} {reason}".rstrip() + f": {what}",
        url=str(call.url),
        status=status,
        problem=problem,
        traceback=traceback,
    )


def raise_for_status(
    call: Call, response: httpx.Response, not_found: type[NotFoundError] = NotFoundError
) -> None:
    """Raise the matching :class:`HTTPStatusError` for a 4xx/5xx answer."""
    if response.status_code >= 400:
        raise status_error(call, response, not_found)


# -- transport errors -------------------------------------------------------------------------


def _os_reason(exc: BaseException) -> str | None:
    """The operating system's words for the failure under ``exc`` ("Connection refused")."""
    seen = 0
    current: BaseException | None = exc
    reason = None
    while current is not None and seen < 10:
        if isinstance(current, socket.gaierror) and current.strerror:
            reason = current.strerror
        elif isinstance(current, OSError) and current.errno and current.errno > 0:
            reason = os.strerror(current.errno)
        current = current.__cause__ or current.__context__
        seen += 1
    return reason


_SAFE_METHODS = frozenset({"GET", "HEAD"})


def send_again(call: Call, exc: Exception) -> bool:
    """True when ``call`` may be sent once more after ``exc``: a GET or HEAD whose
    pooled connection the server closed before answering (its keep-alive ran out
    as the request left). Nothing else is repeated: an execute request must not
    start a second job."""
    return (
        call.method in _SAFE_METHODS
        and isinstance(exc, httpx.RemoteProtocolError)
        and "without sending a response" in str(exc)
    )


def transport_error(call: Call, exc: Exception) -> ClientError:
    """The procdeck exception for an httpx transport failure."""
    url = str(call.url)
    detail = _os_reason(exc) or str(exc) or type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        phase = {
            httpx.ConnectTimeout: "connecting",
            httpx.ReadTimeout: "waiting for the answer",
            httpx.WriteTimeout: "sending the request",
            httpx.PoolTimeout: "waiting for a free connection",
        }.get(type(exc), "waiting")
        return RequestTimeoutError(f"{where(call)}: timed out while {phase}", url=url)
    if isinstance(exc, httpx.RemoteProtocolError) and "message body" in detail:
        return InvalidResponseError(
            f"{where(call)}: truncated body, the connection closed mid-answer ({detail})", url=url
        )
    if isinstance(exc, httpx.ConnectError):
        return ConnectionFailedError(
            f"{where(call)}: cannot connect to the server ({detail})", url=url
        )
    if isinstance(exc, httpx.TransportError | httpx.InvalidURL):
        return ConnectionFailedError(f"{where(call)}: connection failed ({detail})", url=url)
    if isinstance(exc, httpx.DecodingError | httpx.TooManyRedirects):
        return InvalidResponseError(f"{where(call)}: unusable answer ({detail})", url=url)
    return ClientError(f"{where(call)}: request failed ({detail})", url=url)


# -- execution answers ------------------------------------------------------------------------


def job_id_from_location(location: str | None) -> str | None:
    """The job id in a ``Location`` header such as ``/jobs/job_7`` or ``.../jobs/job_7/``."""
    if not location:
        return None
    segments = [unquote(s) for s in urlsplit(location).path.split("/") if s]
    if not segments:
        return None
    if "jobs" in segments:
        index = len(segments) - 1 - segments[::-1].index("jobs")
        if index + 1 < len(segments):
            return segments[index + 1]
    return segments[-1]


def looks_like_status(data: Any) -> bool:
    """True when a JSON value is a job status document rather than results."""
    return (
        isinstance(data, dict)
        and isinstance(data.get("status"), str)
        and any(key in data for key in ("jobID", "jobId", "id"))
    )


_LINK_RE = re.compile(r"<([^>]*)>([^<]*)")
_PARAM_RE = re.compile(r';\s*([\w*.-]+)\s*=\s*(?:"([^"]*)"|([^;,\s]*))')


def parse_link_header(response: httpx.Response) -> list[dict[str, str]]:
    """Every link of the response's ``Link`` headers, hrefs made absolute."""
    links = []
    for header in response.headers.get_list("link"):
        for match in _LINK_RE.finditer(header):
            link = {"href": str(response.url.join(match.group(1).strip()))}
            for key, quoted, bare in _PARAM_RE.findall(match.group(2)):
                link[key.lower()] = quoted or bare
            links.append(link)
    return links


def link_results(response: httpx.Response) -> JobResults:
    """Results announced as ``Link`` headers (a 204 answer): one entry per link."""
    results: dict[str, Any] = {}
    links = [link for link in parse_link_header(response) if link.get("rel") != REL_MONITOR]
    for number, link in enumerate(links, start=1):  # "monitor" is the job, not a result
        rel = link.get("rel", "")
        name = link.get("title") or (rel if rel and ":" not in rel and "/" not in rel else "")
        name = name or f"result_{number}"
        key, suffix = name, 2
        while key in results:
            key, suffix = f"{name}_{suffix}", suffix + 1
        results[key] = link
    return JobResults(results)


def _raw_value(content: bytes, kind: str, charset: str | None = None) -> Any:
    """One raw output as a results-document value: JSON as itself, text or bytes qualified."""
    if kind.startswith("text/") or kind == "application/xml":
        return {"value": content.decode(charset or "utf-8", "replace"), "mediaType": kind}
    return {
        "value": base64.b64encode(content).decode("ascii"),
        "mediaType": kind or "application/octet-stream",
        "encoding": "base64",
    }


def is_multipart(response: httpx.Response) -> bool:
    """Whether the body is ``multipart/related`` (several raw outputs)."""
    return media_type(response).startswith("multipart/")


def multipart_results(call: Call, response: httpx.Response) -> JobResults:
    """Several raw outputs (``multipart/related``), keyed by each part's ``Content-ID``.

    A JSON part is its value; a text or binary part a qualified value; an
    empty part with ``Content-Location`` (an output by reference) a link.
    """
    _check_complete(call, response)
    head = f"Content-Type: {response.headers.get('content-type', '')}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        head + response.content
    )
    if not message.is_multipart():
        raise InvalidResponseError(
            f"{where(call)}: a multipart body without parts (no boundary?)",
            url=str(call.url), status=response.status_code,
        )
    results: dict[str, Any] = {}
    for number, part in enumerate(message.iter_parts(), start=1):
        name = str(part.get("content-id") or "").strip().strip("<>") or f"result_{number}"
        kind = part.get_content_type().lower()
        payload = part.get_payload(decode=True) or b""
        location = part.get("content-location")
        if location and not payload:
            results[name] = {"href": str(response.url.join(str(location))), "type": kind}
        elif is_json_type(kind):
            try:
                results[name] = json.loads(payload)
            except ValueError as exc:
                raise InvalidResponseError(
                    f"{where(call)}: part {name!r} is not valid JSON: {exc}",
                    url=str(call.url), status=response.status_code,
                ) from None
        else:
            results[name] = _raw_value(payload, kind, part.get_content_charset())
    return JobResults(results)


def body_results(call: Call, response: httpx.Response, output_id: str | None = None) -> JobResults:
    """Results sent as a body: a results document, or one raw output value."""
    _check_complete(call, response)
    content = response.content
    if not content:
        return JobResults({})
    if is_multipart(response):
        return multipart_results(call, response)
    kind = media_type(response)
    key = output_id or "result"
    if is_json_type(kind) or (not kind and content.lstrip()[:1] in (b"{", b"[")):
        data = read_json(call, response, "results")
        return JobResults(data if isinstance(data, dict) else {key: data})
    return JobResults({key: _raw_value(content, kind, response.charset_encoding)})
