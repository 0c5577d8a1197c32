"""Exponential backoff: how long to wait after failures in a row."""

from __future__ import annotations

__all__ = ["Backoff", "backoff_delay"]


def backoff_delay(failures: int, *, initial: float, maximum: float, factor: float = 2.0) -> float:
    """Seconds to wait after ``failures`` (1 or more) failures in a row.

    ``initial`` after the first, times ``factor`` after each further one, at most
    ``maximum`` (also when the product would overflow a float).
    """
    try:
        delay = initial * factor ** max(failures - 1, 0)
    except OverflowError:
        return maximum
    return min(maximum, delay)


class Backoff:
    """Counts failures in a row and says how long to wait: see :func:`backoff_delay`."""

    def __init__(self, initial: float = 0.5, factor: float = 2.0, maximum: float = 10.0) -> None:
        self.initial = initial
        self.factor = factor
        self.maximum = maximum
        self.failures = 0

    def next_delay(self) -> float:
        """Count one more failure and return how long to wait before the next try."""
        self.failures += 1
        return backoff_delay(
            self.failures, initial=self.initial, maximum=self.maximum, factor=self.factor
        )

    def reset(self) -> None:
        """Forget the failures (after a success)."""
        self.failures = 0
