"""Time, injected: every wait takes a :class:`Clock`.

Code that waits (retries with backoff, polling, soaks) asks a ``Clock`` for
the time and to sleep, so tests pass :class:`lpsigning_mojo.testing.FakeClock`,
whose ``sleep`` advances time instead of sleeping.
"""

from __future__ import annotations

import time
from typing import Protocol

__all__ = ["SYSTEM_CLOCK", "Clock", "SystemClock"]


class Clock(Protocol):
    """A source of monotonic time that can wait."""

    def monotonic(self) -> float:
        """Seconds since an arbitrary fixed point; never goes backwards."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (a fake clock just advances its time)."""
        ...


class SystemClock:
    """The real clock: :func:`time.monotonic` and :func:`time.sleep`."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


SYSTEM_CLOCK: Clock = SystemClock()
