"""A short-lived, process-level handover of a session's drafts to the session that replaces it.

Switching the theme reloads the page (Panel picks its theme when a session
starts), and a reload starts a new session. So that nothing typed is lost, the
old session puts its drafts here under a random one-time token, puts only the
token in the reload URL, and the new session takes them back. Entries are
consumed once, expire after :data:`HANDOVER_TTL` seconds and the store holds
at most :data:`HANDOVER_LIMIT` of them: no user data in the URL, no growth.
"""

from __future__ import annotations

import copy
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

__all__ = ["HANDOVER", "HANDOVER_LIMIT", "HANDOVER_TTL", "HandoverStore"]

HANDOVER_TTL = 60.0
HANDOVER_LIMIT = 64


class HandoverStore:
    """One-time tokens -> payloads, each taken at most once within ``ttl`` seconds.

    Thread-safe (sessions may run in threads). Payloads are deep-copied in and
    out, so neither side can change the other's data.
    """

    def __init__(self, *, ttl: float = HANDOVER_TTL, limit: int = HANDOVER_LIMIT,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.limit = limit
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            self._drop_expired()
            return len(self._entries)

    def put(self, payload: Any) -> str:
        """Keep ``payload``; returns the token that takes it back."""
        token = secrets.token_urlsafe(16)
        data = copy.deepcopy(payload)
        with self._lock:
            self._drop_expired()
            while len(self._entries) >= self.limit:
                self._entries.popitem(last=False)  # the oldest goes first
            self._entries[token] = (self._clock() + self.ttl, data)
        return token

    def take(self, token: str | None) -> Any | None:
        """The payload of ``token`` (removed), or ``None`` if unknown, taken or expired."""
        if not token:
            return None
        with self._lock:
            self._drop_expired()
            entry = self._entries.pop(token, None)
        return None if entry is None else copy.deepcopy(entry[1])

    def _drop_expired(self) -> None:
        now = self._clock()
        for token in [t for t, (deadline, _) in self._entries.items() if deadline <= now]:
            del self._entries[token]


HANDOVER = HandoverStore()
"""The store the app's sessions share (one per Python process)."""
