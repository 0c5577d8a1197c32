"""Process descriptions: cached for the session, each fetched once however many ask."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable

from procdeck.client.errors import ClientError
from procdeck.ogc.models import ProcessDescription

__all__ = ["PREFETCH_CONCURRENCY", "DescriptionCache"]

PREFETCH_CONCURRENCY = 4


class DescriptionCache:
    """Descriptions by process id: :attr:`cached`, in flight, or fetched on demand.

    ``fetch(process_id)`` is the client call (reported to the connection monitor;
    raises ``ClientError``). Callers asking for a description already on its way
    share that one request; a failed fetch is not cached (the next ask tries again).
    """

    def __init__(self, fetch: Callable[[str], Awaitable[ProcessDescription]]) -> None:
        self._fetch = fetch
        self.cached: dict[str, ProcessDescription] = {}
        self._in_flight: dict[str, asyncio.Task[ProcessDescription]] = {}

    def get(self, process_id: str) -> ProcessDescription | None:
        """The description if it is cached (no request)."""
        return self.cached.get(process_id)

    def is_fetching(self, process_id: str) -> bool:
        """True while the description of ``process_id`` is on its way."""
        return process_id in self._in_flight

    async def fetch(self, process_id: str) -> ProcessDescription:
        """The description of ``process_id``: cached, in flight, or fetched now."""
        cached = self.cached.get(process_id)
        if cached is not None:
            return cached
        task = self._in_flight.get(process_id)
        if task is None:
            task = asyncio.ensure_future(self._fetch(process_id))
            self._in_flight[process_id] = task
            task.add_done_callback(lambda done: self._settle(process_id, done))
        # shielded: one caller giving up (a cancelled click) does not cancel the others' fetch
        return await asyncio.shield(task)

    def _settle(self, process_id: str, task: asyncio.Task[ProcessDescription]) -> None:
        self._in_flight.pop(process_id, None)
        if not task.cancelled() and task.exception() is None:
            self.cached[process_id] = task.result()

    async def prefetch(self, process_ids: Iterable[str], *,
                       concurrency: int = PREFETCH_CONCURRENCY) -> None:
        """Fetch the descriptions not cached yet, ``concurrency`` at a time.

        Failures are ignored: opening the process fetches it again and shows why.
        """
        gate = asyncio.Semaphore(concurrency)

        async def one(process_id: str) -> None:
            async with gate:
                try:
                    await self.fetch(process_id)
                except ClientError:
                    return

        ids = [process_id for process_id in process_ids if process_id not in self.cached]
        await asyncio.gather(*(one(process_id) for process_id in ids))
