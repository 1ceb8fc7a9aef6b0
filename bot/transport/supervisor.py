"""Supervised retries for any network: wait, back off, and stop promptly.

A network's long-running loops (log in, receive) run their steps through a
`Supervisor`: a failing step is retried with exponential backoff and jitter
(never a busy loop, never a long silence: the delay is capped), and `stop()`
wakes every wait at once, raising `Stopped` in the loop that waited.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from bot.retry import backoff_delay

log = logging.getLogger(__name__)

R = TypeVar("R")


class Stopped(Exception):
    """stop() was called while waiting."""


class Supervisor:
    def __init__(
        self, *, base: float, cap: float, rand: Callable[[], float] = random.random
    ) -> None:
        self.base = base
        self.cap = cap
        self._rand = rand
        self._stopping = asyncio.Event()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def stop(self) -> None:
        self._stopping.set()

    def backoff(self, attempt: int) -> float:
        return backoff_delay(attempt, base=self.base, cap=self.cap, rand=self._rand)

    async def pause(self, seconds: float) -> None:
        """Sleep, but wake up (raising Stopped) as soon as stop() is called."""
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except TimeoutError:
            return
        raise Stopped

    async def until_stopped(self, work: Awaitable[R]) -> R:
        """Run `work`; cancel it and raise Stopped if stop() comes first."""
        task = asyncio.ensure_future(work)
        stopper = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
        except BaseException:
            task.cancel()
            raise
        finally:
            stopper.cancel()
        if not task.done():
            task.cancel()
            await asyncio.wait({task})  # let it unwind; its outcome no longer matters
            raise Stopped
        return task.result()

    async def supervised(
        self,
        step: Callable[[], Awaitable[None]],
        what: str,
        *,
        fatal: tuple[type[Exception], ...] = (),
    ) -> None:
        """Retry `step` with backoff until it succeeds; `fatal` errors are not retried."""
        attempt = 0
        while True:
            if self.stopping:
                raise Stopped
            try:
                await self.until_stopped(step())
                return
            except Stopped:
                raise
            except Exception as exc:
                if isinstance(exc, fatal):
                    raise
                attempt += 1
                delay = self.backoff(attempt)
                log.warning("could not %s (attempt %d): %s; retrying in %.1f s",
                            what, attempt, exc or type(exc).__name__, delay)
                await self.pause(delay)
