"""What the sync and async clients share besides the core: configuration and display."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from procdeck.client._core import ClientCore
from procdeck.client.config import ClientConfig
from procdeck.ogc.display import NOTEBOOK_HOOK, get_hook

GUI_HINT = "pip install procdeck[gui]"


def resolve_config(
    server_url: str | None,
    access_token: str | None,
    user_name: str | None,
    config: ClientConfig | None,
) -> ClientConfig:
    """``config`` with the given arguments on top, or the settings resolved by ClientConfig.load."""
    if config is None:
        return ClientConfig.load(server_url, access_token, user_name)
    if server_url is None and access_token is None and user_name is None:
        return config
    return ClientConfig(
        server_url=server_url or config.server_url,
        access_token=access_token or config.access_token,
        user_name=user_name or config.user_name,
    )


def notebook_module() -> ModuleType:
    """The GUI's notebook module (``show_app``, ``show_jobs``, ``show_form``).

    Found through the display hook the GUI registers (see
    :mod:`procdeck.ogc.display`), so the client never imports the GUI; an
    ImportError says how to install it.
    """
    provide = get_hook(NOTEBOOK_HOOK)
    if provide is None:
        raise ImportError(f"the procdeck app is not installed: {GUI_HINT}")
    return provide()


class ClientBase:
    """Configuration, display and the notebook app entry points of both clients."""

    _core: ClientCore

    def __init__(self, config: ClientConfig) -> None:
        self._core = ClientCore(config)

    @property
    def config(self) -> ClientConfig:
        """The client's configuration (server URL, token, user name)."""
        return self._core.config

    @property
    def server_url(self) -> str:
        """The server's base URL."""
        return self._core.config.server_url

    def __repr__(self) -> str:
        return self._core.config.to_json()

    def _repr_json_(self) -> tuple[dict[str, Any], dict[str, Any]]:
        return self._core.config.to_dict(), {"expanded": True, "root": type(self).__name__}

    def show(self, **kwargs: Any) -> Any:
        """The procdeck app for this client (processes, forms, jobs), for a notebook cell."""
        return notebook_module().show_app(self, **kwargs)

    def show_jobs(self, **kwargs: Any) -> Any:
        """The live job table alone, for a notebook cell."""
        return notebook_module().show_jobs(self, **kwargs)

    def show_form(self, process_id: str, **kwargs: Any) -> Any:
        """The input form of one process; its value can be read in Python."""
        return notebook_module().show_form(self, process_id, **kwargs)
