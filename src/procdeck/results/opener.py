"""What an opener is: a function that turns a :class:`Source` into a Python object, and
how the registry recognises the sources it fits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from procdeck.results.source import Source

__all__ = ["KINDS", "Opener"]

KINDS: tuple[str, ...] = ("xarray", "pandas", "geopandas", "image", "json", "text", "bytes")
"""What ``as_=`` may name (besides an opener's own name)."""


@dataclass(frozen=True)
class Opener:
    """One way to open a result.

    ``media_types`` are lower-case without parameters (``"text/*"`` matches a whole type;
    openers listing ``application/json`` also match any ``+json`` type); ``extensions`` match
    the end of the path or href (``".zarr"`` also inside it: ``x.zarr/group``); ``sniff``
    looks at the bytes or the directory. ``modules`` are checked with ``find_spec`` and
    never imported to check; ``extra`` names the procdeck extra that installs them.
    ``remote`` openers can open a ``store`` alone; ``accepts_value`` ones an inline value.
    """

    name: str
    kind: str
    open: Callable[[Source], Any]
    media_types: tuple[str, ...] = ()
    extensions: tuple[str, ...] = ()
    sniff: Callable[[Source], bool] | None = None
    modules: tuple[str, ...] = ()
    extra: str | None = None
    remote: bool = False
    accepts_value: bool = False
    priority: int = 0
