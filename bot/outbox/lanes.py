"""Ordered lanes, the outbox worker's in-memory queue.

`Lanes` keeps one lane per target (a room, or a person whose direct chat may
still have to be found): items in a lane are delivered one after the other,
in the order they were put, while lanes do not wait for each other. A lane's
task ends when its lane is empty, so idle rooms cost nothing. Nothing here is
durable: the rows are, and what a stop cancels is sent at the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class Lanes(Generic[T]):
    """Ordered lanes of items, each delivered by `deliver` (which logs its own failures)."""

    def __init__(self, deliver: Callable[[T], Awaitable[None]]) -> None:
        self._deliver = deliver
        self._lanes: dict[str, deque[T]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._idle = asyncio.Event()
        self._idle.set()
        self._closed = False

    @property
    def pending(self) -> int:
        """Items not yet delivered, including those being delivered right now."""
        return sum(len(lane) for lane in self._lanes.values())

    @property
    def closed(self) -> bool:
        return self._closed

    def put(self, lane: str, item: T) -> bool:
        """Queue `item` behind everything already in `lane`; False once closed."""
        if self._closed:
            return False
        queue = self._lanes.get(lane)
        if queue is None:
            queue = self._lanes[lane] = deque()
            self._idle.clear()
            self._workers[lane] = asyncio.create_task(self._work(lane, queue), name=f"out:{lane}")
        queue.append(item)
        return True

    async def _work(self, lane: str, queue: deque[T]) -> None:
        try:
            while queue:
                try:
                    await self._deliver(queue[0])
                except Exception:  # deliver logs its failures; this is the last line of defence
                    log.exception("delivering a message in lane %s failed", lane)
                # Removed only once handled, so a cancelled delivery is still listed as pending.
                queue.popleft()
        finally:
            if not queue or self._closed:
                self._lanes.pop(lane, None)
                self._workers.pop(lane, None)
                if not self._lanes:
                    self._idle.set()

    async def wait_idle(self) -> None:
        """Return once every lane is empty."""
        await self._idle.wait()

    async def close(self, grace_s: float) -> list[T]:
        """Stop taking items, let the lanes drain for up to `grace_s` seconds, and
        return what could not be delivered (cancelled in flight or never started)."""
        self._closed = True
        if self._workers and grace_s > 0:
            await asyncio.wait(list(self._workers.values()), timeout=grace_s)
        left = [item for queue in self._lanes.values() for item in queue]
        workers = list(self._workers.values())
        for worker in workers:
            worker.cancel()
        for worker in workers:
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        self._lanes.clear()
        self._workers.clear()
        self._idle.set()
        return left
