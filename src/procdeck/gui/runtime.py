"""The app's one way to call the client off the UI thread, and to start background work.

The GUI accepts either client (see :class:`~procdeck.client.kinds.AnyClient`).
:func:`call_client` awaits an async client's coroutine and runs a sync
client's blocking call in a pool kept for client calls, so a slow or
unreachable server never freezes a page (all sessions of a Panel server share
one event loop) and cannot starve other work on the loop's default pool.
:func:`spawn` starts fire-and-forget work on the running loop. Panel-free.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

__all__ = ["call_client", "is_async_client", "spawn"]

T = TypeVar("T")

# Blocking client calls of every session run here, not in the loop's small default pool.
_CLIENT_THREADS = ThreadPoolExecutor(max_workers=16, thread_name_prefix="procdeck-client")


def is_async_client(client: object) -> bool:
    """True when ``client``'s API methods are coroutines (an ``AsyncClient``)."""
    return inspect.iscoroutinefunction(getattr(client, "get_job", None))


async def call_client(func: Callable[..., T | Awaitable[T]], /, *args: Any, **kwargs: Any) -> T:
    """``func(*args, **kwargs)`` without blocking the event loop.

    Coroutine functions (``AsyncClient`` methods) are awaited; plain functions
    (``Client`` methods) run in the client thread pool.
    """
    if inspect.iscoroutinefunction(func):
        return await func(*args, **kwargs)
    loop = asyncio.get_running_loop()
    result = await loop.run_in_executor(_CLIENT_THREADS, functools.partial(func, *args, **kwargs))
    if inspect.isawaitable(result):  # a sync-looking wrapper around an async call
        return await result
    return result


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
