"""The GUI's display hooks (see :mod:`procdeck.ogc.display`), registered when this is imported.

Panel-free: results display with the notebook renderer (imported on first
display), and the notebook app module is imported only when ``client.show()``
is called, after checking that Panel is installed.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from procdeck.ogc.display import NOTEBOOK_HOOK, RESULTS_HOOK, register_hook

__all__ = ["notebook_module", "results_mimebundle"]


def results_mimebundle(results: Any, job_id: str | None) -> dict[str, Any]:
    """``JobResults`` as a notebook shows them: one viewer per output, as in the app."""
    from procdeck.gui.results.notebook import results_mimebundle as render

    return render(results, job_id)


def notebook_module() -> ModuleType:
    """``procdeck.gui.notebook``, or an ImportError saying how to install Panel."""
    from procdeck.client._base import GUI_HINT  # the caller is a client: no extra import

    try:
        import panel  # noqa: F401
    except ModuleNotFoundError as exc:
        raise ImportError(
            f"the procdeck app needs Panel, which is not installed: {GUI_HINT}"
        ) from exc
    # import_module looks in sys.modules first, where the package attribute may be stale
    return importlib.import_module("procdeck.gui.notebook")


register_hook(RESULTS_HOOK, results_mimebundle)
register_hook(NOTEBOOK_HOOK, notebook_module)
