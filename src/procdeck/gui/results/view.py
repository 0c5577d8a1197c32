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
from typing import Any

import pandas as pd
import panel as pn
import param
from panel.viewable import Viewer

from procdeck.client.errors import ClientError
from procdeck.client.kinds import AnyClient
from procdeck.gui.jobs.session import document_dispatcher
from procdeck.gui.results.dataset import DatasetUnavailableError, dataset_summary
from procdeck.gui.results.html import (
    RESULTS_CSS,
    download_filename,
    render_item_body,
    render_python_line,
    result_json,
    table_columns,
)
from procdeck.gui.results.kinds import ResultItem, classify_results
from procdeck.gui.runtime import call_client, spawn

__all__ = ["ResultView"]

_TABLE_PAGE = 10


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
            embed=False,
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
        download = pn.widgets.FileDownload(
            callback=partial(_json_file, item.raw),
            filename=download_filename(self.job_id, item.key),
            label=f"Download {item.key} (JSON)", width=200, embed=False,
        )
        body = self._body(item)
        python = _html(f'<div class="pdr">{render_python_line(item)}</div>')
        return pn.Column(
            pn.Row(head, download, sizing_mode="stretch_width"), body, python,
            sizing_mode="stretch_width", margin=(0, 0, 8, 0),
            styles={"border": "1px solid var(--pd-border, #e2e6ec)", "border-radius": "8px",
                    "padding": "6px"},
            css_classes=["pd-result", f"pd-result-{item.kind}"],
        )

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
        if item.kind == "dataset":
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
        return _html(f'<div class="pdr">{render_item_body(item)}</div>')

    async def _load_dataset(self, item: ResultItem, pane: pn.pane.HTML) -> None:
        summary, error = await _summarise(item)
        markup = render_item_body(item, dataset_summary=summary, dataset_error=error)

        def update() -> None:
            pane.object = f'<div class="pdr">{markup}</div>'

        self._dispatch(update)
