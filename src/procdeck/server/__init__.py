"""The local OGC API - Processes server (FastAPI + uvicorn).

``create_app`` builds the app, ``run_server`` serves it, ``ProcessRegistry``
turns typed Python functions into processes, ``JobContext`` lets a running
function report progress and notice dismissal. Names load lazily, so
``procdeck.server.testing`` and process modules that only need the registry do
not import FastAPI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from procdeck._util.lazy import lazy_exports

_LAZY = {
    "create_app": "procdeck.server.app",
    "run_server": "procdeck.server.app",
    "load_registry": "procdeck.server.app",
    "default_store_path": "procdeck.server.app",
    "ProcessRegistry": "procdeck.server.registry",
    "RegisteredProcess": "procdeck.server.registry",
    "InputProblem": "procdeck.server.registry",
    "JobContext": "procdeck.server.context",
    "JobDismissed": "procdeck.server.context",
    "JobExecutor": "procdeck.server.executors",
    "ThreadExecutor": "procdeck.server.executors",
    "DaskExecutor": "procdeck.server.dask_executor",
    "JobStore": "procdeck.server.store",
    "JobManager": "procdeck.server.jobs",
    "ServerProcess": "procdeck.server.testing",
    "CallbackSettings": "procdeck.server.callbacks",
}

__all__ = [
    "CallbackSettings",
    "DaskExecutor",
    "InputProblem",
    "JobContext",
    "JobDismissed",
    "JobExecutor",
    "JobManager",
    "JobStore",
    "ProcessRegistry",
    "RegisteredProcess",
    "ServerProcess",
    "ThreadExecutor",
    "create_app",
    "default_store_path",
    "load_registry",
    "run_server",
]

if TYPE_CHECKING:
    from procdeck.server.app import create_app, default_store_path, load_registry, run_server
    from procdeck.server.callbacks import CallbackSettings
    from procdeck.server.context import JobContext, JobDismissed
    from procdeck.server.executors import JobExecutor, ThreadExecutor
    from procdeck.server.jobs import JobManager
    from procdeck.server.registry import InputProblem, ProcessRegistry, RegisteredProcess
    from procdeck.server.store import JobStore
    from procdeck.server.testing import ServerProcess


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
