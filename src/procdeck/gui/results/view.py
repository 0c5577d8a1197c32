"""The app's result viewers: one card per output of a job.

Each card shows the output id, its kind and media type, the viewer (the same
escaped markup as the notebook display; a paginated table for records and
arrays; xarray's summary for a Zarr/NetCDF link, opened in a worker thread), the
Python line that fetches it, and a JSON download. Results are fetched without
blocking the page (see :func:`~procdeck.gui.runtime.call_client`).
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Mapping
from functools import partial
from html import escape
from typing import Any, ClassVar

import pandas as pd
import panel as pn
import param
from panel.viewable import Viewer

from procdeck.client.errors import ClientError
from procdeck.client.kinds import AnyClient
from procdeck.gui.jobs.session import document_dispatcher
from procdeck.gui.results.dataset import DatasetUnavailableError, dataset_summary
from procdeck.gui.results.files import (
    MAX_DOWNLOAD_BYTES,
    MAX_PREVIEW_BYTES,
    cli_download_line,
    file_name,
    inline_file,
    is_zarr,
)
from procdeck.gui.results.html import (
    RESULTS_CSS,
    download_filename,
    render_item_body,
    render_python_line,
    result_json,
    table_columns,
)
from procdeck.gui.results.kinds import ResultItem, classify_results, local_path, safe_href
from procdeck.gui.results.previews import PreviewError, render_preview
from procdeck.gui.runtime import call_client, spawn
from procdeck.results.errors import ResultTooLargeError

__all__ = ["FetchedDownload", "ResultView"]

_TABLE_PAGE = 10
# Downloads look like buttons: Panel's download button has no border in the app's design.
_DOWNLOAD_CSS = """
.bk-btn { border: 1px solid var(--pd-accent, #2563eb) !important;
  color: var(--pd-accent, #2563eb) !important; background: transparent !important;
  border-radius: 8px; font-weight: 600; }
.bk-btn:hover {
  background: color-mix(in srgb, var(--pd-accent, #2563eb) 10%, transparent) !important; }
"""
_BUTTON: dict[str, Any] = {"button_type": "primary", "button_style": "outline",
                           "stylesheets": [_DOWNLOAD_CSS]}


def _html(markup: str, **params: Any) -> pn.pane.HTML:
    params.setdefault("sizing_mode", "stretch_width")
    params.setdefault("margin", (0, 4))
    return pn.pane.HTML(markup, stylesheets=[RESULTS_CSS], **params)


def _as_dict(results: Any) -> dict[str, Any]:
    return results.to_dict() if hasattr(results, "to_dict") else dict(results)


async def _summarise(item: ResultItem) -> tuple[str | None, str | None]:
    """(summary, None) or (None, why not) for a dataset link, opened in a worker thread."""
    try:
        return await asyncio.to_thread(dataset_summary, item), None
    except DatasetUnavailableError as exc:
        return None, str(exc)


def _json_file(value: Any) -> io.BytesIO:
    return io.BytesIO(result_json(value).encode())


class ResultView(Viewer):
    """The results of one job, one viewer per output.

    >>> ResultView(client, "job_3")           # fetches when an event loop runs  # doctest: +SKIP
    >>> ResultView(client, "job_3", results=client.get_job_results("job_3"))  # doctest: +SKIP
    """

    state = param.Selector(default="loading", objects=["loading", "ready", "error"], doc="""
        loading: fetching the results; ready: shown; error: the fetch failed.""")

    error = param.String(default=None, allow_None=True, doc="Why the results are not shown.")

    def __init__(
        self,
        client: AnyClient,
        job_id: str,
        *,
        results: Mapping[str, Any] | None = None,
        client_name: str = "client",
        load: bool = True,
        **params: Any,
    ) -> None:
        super().__init__(**params)
        self.client = client
        self.job_id = job_id
        self.client_name = client_name
        self.items: list[ResultItem] = []
        self._summaries: dict[str, tuple[str | None, str | None]] = {}
        self._dispatch = document_dispatcher()
        self._layout = pn.Column(
            _html(f'<div class="pdr pdr-muted">Loading the results of {escape(job_id)}…</div>'),
            sizing_mode="stretch_width", margin=0,
        )
        if results is not None:
            self.show(results)
        elif load:
            spawn(self.load())

    def __panel__(self) -> pn.Column:
        return self._layout

    async def load(self) -> None:
        """Fetch the results (and open dataset links in a worker thread); show them."""
        try:
            results = await call_client(self.client.get_job_results, self.job_id)
        except ClientError as exc:
            self._dispatch(partial(self._show_error, exc))
            return
        mapping = _as_dict(results)
        items = classify_results(mapping, self.job_id, self.client_name)
        summaries = {
            item.key: await _summarise(item) for item in items if item.kind == "dataset"
        }
        self._dispatch(partial(self.show, mapping, summaries))

    def show(
        self,
        results: Mapping[str, Any] | Any,
        summaries: Mapping[str, tuple[str | None, str | None]] | None = None,
    ) -> None:
        """Build the viewers for ``results`` (a JobResults or a mapping).

        ``summaries`` maps dataset outputs to (summary, error); datasets without
        one are opened afterwards.
        """
        mapping = _as_dict(results)
        self._summaries = dict(summaries or {})
        self.items = classify_results(mapping, self.job_id, self.client_name)
        download_all = pn.widgets.FileDownload(
            callback=partial(_json_file, mapping), filename=download_filename(self.job_id),
            label="Download all results (JSON)", width=220,
            embed=False, **_BUTTON,
        )
        head = _html(
            f'<div class="pdr pdr-head"><strong>Results of {escape(self.job_id)}</strong>'
            f'<span class="pdr-muted">{len(self.items)} output(s)</span></div>'
        )
        cards: list[Any] = [pn.Row(head, download_all, sizing_mode="stretch_width")]
        if not self.items:
            cards.append(_html('<div class="pdr pdr-muted">The job has no results.</div>'))
        cards.extend(self._card(item) for item in self.items)
        self._layout[:] = cards
        self.param.update(state="ready", error=None)

    def _show_error(self, exc: ClientError) -> None:
        detail = exc.detail or str(exc)
        self._layout[:] = [_html(
            f'<div class="pdr pdr-error" role="alert">Could not load the results of '
            f"{escape(self.job_id)}: {escape(detail)}</div>"
        )]
        self.param.update(state="error", error=detail)

    def _card(self, item: ResultItem) -> pn.Column:
        media = ""
        if item.media_type:
            media = f'<span class="pdr-chip">{escape(item.media_type)}</span>'
        head = _html(
            f'<div class="pdr pdr-head"><span class="pdr-key">{escape(item.key)}</span>'
            f'<span class="pdr-chip">{escape(item.kind)}</span>{media}</div>'
        )
        message = _html("", visible=False, css_classes=["pd-result-message"])
        download = self._download(item, message)
        body = self._body(item)
        python = _html(f'<div class="pdr">{render_python_line(item)}</div>',
                       css_classes=["pd-result-python"])
        return pn.Column(
            pn.Row(head, download, sizing_mode="stretch_width"), message, body, python,
            sizing_mode="stretch_width", margin=(0, 0, 8, 0),
            styles={"border": "1px solid var(--pd-border, #e2e6ec)", "border-radius": "8px",
                    "padding": "6px"},
            css_classes=["pd-result", f"pd-result-{item.kind}"],
        )

    # -- downloads ---------------------------------------------------------------------

    def _download(self, item: ResultItem, message: pn.pane.HTML) -> Any:
        """The card's download: the file a link points to, an inline value's decoded
        content, or JSON; a note instead for a Zarr directory or a too large file."""
        if item.href is None:
            inline = inline_file(item)
            if inline is None:
                return pn.widgets.FileDownload(
                    callback=partial(_json_file, item.raw),
                    filename=download_filename(self.job_id, item.key),
                    label=f"Download {item.key} (JSON)", width=200, embed=False, **_BUTTON,
                )
            name = file_name(item, self.job_id)
            return pn.widgets.FileDownload(
                callback=partial(io.BytesIO, inline.data), filename=name,
                label=f"Download {name}", width=220, embed=False, **_BUTTON,
            )
        if is_zarr(item):
            return _html('<div class="pdr pdr-muted pd-result-note">A Zarr store is a '
                         "directory: open it in Python (below)</div>", width=260)
        if item.length is not None and item.length > MAX_DOWNLOAD_BYTES:
            return _html(self._too_large(item, item.length), width=320)
        name = file_name(item, self.job_id)
        button = FetchedDownload(
            fetch=partial(self._fetch_file, item, message), filename=name,
            label=f"Download {name}", width=220, **_BUTTON,
        )
        return button

    def _too_large(self, item: ResultItem, length: int | None) -> str:
        size = f" ({_size(length)})" if length is not None else ""
        where = (
            f'<a href="{escape(target, quote=True)}" target="_blank" '
            f'rel="noopener noreferrer">{escape(target)}</a>'
            if (target := safe_href(item.href)) else f"<code>{escape(item.href or '')}</code>"
        )
        return (
            f'<div class="pdr pd-result-too-large">Too large to download in the page{size}: '
            f"{where}<br>or <code>{escape(cli_download_line(self.job_id, item.key))}</code>"
            "</div>"
        )

    async def _fetch_file(self, item: ResultItem, message: pn.pane.HTML) -> bytes | None:
        """The bytes a link points to, through the client (None and a message on failure)."""

        def say(markup: str | None) -> None:
            message.object = markup or ""
            message.visible = bool(markup)

        read_link = getattr(self.client, "read_link", None)
        if read_link is None:
            self._dispatch(partial(say, '<div class="pdr pdr-error" role="alert">This client '
                                   "cannot fetch links: open the link instead.</div>"))
            return None
        self._dispatch(partial(say, f'<div class="pdr pdr-muted">Downloading '
                                    f"{escape(item.key)}…</div>"))
        try:
            data, _media = await call_client(read_link, item.href, max_bytes=MAX_DOWNLOAD_BYTES)
        except ClientError as exc:
            markup = (
                f'<div class="pdr pdr-error" role="alert">Could not download '
                f"{escape(item.key)}: {escape(_reason(exc))}</div>"
            )
            if _too_big(exc):
                markup += self._too_large(item, None)
            self._dispatch(partial(say, markup))
            return None
        self._dispatch(partial(say, None))
        return data

    # -- viewers -----------------------------------------------------------------------

    def _body(self, item: ResultItem) -> Any:
        if item.kind == "table":
            columns, rows = table_columns(item.value)
            frame = pd.DataFrame(rows, columns=columns)
            return pn.widgets.Tabulator(
                frame, disabled=True, pagination="local", page_size=_TABLE_PAGE,
                show_index=True, sizing_mode="stretch_width", selectable=False,
                formatters={name: {"type": "plaintext"} for name in ["index", *columns]},
                # Tabulator puts column titles into the page as HTML: the keys come from
                # the server, so they go in escaped.
                titles={"index": "#", **{name: escape(str(name)) for name in columns}},
                layout="fit_data_table",
            )
        if item.kind == "dataset" and local_path(item.href) is not None:
            if item.key in self._summaries:
                summary, error = self._summaries[item.key]
                body = render_item_body(item, dataset_summary=summary, dataset_error=error)
                return _html(f'<div class="pdr">{body}</div>')
            pane = _html(
                f'<div class="pdr">{render_item_body(item)}'
                '<div class="pdr-muted">Opening the dataset…</div></div>'
            )
            spawn(self._load_dataset(item, pane))
            return pane
        if item.href is not None and item.preview is not None:
            return self._link_preview(item)
        return _html(f'<div class="pdr">{render_item_body(item, link_actions=False)}</div>')

    def _link_preview(self, item: ResultItem) -> pn.Column:
        """A link's body with its preview, fetched through the client in the background.

        Fetched at once when the link is known to be small (or says nothing of its
        size: the fetch then stops at the preview limit); a NetCDF file over HTTP
        of unknown or large size waits for "Load preview" (opening it downloads it).
        """
        pane = _html(self._link_markup(item, '<div class="pdr-muted">Loading the preview…</div>'),
                     css_classes=["pd-result-preview"])
        if item.length is not None and item.length > MAX_PREVIEW_BYTES and not (
                item.preview == "dataset" and is_zarr(item)):
            pane.object = self._link_markup(item, (
                f'<div class="pdr-muted">{_size(item.length)}: too large to preview '
                "here; download it or open it in Python.</div>"))
            return pn.Column(pane, sizing_mode="stretch_width", margin=0)
        needs_click = item.preview == "dataset" and not is_zarr(item) and (
            item.length is None)
        if not needs_click:
            spawn(self._load_preview(item, pane))
            return pn.Column(pane, sizing_mode="stretch_width", margin=0)
        pane.object = self._link_markup(item, (
            '<div class="pdr-muted">Opening this NetCDF file downloads it: load the '
            "preview when you want it.</div>"))
        button = pn.widgets.Button(name="Load preview", width=140)

        def load(_event: object) -> None:
            button.disabled = True
            pane.object = self._link_markup(
                item, '<div class="pdr-muted">Loading the preview…</div>')
            spawn(self._load_preview(item, pane, button))

        button.on_click(load)
        return pn.Column(pane, button, sizing_mode="stretch_width", margin=0)

    def _link_markup(self, item: ResultItem, preview: str) -> str:
        body = render_item_body(item, preview=preview, link_actions=False,
                                remote_images=False)
        return f'<div class="pdr">{body}</div>'

    async def _load_preview(self, item: ResultItem, pane: pn.pane.HTML,
                            button: pn.widgets.Button | None = None) -> None:
        try:
            if item.preview == "dataset":
                markup = await self._dataset_html(item)
            else:
                markup = await self._fetched_preview(item)
        except _PreviewFailed as exc:
            markup = f'<div class="pdr-error" role="alert">No preview: {escape(str(exc))}</div>'
            if button is not None:
                self._dispatch(partial(setattr, button, "disabled", False))
        result = self._link_markup(item, markup)
        self._dispatch(partial(setattr, pane, "object", result))

    async def _fetched_preview(self, item: ResultItem) -> str:
        read_link = getattr(self.client, "read_link", None)
        if read_link is None:
            raise _PreviewFailed("this client cannot fetch links")
        try:
            data, _media = await call_client(read_link, item.href, max_bytes=MAX_PREVIEW_BYTES)
        except ClientError as exc:
            if _too_big(exc):
                raise _PreviewFailed(
                    f"the file is larger than {_size(MAX_PREVIEW_BYTES)}") from exc
            raise _PreviewFailed(_reason(exc)) from exc
        try:
            return await asyncio.to_thread(
                render_preview, item.preview or "", data, item.title or item.key)
        except PreviewError as exc:
            raise _PreviewFailed(str(exc)) from exc

    async def _dataset_html(self, item: ResultItem) -> str:
        """xarray's HTML summary of a remote dataset, opened lazily by the client."""
        opener = getattr(self.client, "open_job_result", None)
        if opener is None:
            raise _PreviewFailed("this client cannot open results (open_job_result)")
        try:
            dataset = await call_client(opener, self.job_id, item.key)
        except ClientError as exc:
            raise _PreviewFailed(_reason(exc)) from exc
        except Exception as exc:  # xarray and its backends raise many kinds
            raise _PreviewFailed(f"{type(exc).__name__}: {exc}") from exc
        repr_html = getattr(dataset, "_repr_html_", None)
        try:
            if callable(repr_html):
                return await asyncio.to_thread(repr_html)
            return f'<pre class="pdr-pre">{escape(str(dataset))}</pre>'
        finally:
            close = getattr(dataset, "close", None)
            if callable(close):
                close()

    async def _load_dataset(self, item: ResultItem, pane: pn.pane.HTML) -> None:
        summary, error = await _summarise(item)
        markup = render_item_body(item, dataset_summary=summary, dataset_error=error)

        def update() -> None:
            pane.object = f'<div class="pdr">{markup}</div>'

        self._dispatch(update)


class _PreviewFailed(Exception):
    """Why a preview is not shown (the message the card shows)."""


class FetchedDownload(pn.widgets.FileDownload):
    """A download button whose file is fetched when it is clicked, off the event loop.

    ``fetch`` is a coroutine function returning the bytes, or None when it failed
    (it showed why): then nothing is downloaded and the next click tries again.
    """

    fetch = param.Callable(default=None, allow_refs=False, doc="async () -> bytes | None")

    _rename: ClassVar[Mapping[str, str | None]] = {
        **pn.widgets.FileDownload._rename, "fetch": None,
    }

    def __init__(self, **params: Any) -> None:
        params.setdefault("embed", False)
        fetch = params.pop("fetch", None)
        super().__init__(callback=self._fetched, **params)
        self.fetch = fetch

    async def _fetched(self) -> io.BytesIO | None:
        data = await self.fetch() if self.fetch is not None else None
        return io.BytesIO(data) if data is not None else None

    async def _async_sync_data(self) -> None:
        # Panel's own version hands None on to _sync_data, which raises: a failed
        # fetch has already said why in the card, so nothing is transferred.
        fileobj = await self._fetched()
        if fileobj is not None:
            self._sync_data(fileobj)


def _reason(exc: ClientError) -> str:
    return (getattr(exc, "detail", None) or str(exc) or type(exc).__name__).strip()


def _too_big(exc: ClientError) -> bool:
    """``read_link`` refused a body larger than ``max_bytes``."""
    return isinstance(exc, ResultTooLargeError)


def _size(length: int | None) -> str:
    if length is None:
        return "unknown size"
    size = float(length)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{length} bytes"
