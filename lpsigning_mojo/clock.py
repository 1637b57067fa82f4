"""Time, injected: every wait, and every timestamp, takes a :class:`Clock`.

Code that waits (retries with backoff, polling, soaks) asks a ``Clock`` for
the time and to sleep, so tests pass :class:`lpsigning_mojo.testing.FakeClock`,
whose ``sleep`` advances time instead of sleeping.
"""

from __future__ import annotations

import time
from typing import Protocol

__all__ = ["SYSTEM_CLOCK", "Clock", "SystemClock", "iso_utc"]


class Clock(Protocol):
    """A source of monotonic time that can wait."""

    def monotonic(self) -> float:
        """Seconds since an arbitrary fixed point; never goes backwards."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (a fake clock just advances its time)."""
        ...

    def time(self) -> float:
        """Wall-clock time, seconds since the Unix epoch, for journals and logs.

        Use :meth:`monotonic` to measure durations and deadlines; wall time
        can jump (NTP, a changed time zone does not, but a set clock does).
        """
        ...


class SystemClock:
    """The real clock: :func:`time.monotonic` and :func:`time.sleep`."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def time(self) -> float:
        return time.time()


SYSTEM_CLOCK: Clock = SystemClock()


def iso_utc(seconds: float) -> str:
    """Wall time ``seconds`` (since the epoch) as ISO 8601 in UTC: ``2026-11-24T10:15:00Z``.

    The one form every ``--format json`` gives an instant this tool recorded in.
    """
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))
