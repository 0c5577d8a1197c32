"""Display hooks: how the layers above show things in a notebook, without being imported here.

procdeck.ogc (and the client above it) know no GUI, yet ``JobResults`` shows
in a notebook the way the app shows results, and ``client.show()`` opens the
app. The GUI supplies those renderers: a *provider* module registers them with
:func:`register_hook` when it is imported. Providers are named (not imported)
with :func:`add_provider` by whoever composes the layers — the ``procdeck``
package names the GUI's — and are imported the first time a hook is asked
for, so nothing here (nor ``import procdeck``) loads the GUI or Panel.

Hooks:

- :data:`RESULTS_HOOK`: ``(results, job_id) -> mimebundle dict`` for
  ``JobResults._repr_mimebundle_``; without it results show as JSON.
- :data:`NOTEBOOK_HOOK`: ``() -> module`` with ``show_app(client, **kw)``,
  ``show_jobs(client, **kw)`` and ``show_form(client, process_id, **kw)``, for
  ``client.show()`` and friends; it raises ImportError when the app cannot run.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["NOTEBOOK_HOOK", "RESULTS_HOOK", "add_provider", "get_hook", "register_hook"]

RESULTS_HOOK = "results"
NOTEBOOK_HOOK = "notebook"

_hooks: dict[str, Callable[..., Any]] = {}
_providers: list[str] = []  # module names, imported on first use, in order
_lock = threading.Lock()


def register_hook(name: str, function: Callable[..., Any]) -> None:
    """Use ``function`` for hook ``name`` (replacing any earlier one)."""
    _hooks[name] = function


def add_provider(module: str) -> None:
    """Name a module that registers hooks when imported; it is imported when a hook is asked for."""
    with _lock:
        if module not in _providers:
            _providers.append(module)


def get_hook(name: str) -> Callable[..., Any] | None:
    """The function registered for ``name``, importing the named providers first if needed.

    None when no provider registers it (a provider that is not installed is skipped).
    """
    hook = _hooks.get(name)
    if hook is not None:
        return hook
    with _lock:
        pending = list(_providers)
    for module in pending:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name is None or not module.startswith(exc.name):
                raise  # the provider is there but broken: say so
            with _lock:  # not installed: never try again
                if module in _providers:
                    _providers.remove(module)
        if name in _hooks:
            break
    return _hooks.get(name)
