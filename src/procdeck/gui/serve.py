"""Serve the app as a standalone web app: one independent :class:`App` per browser session.

``panel serve`` semantics: :func:`serve_app` hands Panel a function that
builds a fresh app for every session, so two browser tabs never share a form,
a selection or a job poller. Ctrl-C and SIGTERM stop the server cleanly.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from importlib import import_module
from typing import Any

import panel as pn

from procdeck.gui.app import App

__all__ = ["PANEL_EXTENSIONS", "configure_panel", "make_server", "serve_app"]

# Panel extensions the app's components need (served by the app itself, never a CDN).
PANEL_EXTENSIONS = ("tabulator",)
_LOOPBACK = ("127.0.0.1", "localhost")


def configure_panel() -> None:
    """Load the Panel extensions and notifications the app needs (idempotent)."""
    pn.extension(*PANEL_EXTENSIONS, notifications=True)


def _serve_stylesheets_locally(doc: Any) -> None:
    # Panel learns where a session's stylesheets live (its dist URL) only when it renders
    # the page, after the app was built, and then rewrites the models it finds under the
    # roots. Models made before that but attached later (the job table's first fill, in a
    # thread) kept cdn.holoviz.org URLs: the browser asked the CDN, offline in vain, until
    # the next update replaced them. Knowing the dist URL from the start, Panel gives every
    # model the local one.
    from panel.io.resources import LOCAL_DIST
    from panel.io.state import state

    if doc is not None:
        local = f"{state.rel_path}/{LOCAL_DIST}" if state.rel_path else LOCAL_DIST
        doc._template_variables.setdefault("dist_url", local)


def _import_views() -> None:
    # Import what every session needs now, so the first visitor does not wait for it.
    for module in ("procdeck.forms", "procdeck.gui.forms", "procdeck.gui.jobs.table",
                   "procdeck.gui.jobs.details"):
        import_module(module)


def _default_client_factory(
    server_url: str | None, access_token: str | None, timeout: float | None = None
) -> Callable[[], Any]:
    from procdeck.client import Client

    shared: dict[str, Any] = {}

    def factory() -> Any:
        # One pooled HTTP client for all sessions: httpx.Client is thread-safe.
        if "client" not in shared:
            kwargs: dict[str, Any] = {}
            if server_url:
                kwargs["server_url"] = server_url
            if access_token:
                kwargs["access_token"] = access_token
            if timeout is not None:
                kwargs["timeout"] = timeout
            shared["client"] = Client(**kwargs)
        return shared["client"]

    return factory


def make_server(
    server_url: str | None = None,
    *,
    port: int = 5006,
    address: str = "127.0.0.1",
    show: bool = False,
    access_token: str | None = None,
    client_factory: Callable[[], Any] | None = None,
    title: str = "procdeck",
    timeout: float | None = None,
    **kwargs: Any,
) -> Any:
    """Create (not start) the Bokeh/Panel server that serves the app at ``/``.

    ``server_url``, ``access_token`` and ``timeout`` (seconds the default client
    waits for each answer of the server; default: the client's, 30 s) configure
    the default client, whose resolved ``server_url`` every session shows; a
    ``client_factory`` replaces that client and they are ignored.
    """
    configure_panel()
    _import_views()
    factory = client_factory or _default_client_factory(server_url, access_token, timeout)

    from procdeck.forms.validation import format_checker

    format_checker()  # jsonschema imported now, not at the first form of the first session

    def session() -> pn.viewable.Viewable:
        configure_panel()
        _serve_stylesheets_locally(pn.state.curdoc)
        return App(factory())

    if address in _LOOPBACK:
        origins = sorted({f"{host}:{port}" for host in (*_LOOPBACK, address)})
    else:
        # Listening on a network address: browsers arrive under names we cannot know.
        origins = ["*"]
    # A closed tab's session (and its job poller) goes within seconds, not Bokeh's ~30 s.
    kwargs.setdefault("check_unused_sessions_milliseconds", 2_000)
    kwargs.setdefault("unused_session_lifetime_milliseconds", 4_000)
    return pn.serve(
        {"/": session},
        port=port,
        address=address,
        show=show,
        title=title,
        start=False,
        websocket_origin=origins,
        **kwargs,
    )


def serve_app(
    server_url: str | None = None,
    *,
    port: int = 5006,
    address: str = "127.0.0.1",
    show: bool = True,
    access_token: str | None = None,
    client_factory: Callable[[], Any] | None = None,
    on_started: Callable[[str], None] | None = None,
    timeout: float | None = None,
    **kwargs: Any,
) -> None:
    """Serve the app until Ctrl-C or SIGTERM.

    Args:
        server_url: the OGC API - Processes server (default: the client's configuration);
            ignored with a ``client_factory`` (the app shows its client's server).
        port, address: where the app listens.
        show: open the app in a web browser.
        access_token: bearer token for the server (default client only).
        client_factory: builds the client each session uses (default: one shared ``Client``).
        on_started: called with the app's URL once it listens.
        timeout: seconds to wait for each answer of the server (default client only).
    """
    server = make_server(
        server_url, port=port, address=address, show=False, access_token=access_token,
        client_factory=client_factory, timeout=timeout, **kwargs,
    )
    url = f"http://{address}:{server.port}/"
    loop = server.io_loop.asyncio_loop
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, server.io_loop.stop)
    server.start()
    if on_started is not None:
        on_started(url)
    if show:
        server.io_loop.add_callback(server.show, "/")
    try:
        server.io_loop.start()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        server.stop()
