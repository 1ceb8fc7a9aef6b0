"""Where a network's receiving left off, kept in the database between runs.

The rule that makes restarts neither repeat nor skip a command, for any
network: the position (a Matrix sync token, a Zulip event id) is saved only
after every command of the batch it ends has been handled, and each command
claims its event id in its own transaction. A crash in between re-delivers
the batch, whose handled events are then skipped one by one.
"""

from __future__ import annotations

from bot.db.state import StateStore


class SyncPosition:
    def __init__(self, state: StateStore, key: str = "sync_token") -> None:
        self.state = state
        self.key = key

    async def load(self) -> str | None:
        """The saved position; None on the very first start."""
        return await self.state.get(self.key)

    async def save_after_batch(self, position: str) -> None:
        """Call only once every command of the batch has been handled."""
        await self.state.set(self.key, position)
