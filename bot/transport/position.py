"""Where a network's receiving left off, kept in the database between runs.

The rule that makes restarts neither repeat nor skip a command, for any
network: the position (a Matrix sync token, a Zulip event id) is saved only
after every command of the batch it ends has been handled, and each command
claims its event id in its own transaction. A crash in between re-delivers
the batch, whose handled events are then skipped one by one.

Once a batch's commands are handled its position need not hold up the next
batch, nor cost a write of its own: `save_later` saves it `SAVE_LATER_S` later,
the newest one only (a command often follows an answer within that time).
Lost in a crash, it costs the re-delivery of batches whose commands are
skipped by their claims.
"""

from __future__ import annotations

import asyncio
import logging

from bot.db.state import StateStore

log = logging.getLogger(__name__)

# How long a position given to `save_later` waits to be saved: the batches that
# come meanwhile (a command, the bot's own answer coming back) share one write.
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
        """Save `position` now; call only once every command of its batch is handled."""
        self._later = None  # older than `position`: never to be written after it
        self._stop_timer()
        await self._saved_later()
        await self.state.set(self.key, position)

    def save_later(self, position: str) -> None:
        """Save `position` (its batch's commands handled) soon, without waiting for it."""
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
