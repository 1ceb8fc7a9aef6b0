"""Where a network's receiving left off, kept in the database between runs.

The rule that makes restarts neither repeat nor skip a command, for any
network: the position (a Matrix sync token, a Zulip event id) is saved only
after every command of the batch it ends has been handled, and each command
claims its event id in its own transaction. A crash in between re-delivers
the batch, whose handled events are then skipped one by one.

A batch that handled nothing (the bot's own answers coming back, someone's
join) need not hold up the next one, nor cost a write of its own: its position
is saved `SAVE_LATER_S` later (`save_later`), the newest one only, unless a
batch with commands saves a newer one first. Lost in a crash, it costs the
re-delivery of batches that ask for nothing.
"""

from __future__ import annotations

import asyncio
import logging

from bot.db.state import StateStore

log = logging.getLogger(__name__)

# How long the position of a batch that handled nothing waits to be saved: a
# command often follows an answer within that time, and its save covers both.
SAVE_LATER_S = 2.0


class SyncPosition:
    def __init__(
        self, state: StateStore, key: str = "sync_token", *, later_s: float = SAVE_LATER_S
    ) -> None:
        self.state = state
        self.key = key
        self.later_s = later_s
        self._later: str | None = None  # the newest position waiting to be saved
        self._timer: asyncio.TimerHandle | None = None
        self._saver: asyncio.Task[None] | None = None

    async def load(self) -> str | None:
        """The saved position; None on the very first start."""
        return await self.state.get(self.key)

    async def save_after_batch(self, position: str) -> None:
        """Call only once every command of the batch has been handled."""
        self._later = None  # older than `position`: never to be written after it
        self._stop_timer()
        await self._saved_later()
        await self.state.set(self.key, position)

    def save_later(self, position: str) -> None:
        """Save `position`, of a batch that handled nothing, without waiting for it."""
        self._later = position
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.later_s, self._save_now)

    async def flush(self) -> None:
        """Save the position given to `save_later` now, and wait for it (or its failure)."""
        self._save_now()
        await self._saved_later()

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _save_now(self) -> None:
        self._stop_timer()
        if self._later is not None and (self._saver is None or self._saver.done()):
            self._saver = asyncio.create_task(self._save_later())

    async def _saved_later(self) -> None:
        if self._saver is not None and not self._saver.done():
            await asyncio.shield(self._saver)  # a cancelled caller leaves the save running

    async def _save_later(self) -> None:
        while self._later is not None:
            position, self._later = self._later, None
            try:
                await self.state.set(self.key, position)
            except Exception as exc:  # the next batch's save covers it
                log.warning("could not save the sync position: %s", exc)
