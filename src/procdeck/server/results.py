"""How a finished job's outputs are sent: results document, raw values, multipart, links.

A job's outputs are stored as JSON-able values by output id (what the
process function returned). What a client receives depends on its execute
request, for synchronous answers and for ``GET /jobs/{id}/results`` alike
(OGC API - Processes 1.0, 18-062r2):

- ``response: "document"`` (/req/core/process-execute-sync-document,
  /req/core/job-results-async-document): a results document, output id ->
  inline value, qualified value or link. An object value is sent qualified,
  ``{"value": {...}, "mediaType": "application/json"}``, since ``results.yaml``
  allows no bare objects (bounding boxes and link objects excepted).
- ``response: "raw"`` (the standard's default), one output by value
  (/req/core/process-execute-sync-raw-value-one, job-results-async-raw-value-one):
  the value itself, in the output's media type.
- raw, several outputs (/req/core/process-execute-sync-raw-value-multi,
  raw-mixed-multi): ``multipart/related``, one part per output named by
  ``Content-ID``; an output by reference is an empty part whose
  ``Content-Location`` is its URL.
- raw, every output by reference (/req/core/process-execute-sync-raw-ref,
  job-results-async-raw-ref): 204 with one ``Link`` header per output.

An output whose stored value is a link (a file the process wrote, see
``JobContext.file_link``) is by reference by nature: in raw answers it is a
``Link`` header or an empty part pointing at the link's own ``href``.

An output by reference (``"transmissionMode": "reference"``) points to
``/jobs/{id}/results/{outputId}``, which serves that output's raw value.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from procdeck.ogc.vocabulary import EXC_NO_SUCH_OUTPUT, MEDIA_JSON, REL_ITEM
from procdeck.server.errors import ProblemError

__all__ = [
    "JSON",
    "RenderedResults",
    "ResultsRequest",
    "inline_value",
    "one_output",
    "output_media_type",
    "raw_output",
    "render_results",
]

JSON = MEDIA_JSON
DEFAULT_RESPONSE = "raw"
"""The standard's default ``response`` (execute.yaml)."""

_QUALIFIED_MEMBERS = frozenset({"value", "mediaType", "encoding", "schema"})

Transmission = Literal["value", "reference"]


@dataclass(frozen=True)
class ResultsRequest:
    """What an execute request asks of its results: the form and the outputs."""

    response: str = DEFAULT_RESPONSE
    """``"raw"`` or ``"document"``."""
    outputs: tuple[tuple[str, Transmission], ...] | None = None
    """The requested outputs with their transmission mode; None: every output, by value."""

    @classmethod
    def of(cls, document: Mapping[str, Any] | None) -> ResultsRequest:
        """The results part of a (checked) execute request document."""
        if not document:
            return cls()
        outputs = document.get("outputs")
        chosen: tuple[tuple[str, Transmission], ...] | None = None
        if isinstance(outputs, Mapping):
            chosen = tuple(
                (name, "reference" if isinstance(spec, Mapping)
                 and spec.get("transmissionMode") == "reference" else "value")
                for name, spec in outputs.items()
            )
        return cls(str(document.get("response") or DEFAULT_RESPONSE), chosen)

    @classmethod
    def of_text(cls, text: str | None) -> ResultsRequest:
        """The results part of a stored execute request (JSON text); defaults when unreadable."""
        if not text:
            return cls()
        try:
            document = json.loads(text)
        except ValueError:
            return cls()
        return cls.of(document if isinstance(document, Mapping) else None)


@dataclass(frozen=True)
class RenderedResults:
    """A results answer ready to send: status, body, media type, extra headers."""

    status: int
    body: bytes
    media_type: str | None
    headers: tuple[tuple[str, str], ...] = ()


def output_media_type(output: Mapping[str, Any] | None) -> str:
    """The media type an output's raw value is sent in (``contentMediaType``, else JSON)."""
    schema = (output or {}).get("schema")
    if isinstance(schema, Mapping):
        media = schema.get("contentMediaType")
        if isinstance(media, str) and media:
            return media
    return JSON


def _is_link(value: Mapping[str, Any]) -> bool:
    # link.yaml requires href and allows further members; "value" would make it qualified
    return isinstance(value.get("href"), str) and "value" not in value


def _is_bbox(value: Mapping[str, Any]) -> bool:
    return isinstance(value.get("bbox"), list) and value.keys() <= {"bbox", "crs"}


def _without_nulls(value: Mapping[str, Any]) -> dict[str, Any]:
    # link.yaml and bbox.yaml type their members: null is not allowed
    return {k: v for k, v in value.items() if v is not None}


def _is_qualified(value: Mapping[str, Any]) -> bool:
    return "value" in value and value.keys() <= _QUALIFIED_MEMBERS


def inline_value(value: Any, media_type: str = JSON) -> Any:
    """An output value as a results document carries it (/req/core/job-results-async-document).

    Strings, numbers, booleans and arrays as themselves; a link or a bounding
    box as an object of its own kind (``null`` members left out, which
    ``link.yaml`` does not allow); any other object as a qualified value.
    """
    if not isinstance(value, Mapping):
        return value
    if _is_link(value) or _is_bbox(value):
        return _without_nulls(value)
    if _is_qualified(value):
        return dict(value)
    return {"value": dict(value), "mediaType": media_type}


def raw_output(value: Any, output: Mapping[str, Any] | None) -> tuple[bytes, str]:
    """One output's raw body and media type.

    JSON unless the output's schema names a ``contentMediaType``: then a
    string value is the content itself (base64-decoded when the schema says
    ``contentEncoding: base64``), and another value of a JSON media type
    (``application/geo+json``...) is JSON sent as that type. A link is a link (JSON).
    """
    media = output_media_type(output)
    if isinstance(value, Mapping) and _is_qualified(value):
        media = str(value.get("mediaType") or media)
        value = value["value"]
    if media != JSON and isinstance(value, str):
        schema = (output or {}).get("schema") or {}
        if schema.get("contentEncoding") == "base64":
            # not base64 after all: sent as the text it is
            with contextlib.suppress(binascii.Error, ValueError):
                return base64.b64decode(value, validate=True), media
        return value.encode("utf-8"), media
    if isinstance(value, Mapping) and _is_link(value):
        return json.dumps(_without_nulls(value)).encode("utf-8"), JSON
    # a JSON value of a JSON media type (GeoJSON...) keeps its type
    return json.dumps(value).encode("utf-8"), media if _is_json_media(media) else JSON


def _is_json_media(media: str) -> bool:
    base = media.split(";", 1)[0].strip().lower()
    return base == JSON or base.endswith("+json")


def _link_header(href: str, output_id: str, media: str) -> str:
    return f'<{href}>; rel="{REL_ITEM}"; type="{media}"; title="{output_id}"'


def _multipart(parts: list[tuple[str, bytes | None, str, str]]) -> tuple[bytes, str]:
    """``multipart/related`` of (output id, body or None for a reference, media type, url)."""
    boundary = f"procdeck-{uuid.uuid4().hex}"
    chunks: list[bytes] = []
    for output_id, body, media, url in parts:
        head = [f"--{boundary}", f"Content-ID: <{output_id}>"]
        if body is None:
            head += [f"Content-Type: {media}", f"Content-Location: {url}", "Content-Length: 0"]
        else:
            head += [f"Content-Type: {media}", f"Content-Length: {len(body)}"]
        chunks.append(("\r\n".join(head) + "\r\n\r\n").encode("ascii"))
        chunks.append((body or b"") + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode("ascii"))
    first = parts[0][2] if parts else JSON
    return b"".join(chunks), f'multipart/related; boundary="{boundary}"; type="{first}"'


def render_results(
    outputs: Mapping[str, Any],
    descriptions: Mapping[str, Any],
    request: ResultsRequest,
    job_url: str,
) -> RenderedResults:
    """The answer carrying a job's ``outputs`` as ``request`` asks (see the module text).

    ``descriptions`` are the process's output descriptions (for media types);
    ``job_url`` is the job's absolute URL (references point below it).
    """
    if request.outputs is None:
        chosen: list[tuple[str, Transmission]] = [(name, "value") for name in outputs]
    else:
        chosen = [(name, mode) for name, mode in request.outputs if name in outputs]

    def url(name: str) -> str:
        return f"{job_url}/results/{name}"

    def media(name: str) -> str:
        return output_media_type(descriptions.get(name))

    def stored_link(name: str) -> dict[str, Any] | None:
        value = outputs[name]
        if isinstance(value, Mapping) and _is_link(value):
            return _without_nulls(value)
        return None

    def reference(name: str) -> tuple[str, str]:
        """Where an output by reference is, and its media type: a stored link is its own."""
        link = stored_link(name)
        if link is not None:
            return str(link["href"]), str(link.get("type") or media(name))
        return url(name), media(name)

    if request.response == "document":
        document: dict[str, Any] = {}
        for name, mode in chosen:
            if mode != "reference":
                document[name] = inline_value(outputs[name], media(name))
                continue
            href, kind = reference(name)
            document[name] = {"href": href, "rel": REL_ITEM, "type": kind,
                              "title": name} | (stored_link(name) or {})
        return RenderedResults(200, json.dumps(document).encode("utf-8"), JSON)
    # raw: a stored link (a file the process wrote) is an output by reference by nature
    by_reference = {name for name, mode in chosen
                    if mode == "reference" or stored_link(name) is not None}
    if chosen and len(by_reference) == len(chosen):
        headers = tuple(("Link", _link_header(href, name, kind))
                        for name, _ in chosen for href, kind in [reference(name)])
        return RenderedResults(204, b"", None, headers)
    if len(chosen) == 1:
        name = chosen[0][0]
        body, kind = raw_output(outputs[name], descriptions.get(name))
        return RenderedResults(200, body, kind)
    parts: list[tuple[str, bytes | None, str, str]] = []
    for name, _mode in chosen:
        if name in by_reference:
            href, kind = reference(name)
            parts.append((name, None, kind, href))
        else:
            body, kind = raw_output(outputs[name], descriptions.get(name))
            parts.append((name, body, kind, url(name)))
    body, kind = _multipart(parts)
    return RenderedResults(200, body, kind)


def one_output(outputs: Mapping[str, Any], descriptions: Mapping[str, Any],
               output_id: str, job_id: str) -> RenderedResults:
    """``GET /jobs/{id}/results/{outputId}``: one output's raw value (where references point)."""
    if output_id not in outputs:
        raise ProblemError(
            404, "No such output",
            f"Job {job_id} has no output {output_id!r}; it has {sorted(outputs)}",
            type=EXC_NO_SUCH_OUTPUT,
        )
    value = outputs[output_id]
    if isinstance(value, Mapping) and _is_link(value):
        # a file the process wrote: its raw value is where the link points
        return RenderedResults(303, b"", None, (("Location", str(value["href"])),))
    body, kind = raw_output(value, descriptions.get(output_id))
    return RenderedResults(200, body, kind)
