"""Shared server state, reached from routes through FastAPI dependencies (no globals)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request

from procdeck.server.errors import ProblemError
from procdeck.server.jobs import JobManager
from procdeck.server.registry import ProcessRegistry

__all__ = ["ServerState", "StateDep", "base_url", "get_state"]


@dataclass
class ServerState:
    """What every route needs: the registry, the job manager (while running) and caches."""

    registry: ProcessRegistry
    title: str
    description: str
    manager_: JobManager | None = None
    cache: dict[Any, bytes] = field(default_factory=dict)
    """Ready-made response bodies that never change while the server runs (by key)."""

    @property
    def manager(self) -> JobManager:
        """The job manager; 503 before start-up finished or after shutdown began."""
        if self.manager_ is None:
            raise ProblemError(503, "Service unavailable", "The job manager is not running")
        return self.manager_


def get_state(request: Request) -> ServerState:
    """Dependency: the app's :class:`ServerState`."""
    return request.app.state.procdeck


StateDep = Annotated[ServerState, Depends(get_state)]


def base_url(request: Request) -> str:
    """The server's base URL as the client reached it, without a trailing slash."""
    return str(request.base_url).rstrip("/")
