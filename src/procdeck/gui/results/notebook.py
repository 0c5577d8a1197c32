"""Results in a notebook: ``client.get_job_results(id)`` shown like the app shows them.

:func:`results_mimebundle` turns a job's results into a display bundle: static
HTML with one viewer per output (the same markup the app uses, so it renders in
any notebook front end, live kernel or not), the JSON itself, and plain text.
Panel-free; xarray is only imported for dataset links.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from html import escape
from typing import Any

from procdeck.gui.results.dataset import DatasetUnavailableError, dataset_summary
from procdeck.gui.results.html import (
    RESULTS_CSS,
    download_filename,
    download_json_link,
    render_item_body,
    render_python_line,
)
from procdeck.gui.results.kinds import ResultItem, classify_results

__all__ = ["results_html", "results_mimebundle"]


def _as_mapping(results: Any) -> Mapping[str, Any]:
    if isinstance(results, Mapping):
        return results
    to_dict = getattr(results, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    raise TypeError(f"results must be a mapping or JobResults, not {type(results).__name__}")


def _item_html(item: ResultItem, job_id: str | None, open_datasets: bool) -> str:
    summary = error = None
    if item.kind == "dataset" and open_datasets:
        try:
            summary = dataset_summary(item)
        except DatasetUnavailableError as exc:
            error = str(exc)
    media = f'<span class="pdr-chip">{escape(item.media_type)}</span>' if item.media_type else ""
    download = download_json_link(
        item.raw, download_filename(job_id or "job", item.key), "Download JSON"
    )
    return (
        '<div class="pdr-card">'
        f'<div class="pdr-head"><span class="pdr-key">{escape(item.key)}</span>'
        f'<span class="pdr-chip">{escape(item.kind)}</span>{media}'
        f'<span style="margin-left:auto">{download}</span></div>'
        f"{render_item_body(item, dataset_summary=summary, dataset_error=error)}"
        f"{render_python_line(item)}</div>"
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
