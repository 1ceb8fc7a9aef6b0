"""The only place that reads the time. Everything else receives a Clock.

A clock says whether it moves by itself (the system's) or only when told to (a
test's, the console's rehearsal on a simulated clock): no real timer can match
the second kind, so what waits for a time asks the clock, never its class.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    @property
    def moves_by_itself(self) -> bool:
        """True when time passes on its own; False when it moves only when told to
        (then whoever moves it delivers what falls due, and timers are not armed)."""
        ...

    def now(self) -> datetime:
        """The current instant, aware, in UTC."""
        ...


class SetClock(Clock, Protocol):
    """A clock that is moved by being set (the rehearsal's simulated time)."""

    def set(self, instant: datetime) -> None: ...


class SystemClock:
    moves_by_itself = True

    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that only moves when told to; for tests and simulations."""

    moves_by_itself = False

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self._now = instant.astimezone(UTC)
