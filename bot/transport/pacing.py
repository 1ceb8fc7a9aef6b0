"""Pacing after HTTP 429, for any network whose server answers "too many requests".

`Pacer` spaces requests out after the server answered 429: everyone waits for
the time it asked for, and for a while afterwards requests go one at a time,
so a dozen lanes do not all retry at the same instant and get limited again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

R = TypeVar("R")


class Pacer:
    """Waits out HTTP 429s for one family of requests (message sends, or the rest)."""

    # After a 429, requests go one at a time for this long: the homeserver's
    # token bucket refills slowly, and parallel retries would only be refused.
    SERIAL_WINDOW_S = 60.0

    def __init__(
        self, monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._monotonic = monotonic
        self._sleep = sleep
        self._lock = asyncio.Lock()
        self._not_before = 0.0
        self._serial_until = 0.0

    @property
    def limited(self) -> bool:
        """Whether a 429 was seen recently (requests are serialized)."""
        return self._monotonic() < self._serial_until

    def limited_for(self, seconds: float) -> None:
        """The homeserver said: nothing more for `seconds`."""
        now = self._monotonic()
        self._not_before = max(self._not_before, now + seconds)
        self._serial_until = max(self._serial_until, now + seconds + self.SERIAL_WINDOW_S)

    async def run(self, request: Callable[[], Awaitable[R]]) -> R:
        """Make the request when it is its turn."""
        async with self._lock:
            delay = self._not_before - self._monotonic()
            if delay > 0:
                await self._sleep(delay)  # the homeserver's retry_after_ms, not a poll
            if self.limited:
                return await request()
        return await request()
