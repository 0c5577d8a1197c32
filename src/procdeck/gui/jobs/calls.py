"""Call the sync or the async client from asyncio code without blocking the event loop.

The GUI accepts either client. An :class:`~procdeck.client.AsyncClient` is
awaited directly; a blocking :class:`~procdeck.client.Client` runs in a worker
thread, so a slow or unreachable server never freezes the page (every session
of a Panel server shares one event loop). Panel-free.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Coroutine
from typing import Any

__all__ = ["call_client", "is_async_client", "spawn"]


def is_async_client(client: Any) -> bool:
    """True when ``client``'s API methods are coroutines (an ``AsyncClient``)."""
    return inspect.iscoroutinefunction(getattr(client, "get_job", None))


async def call_client(client: Any, method: str, /, *args: Any, **kwargs: Any) -> Any:
    """``client.<method>(*args, **kwargs)``, awaited or run in a worker thread."""
    function = getattr(client, method)
    if inspect.iscoroutinefunction(function):
        return await function(*args, **kwargs)
    return await asyncio.to_thread(function, *args, **kwargs)


# Strong references to fire-and-forget tasks (the event loop keeps only weak ones).
_BACKGROUND: set[asyncio.Task[Any]] = set()


def spawn(coroutine: Coroutine[Any, Any, Any]) -> None:
    """Run ``coroutine`` as a task of the running event loop, or to the end when none runs."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(coroutine)
        return
    task = loop.create_task(coroutine)
    _BACKGROUND.add(task)
    task.add_done_callback(_BACKGROUND.discard)
