"""``Reentry``: a marker for "this object is making the change itself".

A watcher that keeps two things in step (a field's value and its text, a view-model and
its widget) also sees the echo of its own writes. ``param.update`` makes several writes
one batch of events but does not say whose write it was, and
``param.parameterized.discard_events`` silences every watcher of the object, also the
ones that must hear the change (the page, the form above). Where only the writer's own
watcher must let the echo pass, the writer holds a :class:`Reentry` while it writes and
that watcher returns while it is held::

    with self._own_change:
        self.value = derived          # other watchers see the change as usual

    def _on_value(self, event):
        if self._own_change:          # our own write: nothing to bring in line
            return
        ...

Holds nest (a counter, not a flag): an inner hold ending leaves the outer one held.
"""

from __future__ import annotations

from types import TracebackType

__all__ = ["Reentry"]


class Reentry:
    """A context manager that is true while held (see the module's docstring)."""

    __slots__ = ("_depth",)

    def __init__(self) -> None:
        self._depth = 0

    def __enter__(self) -> Reentry:
        self._depth += 1
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._depth -= 1

    def __bool__(self) -> bool:
        return self._depth > 0

    def __repr__(self) -> str:
        return f"Reentry(held={self._depth > 0})"
