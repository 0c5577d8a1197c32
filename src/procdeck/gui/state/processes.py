"""The process list: fetched into a :class:`~procdeck.gui.browser.ProcessCatalog`.

A list the server refused (an HTTP error, not a lost connection, which the
:class:`~procdeck.gui.connection.ConnectionMonitor` handles) is asked for again,
with backoff, by :meth:`ProcessLoader.tick`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from procdeck._util.backoff import Backoff
from procdeck.client.errors import ClientError
from procdeck.gui.browser import ProcessCatalog
from procdeck.gui.connection import (
    ConnectionMonitor,
    ConnectionStatus,
    is_connection_error,
    offline_reason,
)
from procdeck.ogc.models import ProcessList

__all__ = ["ProcessLoader"]


class ProcessLoader:
    """Loads the catalog's processes; one request at a time, shared by whoever asks.

    Args:
        catalog: where the list goes (and ``load_error`` when it was refused).
        connection: the monitor; no retry is due while it is offline (it retries itself).
        fetch: the client call, reported to the monitor (raises ``ClientError``).
        report: tells the person about a refusal (once, not at every retry).
    """

    def __init__(
        self,
        catalog: ProcessCatalog,
        connection: ConnectionMonitor,
        fetch: Callable[[], Awaitable[ProcessList]],
        report: Callable[[BaseException], None],
        *,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.catalog = catalog
        self.connection = connection
        self._fetch = fetch
        self._report = report
        self.backoff = backoff or Backoff()
        self._clock = clock
        self._retry_at = 0.0
        self._task: asyncio.Task[bool] | None = None

    @property
    def busy(self) -> bool:
        """True while a request for the list is on its way."""
        return self._task is not None and not self._task.done()

    async def load(self) -> bool:
        """Fetch the process list; returns whether it worked.

        A request already on its way is shared, not sent again. Code that runs
        inside that request (a recovery callback of the monitor) gets ``False``:
        waiting for the request it is part of would never end.
        """
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._load())
        elif self._task is asyncio.current_task():
            return False
        return await asyncio.shield(self._task)

    async def _load(self) -> bool:
        try:
            processes = await self._fetch()
        except ClientError as error:
            if not is_connection_error(error):
                if not self.catalog.load_error:  # tell once, not at every retry
                    self._report(error)
                self._retry_at = self._clock() + self.backoff.next_delay()
                self.catalog.load_error = offline_reason(error)
            return False
        self.backoff.reset()
        self.catalog.set_processes(processes.processes)
        return True

    def is_due(self) -> bool:
        """True when a refused list should be asked for again now."""
        return bool(
            not self.catalog.loaded and self.catalog.load_error and not self.busy
            and self.connection.status != ConnectionStatus.OFFLINE
            and self._clock() >= self._retry_at
        )
