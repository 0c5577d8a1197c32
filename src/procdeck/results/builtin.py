"""The built-in openers, offered through the ``procdeck.openers`` entry point like any
plug-in's. Importing this module imports no library: each opener imports its own on open."""

from __future__ import annotations

from procdeck.results._arrays import array_openers
from procdeck.results._geo import geo_openers
from procdeck.results._image import image_openers
from procdeck.results._plain import plain_openers
from procdeck.results._tables import table_openers
from procdeck.results.opener import Opener

__all__ = ["builtin_openers"]


def builtin_openers() -> list[Opener]:
    """Every built-in opener, in the order that breaks ties between equal matches."""
    return [*array_openers(), *table_openers(), *geo_openers(), *image_openers(),
            *plain_openers()]
