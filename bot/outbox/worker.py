"""The outbox worker: committed rows -> transports, in order per target.

The dispatcher hands the rows of a command to `hand()` right after its commit
(no poll, no added latency); at start, the rows a stop or a crash left pending
are handed in the same way. A row not due yet (`not_before`) waits on a
timer until it is, outside its lane. Each target has a lane, so a room's messages keep
their order while rooms do not wait for each other. A row is marked sent after
its send, off the asker's path; a permanent failure marks it failed with the
reason (organizers see it with the deliveries command); a transient one is
retried with backoff, its attempts counted in the row, until it succeeds or
MAX_ATTEMPTS is reached. Marks of rows sent at the same time share one
transaction (bot/outbox/marks.py). Stopping cancels the lanes: what was not sent stays
pending in the table for the next start, where the same dedupe key (and so the
same Matrix transaction id) makes a resend of a half-sent message land once.
An edit row (bot/outbox/edits.py) is read again just before it is sent, and
marked sent only if its text is still what was sent.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import metrics
from bot.clock import Clock
from bot.db.engine import is_unavailable, writing
from bot.messages import Outgoing, PermanentDeliveryError, TransientDeliveryError
from bot.outbox import edits, rows
from bot.outbox.deliverers import Actor, Deliverer, Editor
from bot.outbox.lanes import Lanes
from bot.outbox.marks import SentMarks
from bot.outbox.rows import Delivery
from bot.retry import backoff_delay

log = logging.getLogger(__name__)

# With the delays below, about 15 minutes of trying before a message is given up.
MAX_ATTEMPTS = 30
RETRY_BASE_S = 0.5
RETRY_CAP_S = 60.0
# Recording a send waits for a locked database at most this long between tries.
DB_RETRY_CAP_S = 5.0
# The least time between two edits of one message (the status board's, by default).
EDIT_GAP_S = 3.0

Sleep = Callable[[float], Awaitable[Any]]
# Runs a callback after so many seconds; returns something with cancel().
Later = Callable[[float, Callable[[], None]], asyncio.TimerHandle]


async def _hand_over(deliverer: Deliverer, message: Outgoing) -> str | None:
    """Send a message, edit one, or do an action (a deliverer that cannot act has
    nothing to do; one that cannot edit posts the new text)."""
    if message.replaces is not None and isinstance(deliverer, Editor):
        await deliverer.edit(message)
        return None
    if message.action is None:
        return await deliverer.deliver(message)
    if isinstance(deliverer, Actor):
        return await deliverer.act(message)
    return None


class Sent:
    """The deliveries of one command: `wait()` returns once each was sent, failed or
    left for the next start (the worker stopped). Cancelling a wait leaves the
    deliveries alone."""

    def __init__(self, futures: Iterable[asyncio.Future[None]] = ()) -> None:
        self._futures = list(futures)

    async def wait(self) -> None:
        if self._futures:
            await asyncio.wait(self._futures)


class OutboxWorker:
    """Delivers outbox rows through the transports, one lane per target."""

    name = "outbox worker"

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        transports: Mapping[str, Deliverer],
        *,
        sleep: Sleep = asyncio.sleep,
        later: Later | None = None,
        rand: Callable[[], float] = random.random,
        max_attempts: int = MAX_ATTEMPTS,
        edit_gap_s: float = EDIT_GAP_S,
    ) -> None:
        self.edit_gap_s = edit_gap_s
        self.sessions = sessions
        self.clock = clock
        self.transports = transports
        self._sleep = sleep
        self._later = later
        self._timers: dict[int, asyncio.TimerHandle] = {}
        self._rand = rand
        self.max_attempts = max_attempts
        self._lanes: Lanes[Delivery] = Lanes(self._deliver)
        self._marks = SentMarks(sessions, clock)
        self._waiting: dict[int, asyncio.Future[None]] = {}
        self._started = False

    async def start(self) -> None:
        """Hand on what earlier runs left unsent (oldest first)."""
        self._started = True
        async with self.sessions() as session:
            left = await rows.pending(session, self.transports)
        if left:
            log.info("sending %d messages left unsent by the previous run", len(left))
        self.hand(left)

    async def stop(self) -> None:
        """Stop at once; unsent rows stay pending for the next start."""
        self._started = False
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        left = await self._lanes.close(0)
        await self._marks.close()
        if left:
            log.info("%d messages left for the next start", len(left))
        for future in self._waiting.values():
            future.cancel()
        self._waiting.clear()

    def hand(self, deliveries: Iterable[Delivery]) -> Sent:
        """Queue committed rows behind what their targets already have queued.

        A row not due yet (`not_before`, e.g. a reminder) waits on a timer, not in
        its lane, so it holds up nothing meant for the same person now.
        """
        futures = []
        for item in deliveries:
            future = self._waiting.get(item.id)
            if future is None:
                if not self._started or self._lanes.closed:
                    continue  # stays pending in the table
                future = asyncio.get_running_loop().create_future()
                self._waiting[item.id] = future
                early = (item.not_before - self.clock.now()).total_seconds()
                if early > 0:
                    later = self._later or asyncio.get_running_loop().call_later
                    self._timers[item.id] = later(early, functools.partial(self._due, item))
                else:
                    self._lanes.put(item.lane, item)
            if item.awaited:
                futures.append(future)
        return Sent(futures)

    def _due(self, item: Delivery) -> None:
        self._timers.pop(item.id, None)
        if not self._lanes.put(item.lane, item):
            self._waiting.pop(item.id, None)

    async def wait_idle(self) -> None:
        """Return once nothing is queued (tests)."""
        await self._lanes.wait_idle()

    async def _deliver(self, item: Delivery) -> None:
        try:
            await self._attempt(item)
        finally:
            future = self._waiting.pop(item.id, None)
            if future is not None and not future.done():
                future.set_result(None)

    async def _attempt(self, item: Delivery) -> None:
        transport = self.transports[item.network]
        attempts = item.attempts
        reference = item.message.reference
        target = item.message.room or item.message.user
        while True:
            try:
                message = await self._edit_as_it_stands(item)
                if message is None:
                    return  # sent meanwhile, gone, or failed as nothing is left to edit
                sent_as = await _hand_over(transport, message)
            except PermanentDeliveryError as exc:
                log.error("message [ref %s] to %s failed for good: %s", reference, target, exc)
                metrics.DELIVERY_FAILURES.labels(network=item.network).inc()
                await self._write(rows.mark_failed, item.id, str(exc))
                return
            except Exception as exc:  # transient, or a bug: both are worth another try
                attempts += 1
                problem = str(exc) or type(exc).__name__
                if attempts >= self.max_attempts:
                    reason = f"gave up after {attempts} attempts: {problem}"
                    log.error("message [ref %s] to %s: %s", reference, target, reason)
                    metrics.DELIVERY_FAILURES.labels(network=item.network).inc()
                    await self._write(rows.mark_failed, item.id, reason)
                    return
                delay = backoff_delay(attempts, base=RETRY_BASE_S, cap=RETRY_CAP_S,
                                      rand=self._rand)
                log.warning("message [ref %s] to %s not sent (attempt %d): %s; "
                            "retrying in %.1f s", reference, target, attempts, problem, delay)
                await self._write(rows.note_attempt, item.id, attempts, problem)
                await self._sleep(delay)
            else:
                if item.edit_of is not None:
                    if await self._edit_marked(item.id, message.text):
                        return
                    await self._sleep(self.edit_gap_s)  # a newer text came: edit again
                    continue
                # Votes will name a poll's message, edits will replace an editable one,
                # and a created chat room is recorded.
                if (item.message.poll is not None or item.message.editable
                        or (item.message.action and sent_as)):
                    await self._write(rows.mark_sent, item.id, self.clock.now(), sent_as)
                else:
                    await self._recording(lambda: self._marks.mark(item.id), item.id)
                return

    async def _edit_as_it_stands(self, item: Delivery) -> Outgoing | None:
        """The message to hand over: an edit with its text and target as they are in
        the table now (a newer text may have replaced it since it was handed here);
        None when there is nothing to send (a target that failed marks it failed).
        Raises TransientDeliveryError while the message it edits is not sent yet."""
        if item.edit_of is None:
            return item.message
        async with self.sessions() as session:
            now = await edits.edit_now(session, item.id, item.edit_of)
        if now is None or not now.pending:
            return None
        if now.orphaned:
            await self._write(rows.mark_failed, item.id, "the message it edits was never sent")
            return None
        if now.replaces is None:
            raise TransientDeliveryError("the message it edits is not sent yet")
        return replace(item.message, text=now.text, replaces=now.replaces)

    async def _edit_marked(self, row_id: int, text: str) -> bool:
        marked = False

        async def mark() -> None:
            nonlocal marked
            async with writing(self.sessions) as session:
                marked = await edits.mark_edit_sent(session, row_id, self.clock.now(), text)

        await self._recording(mark, row_id)
        return marked

    async def _write(
        self, change: Callable[..., Awaitable[None]], row_id: int, *args: Any
    ) -> None:
        async def write() -> None:
            async with writing(self.sessions) as session:
                await change(session, row_id, *args)

        await self._recording(write, row_id)

    async def _recording(self, record: Callable[[], Awaitable[None]], row_id: int) -> None:
        """Record an outcome; while the database cannot be reached (locked by another
        program), try again with backoff, so the lane neither drops the row nor sends
        it twice in this run."""
        failures = 0
        while True:
            try:
                await record()
                return
            except Exception as exc:
                if not is_unavailable(exc):
                    raise
                failures += 1
                delay = backoff_delay(failures, base=RETRY_BASE_S, cap=DB_RETRY_CAP_S,
                                      rand=self._rand)
                log.warning("could not record the outcome of outbox row %d (attempt %d): %s; "
                            "retrying in %.1f s", row_id, failures,
                            str(exc).splitlines()[0], delay)
                await self._sleep(delay)
