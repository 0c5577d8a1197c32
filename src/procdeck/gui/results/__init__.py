"""Result viewers: one per output kind, in the app (:class:`ResultView`) and in notebooks.

``results_mimebundle(results, job_id)`` (Panel-free) is what a notebook shows
for ``client.get_job_results(job_id)``; :class:`ResultView` is the app's viewer.
Names are loaded on first use, so the notebook display does not import Panel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from procdeck._util.lazy import lazy_exports

if TYPE_CHECKING:
    from procdeck.gui.results.kinds import ResultItem, classify, classify_results
    from procdeck.gui.results.notebook import results_html, results_mimebundle
    from procdeck.gui.results.view import ResultView

_LAZY = {
    "ResultView": "procdeck.gui.results.view",
    "ResultItem": "procdeck.gui.results.kinds",
    "classify": "procdeck.gui.results.kinds",
    "classify_results": "procdeck.gui.results.kinds",
    "results_html": "procdeck.gui.results.notebook",
    "results_mimebundle": "procdeck.gui.results.notebook",
}

__all__ = [
    "ResultItem",
    "ResultView",
    "classify",
    "classify_results",
    "results_html",
    "results_mimebundle",
]


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
