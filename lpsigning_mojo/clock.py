"""Time, injected: every wait takes a :class:`Clock`.

Code that waits (retries with backoff, polling, soaks) asks a ``Clock`` for
the time and to sleep, so tests pass a fake clock whose ``sleep`` advances
time instead of sleeping (:class:`lpsigning_mojo.testing.FakeClock`).
"""

from __future__ import annotations

import time
from typing import Protocol

__all__ = ["Clock", "SystemClock"]


class Clock(Protocol):
    """What a wait needs from time: a monotonic reading and a way to sleep."""

    def monotonic(self) -> float:
        """Seconds since an arbitrary fixed point; never goes backwards."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds``."""
        ...


class SystemClock:
    """The real clock: :func:`time.monotonic` and :func:`time.sleep`."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)
