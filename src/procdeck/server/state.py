"""Shared server state, reached from routes through FastAPI dependencies (no globals)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Annotated, Any

from fastapi import Depends, Request

from procdeck.server.callbacks import CallbackSettings
from procdeck.server.errors import ProblemError
from procdeck.server.jobs import JobManager
from procdeck.server.registry import ProcessRegistry

__all__ = ["ServerState", "StateDep", "base_url", "get_state", "state_of"]


@dataclass
class ServerState:
    """What every route needs: the registry, the job manager (while running) and caches."""

    registry: ProcessRegistry
    title: str
    description: str
    manager_: JobManager | None = None
    callbacks: CallbackSettings = field(default_factory=CallbackSettings)
    """Which callback hosts are allowed and how callbacks are delivered."""
    cache: dict[Any, bytes] = field(default_factory=dict)
    """Ready-made response bodies that never change while the server runs (by key)."""

    @property
    def manager(self) -> JobManager:
        """The job manager; 503 before start-up finished or after shutdown began."""
        if self.manager_ is None:
            raise ProblemError(503, "Service unavailable", "The job manager is not running")
        return self.manager_


async def get_state(request: Request) -> ServerState:
    """Dependency: the app's :class:`ServerState`."""
    return request.app.state.procdeck


StateDep = Annotated[ServerState, Depends(get_state)]


def state_of(request: Request) -> ServerState:
    """The app's :class:`ServerState` (for hot routes, without dependency resolution)."""
    return request.app.state.procdeck


def base_url(request: Request) -> str:
    """The server's base URL as the client reached it (``Host`` header), no trailing slash."""
    scope = request.scope
    host: bytes | None = None
    for name, value in scope["headers"]:
        if name == b"host":
            host = value
            break
    server = scope.get("server")
    return _base_url(scope.get("scheme", "http"), host, tuple(server) if server else None,
                     scope.get("root_path", ""))


@lru_cache(maxsize=64)
def _base_url(
    scheme: str, host: bytes | None, server: tuple[str, int] | None, root_path: str
) -> str:
    # Cached: building it through Starlette's URL objects costs more than the rest of a
    # status read. The same few (scheme, host) pairs come back on every request.
    if host:
        authority = host.decode("latin-1")
    elif server:
        name, port = server
        default = {"http": 80, "https": 443}.get(scheme)
        authority = name if port == default else f"{name}:{port}"
    else:
        authority = "localhost"
    return f"{scheme}://{authority}{root_path}".rstrip("/")
