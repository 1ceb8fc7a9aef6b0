"""Archiving the local rooms' chats once their workshop is long over: an app component
with an hourly job (bot/services/chats.py `archive_due`), its rows handed to the outbox
worker after their commit."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.config import Settings
from bot.db.engine import is_unavailable, writing
from bot.outbox.rows import Delivery
from bot.services import chats

log = logging.getLogger(__name__)

JOB_ID = "archive-chats"
# Archiving is due on a day, not at a minute: an hour late is on time.
ARCHIVE_INTERVAL = timedelta(hours=1)


class ChatArchiver:
    """Archives due chats at start and every hour."""

    name = "chat archiver"

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], clock: Clock, settings: Settings,
        scheduler: AsyncIOScheduler, hand: Callable[[list[Delivery]], object],
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.settings = settings
        self.scheduler = scheduler
        self.hand = hand

    async def start(self) -> None:
        await self.run()
        self.scheduler.add_job(self.run, "interval", seconds=ARCHIVE_INTERVAL.total_seconds(),
                               id=JOB_ID, replace_existing=True)

    async def stop(self) -> None:
        if self.scheduler.get_job(JOB_ID) is not None:
            self.scheduler.remove_job(JOB_ID)

    async def run(self) -> int:
        """Archive what is due now; how many chats. A locked database waits for the
        next run."""
        try:
            async with writing(self.sessions) as session:
                written = await chats.archive_due(session, self.settings.chats, self.clock.now())
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            log.warning("database unavailable for archiving chats: %s", str(exc).splitlines()[0])
            return 0
        if written:
            log.info("archiving %d chats", len(written))
            self.hand(written)
        return len(written)
