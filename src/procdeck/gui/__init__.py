"""procdeck's Panel app: process browser, generated input forms, live job table, result viewers.

Importing this package imports Panel. Public names are loaded on first use so
that each part (forms, app, jobs, results) stays in its own module.
"""

from __future__ import annotations

from procdeck._util.lazy import lazy_exports

_LAZY = {
    # form widgets
    "InputFormView": "procdeck.gui.forms",
    "WidgetFactory": "procdeck.gui.forms",
    "widget_registry": "procdeck.gui.forms",
    # the app shell
    "App": "procdeck.gui.app",
    "serve_app": "procdeck.gui.serve",
    # jobs and results
    "JobPoller": "procdeck.gui.jobs",
    "JobTable": "procdeck.gui.jobs",
    "ResultView": "procdeck.gui.results",
    # notebook frontends
    "detect_frontend": "procdeck.gui.frontend",
    "notebook_mode": "procdeck.gui.frontend",
}

__all__ = sorted(_LAZY)


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
