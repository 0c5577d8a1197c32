"""A saved execute request read back into a process's form and request options."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from procdeck.ogc.models import ProcessDescription, ProcessRequest

if TYPE_CHECKING:
    from procdeck.forms import InputForm
    from procdeck.gui.request_panel import RequestOptions

__all__ = ["RequestLoadError", "fill_from_request", "read_request", "request_filename"]


class RequestLoadError(ValueError):
    """A loaded file is not an execute request this app can use."""


def request_filename(description: ProcessDescription | None) -> str:
    """File name for the saved request of ``description``'s process."""
    return f"{description.id}-request.json" if description else "request.json"


def read_request(data: dict[str, Any] | str | bytes) -> ProcessRequest:
    """``data`` (a dict or JSON text) as an execute request; raises :class:`RequestLoadError`."""
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except ValueError as error:
            raise RequestLoadError(f"The file is not JSON: {error}") from None
    if not isinstance(data, dict):
        raise RequestLoadError("The file does not hold an execute request (a JSON object).")
    try:
        return ProcessRequest.model_validate(data)
    except ValueError as error:
        raise RequestLoadError(f"The file is not a valid execute request: {error}") from None


def fill_from_request(description: ProcessDescription, form: InputForm,
                      options: RequestOptions, request: ProcessRequest) -> list[str]:
    """Set ``form`` and ``options`` from ``request``; returns the ids of inputs the process
    does not have (they are ignored)."""
    known = set(description.inputs)
    unknown = sorted(set(request.inputs) - known)
    form.value = {k: v for k, v in request.inputs.items() if k in known}
    options.apply(request.to_dict())
    return unknown
