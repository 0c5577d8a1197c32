"""Execution: why Execute is disabled, and sending the request of the selected process."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import param

from procdeck.client.kinds import AnyClient
from procdeck.gui.request_panel import SYNC, RequestOptions
from procdeck.ogc.models import JobInfo

if TYPE_CHECKING:
    from procdeck.forms import InputForm

__all__ = ["MAX_BLOCKERS_SHOWN", "Execution", "JobStartedCallback", "blockers_of"]

JobStartedCallback = Callable[[JobInfo, str, dict[str, Any]], Any]
"""Called as ``callback(job, process_id, request)`` after a successful execute."""

ClientCall = Callable[..., Awaitable[Any]]
"""``call(func, *args)``: a client call reported to the connection monitor."""

MAX_BLOCKERS_SHOWN = 6


def blockers_of(form: InputForm | None, *, offline: bool) -> list[str]:
    """Why Execute is disabled for ``form`` (none: it may be pressed)."""
    reasons: list[str] = []
    if form is None:
        reasons.append("Select a process first.")
    elif not form.is_valid:
        messages = [
            f"{path or 'inputs'}: {message}"
            for path, path_messages in (form.errors or {}).items()
            for message in ([path_messages] if isinstance(path_messages, str)
                            else path_messages)
        ]
        reasons.extend(messages[:MAX_BLOCKERS_SHOWN])
        if len(messages) > MAX_BLOCKERS_SHOWN:
            reasons.append(f"… and {len(messages) - MAX_BLOCKERS_SHOWN} more")
        if not messages:
            reasons.append("The form is not valid yet.")
    if offline:
        reasons.append("The server is unreachable.")
    return reasons


class Execution(param.Parameterized):
    """Sends execute requests, one at a time, and tells who asked about each new job."""

    executing = param.Boolean(default=False, doc="An execute request is on its way")
    last_job = param.ClassSelector(class_=JobInfo, default=None, allow_None=True)
    last_sync = param.Boolean(default=False,
                              doc="The last job was asked to run synchronously")

    def __init__(self, client: AnyClient, call: ClientCall, **params: Any) -> None:
        super().__init__(**params)
        self.client = client
        self._call = call
        self._job_started: list[JobStartedCallback] = []

    def on_job_started(self, callback: JobStartedCallback) -> None:
        """Run ``callback(job, process_id, request)`` after each successful execute."""
        self._job_started.append(callback)

    async def run(self, process_id: str, request: dict[str, Any],
                  options: RequestOptions | None) -> JobInfo:
        """Send ``request``; returns the new job, raises ``ClientError``.

        The mode is sent only when the process lets the person choose it.
        """
        call: Callable[..., Any] = self.client.execute_process
        if options is not None and options.mode_choice:
            call = functools.partial(call, mode=options.mode)
        self.executing = True
        try:
            job = await self._call(call, process_id, request)
        finally:
            self.executing = False
        # last_sync first: whoever watches last_job reads it
        self.last_sync = options is not None and options.mode == SYNC
        self.last_job = job
        for callback in list(self._job_started):
            callback(job, process_id, request)
        return job
