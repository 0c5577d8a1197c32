"""Module attributes loaded on first use (PEP 562 ``__getattr__`` and ``__dir__``).

A package lists the names it offers and where each is defined; the defining module
is imported when the name is first read, and the value is then kept in the
package's namespace, so later reads are ordinary attribute look-ups::

    __getattr__, __dir__ = lazy_exports(__name__, {"Client": "procdeck.client"})
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    module_name: str, exports: Mapping[str, str | Callable[[], Any]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for the module ``module_name``.

    ``exports`` maps each lazy name to the dotted path of the module that defines a
    name of the same name, or to a function without arguments that makes the value.
    Other names raise :class:`AttributeError` as usual; a defining module that is
    missing raises its :class:`ImportError`.
    """
    exports = dict(exports)

    def __getattr__(name: str) -> Any:
        source = exports.get(name)
        if source is None:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        value = source() if callable(source) else getattr(import_module(source), name)
        vars(sys.modules[module_name])[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[module_name])) | set(exports))

    return __getattr__, __dir__
