"""Whether optional modules are installed, asked without importing them."""

from __future__ import annotations

from collections.abc import Iterable
from importlib.util import find_spec

__all__ = ["find_spec", "install_hint", "missing"]


def missing(modules: Iterable[str]) -> list[str]:
    """The names in ``modules`` that cannot be imported (looked up, never imported)."""
    absent = []
    for name in modules:
        try:
            # the module global, so a test can stand in for the lookup
            found = find_spec(name) is not None
        except (ImportError, ValueError):  # a dotted name whose parent is absent
            found = False
        if not found:
            absent.append(name)
    return absent


def install_hint(extra: str | None, modules: Iterable[str]) -> str:
    """``pip install 'procdeck[extra]'``, or the bare modules when no extra ships them."""
    if extra:
        return f"pip install 'procdeck[{extra}]'"
    return "pip install " + " ".join(modules)
