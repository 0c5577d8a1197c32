"""Glue between the Panel-free poller and a Panel session.

- :func:`document_dispatcher`: the poller calls its subscribers on the event
  loop's thread but outside the Bokeh document lock; views hand their model
  changes to the dispatcher, which runs them as a next-tick callback of their
  document (locked, in order), or at once where there is no server session
  (notebook comms, tests).
- :class:`PageVisibility`: a tiny browser component that reports whether the
  tab is hidden, so the poller pauses while nobody looks.
- :func:`bind_to_session`: start a poller for the current session and stop it
  when the session ends.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import panel as pn
import param
from panel.custom import JSComponent

from procdeck.gui.jobs.poller import JobPoller

__all__ = ["PageVisibility", "bind_to_session", "document_dispatcher", "on_session_end"]

log = logging.getLogger(__name__)

Dispatch = Callable[[Callable[[], Any]], None]


def document_dispatcher() -> Dispatch:
    """A function that runs callbacks where the current document may be changed safely."""
    doc = pn.state.curdoc
    if doc is None or doc.session_context is None:
        return _run_now

    def dispatch(callback: Callable[[], Any]) -> None:
        if doc.session_context is None:
            return  # the session ended (Bokeh destroyed the document): nothing to show

        def guarded() -> None:
            try:
                callback()
            except Exception:
                log.exception("job view update failed")

        # The only Document method Bokeh allows from any thread and outside the lock.
        doc.add_next_tick_callback(guarded)

    return dispatch


def _run_now(callback: Callable[[], Any]) -> None:
    try:
        callback()
    except Exception:
        log.exception("job view update failed")


def on_session_end(callback: Callable[[], Any]) -> None:
    """Run ``callback`` when the current Panel server session ends (no-op elsewhere)."""
    doc = pn.state.curdoc
    if doc is None or doc.session_context is None:
        return
    pn.state.on_session_destroyed(lambda _context: callback())


class PageVisibility(JSComponent):
    """Invisible; ``hidden`` follows the browser tab's visibility (``document.visibilityState``)."""

    hidden = param.Boolean(default=False, doc="True while the browser tab is hidden.")

    _esm = """
    export function render({ model }) {
      const update = () => { model.hidden = document.visibilityState === "hidden" }
      document.addEventListener("visibilitychange", update)
      model.on("remove", () => document.removeEventListener("visibilitychange", update))
      update()
      return document.createElement("span")
    }
    """

    def __init__(self, **params: Any) -> None:
        params.setdefault("width", 0)
        params.setdefault("height", 0)
        params.setdefault("margin", 0)
        params.setdefault("visible", True)
        super().__init__(**params)


def pause_when_hidden(poller: JobPoller) -> PageVisibility:
    """A :class:`PageVisibility` that pauses ``poller`` while the tab is hidden."""
    visibility = PageVisibility()

    def follow(event: param.parameterized.Event) -> None:
        poller.paused = bool(event.new)

    visibility.param.watch(follow, "hidden")
    return visibility


def bind_to_session(poller: JobPoller) -> PageVisibility:
    """Start ``poller`` now, stop it when the session ends; returns its visibility hook.

    Call it while the session's document is being built (the event loop runs
    then) and put the returned component anywhere in the page.
    """
    poller.start()
    on_session_end(poller.stop)
    return pause_when_hidden(poller)
