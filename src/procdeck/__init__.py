"""procdeck: a client, a Panel app and a local server for OGC API - Processes.

``import procdeck`` stays light: the client and models are loaded on first use,
and Panel, Bokeh and FastAPI only by the GUI and server subpackages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from procdeck._util.lazy import lazy_exports
from procdeck.ogc import display as _display

__version__ = "0.1.0"

# The GUI renders results and the notebook app for the layers below it, which never
# import it: they ask procdeck.ogc.display, which imports this provider on first use.
_display.add_provider("procdeck.gui.hooks")

_LAZY = {
    "Client": "procdeck.client",
    "AsyncClient": "procdeck.client",
    "ClientConfig": "procdeck.client",
    "ClientError": "procdeck.client",
    "ProcessRequest": "procdeck.ogc.models",
}

__all__ = ["AsyncClient", "Client", "ClientConfig", "ClientError", "ProcessRequest", "__version__"]

if TYPE_CHECKING:
    from procdeck.client import AsyncClient, Client, ClientConfig, ClientError
    from procdeck.ogc.models import ProcessRequest


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
