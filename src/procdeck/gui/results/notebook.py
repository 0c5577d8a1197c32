"""Results in a notebook: ``client.get_job_results(id)`` shown like the app shows them.

:func:`results_mimebundle` turns a job's results into a display bundle: static
HTML with one viewer per output (the same markup the app uses, so it renders in
any notebook front end, live kernel or not), the JSON itself, and plain text.
Panel-free; xarray is only imported for dataset links.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from html import escape
from pathlib import Path
from typing import Any

from procdeck.gui.results.dataset import DatasetUnavailableError, dataset_summary
from procdeck.gui.results.files import MAX_PREVIEW_BYTES, file_name, inline_file
from procdeck.gui.results.html import (
    MAX_INLINE_DOWNLOAD,
    RESULTS_CSS,
    download_filename,
    download_json_link,
    render_item_body,
    render_python_line,
)
from procdeck.gui.results.kinds import ResultItem, classify_results, local_path
from procdeck.gui.results.previews import PreviewError, render_preview

__all__ = ["results_html", "results_mimebundle"]


def _as_mapping(results: Any) -> Mapping[str, Any]:
    if isinstance(results, Mapping):
        return results
    to_dict = getattr(results, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    raise TypeError(f"results must be a mapping or JobResults, not {type(results).__name__}")


def _local_preview(item: ResultItem) -> str | None:
    """The preview of a small ``file:`` link (CSV, image, GeoJSON) read from disk, else None.

    The notebook display has no client: links the kernel cannot read as local
    files, and files over the preview limit, are shown as links only.
    """
    path = local_path(item.href)
    if item.preview not in ("csv", "image", "geojson") or path is None:
        return None
    try:
        target = Path(path)
        if not target.is_file() or target.stat().st_size > MAX_PREVIEW_BYTES:
            return None
        data = target.read_bytes()
    except OSError:
        return None
    try:
        return render_preview(item.preview, data, item.title or item.key)
    except PreviewError as exc:
        return f'<div class="pdr-error">No preview: {escape(str(exc))}</div>'


def _download_link(item: ResultItem, job_id: str | None) -> str:
    """A ``data:`` link of the result's file (decoded inline content, or JSON)."""
    if item.href is not None:
        return ""  # the link's own Open/Download anchors (or none, for a Zarr directory)
    inline = inline_file(item)
    if inline is None:
        return download_json_link(
            item.raw, download_filename(job_id or "job", item.key), "Download JSON"
        )
    if len(inline.data) > MAX_INLINE_DOWNLOAD:
        return ""
    name = file_name(item, job_id)
    data = base64.b64encode(inline.data).decode()
    return (
        f'<a download="{escape(name, quote=True)}" '
        f'href="data:{escape(inline.media_type, quote=True)};base64,{data}">'
        f"Download {escape(name)}</a>"
    )


def _item_html(item: ResultItem, job_id: str | None, open_datasets: bool) -> str:
    summary = error = None
    if item.kind == "dataset" and open_datasets:
        try:
            summary = dataset_summary(item)
        except DatasetUnavailableError as exc:
            error = str(exc)
    media = f'<span class="pdr-chip">{escape(item.media_type)}</span>' if item.media_type else ""
    download = _download_link(item, job_id)
    body = render_item_body(item, dataset_summary=summary, dataset_error=error,
                            preview=_local_preview(item))
    return (
        '<div class="pdr-card">'
        f'<div class="pdr-head"><span class="pdr-key">{escape(item.key)}</span>'
        f'<span class="pdr-chip">{escape(item.kind)}</span>{media}'
        f'<span style="margin-left:auto">{download}</span></div>'
        f"{body}{render_python_line(item)}</div>"
    )


def results_html(
    results: Any, job_id: str | None, *, client_name: str = "client", open_datasets: bool = True
) -> str:
    """The HTML display of a job's results (one viewer per output, escaped).

    Without ``job_id`` (results whose job is unknown) the Python lines read a
    ``results`` variable instead of calling the client.
    """
    mapping = _as_mapping(results)
    items = classify_results(mapping, job_id, client_name)
    cards = "".join(_item_html(item, job_id, open_datasets) for item in items)
    if not items:
        cards = '<div class="pdr-muted">The job has no results.</div>'
    download_all = download_json_link(
        dict(mapping), download_filename(job_id or "job"), "Download all results (JSON)"
    )
    title = f"Results of {escape(job_id)}" if job_id is not None else "Job results"
    return (
        f"<style>{RESULTS_CSS}</style>"
        '<div class="pdr">'
        f'<div class="pdr-head"><strong>{title}</strong>'
        f'<span class="pdr-muted">{len(items)} output(s)</span>'
        f'<span style="margin-left:auto">{download_all}</span></div>'
        f"{cards}</div>"
    )


def results_mimebundle(
    results: Any,
    job_id: str | None = None,
    *,
    client_name: str = "client",
    open_datasets: bool = True,
) -> dict[str, Any]:
    """A notebook display bundle: ``text/html`` viewers, ``application/json``, ``text/plain``.

    For ``JobResults._repr_mimebundle_``: ``return results_mimebundle(self, job_id)``
    (``job_id=None`` when the results do not know their job).
    """
    mapping = dict(_as_mapping(results))
    return {
        "text/html": results_html(
            mapping, job_id, client_name=client_name, open_datasets=open_datasets
        ),
        "application/json": json.loads(json.dumps(mapping, default=str)),
        "text/plain": json.dumps(mapping, indent=2, sort_keys=True, default=str),
    }
