"""Housekeeping jobs: keep bookkeeping tables from growing without bound."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.db import state

log = logging.getLogger(__name__)

# Long past any redelivery: transports answer missed commands for minutes, not days.
HANDLED_EVENT_RETENTION = timedelta(days=7)
PRUNE_INTERVAL = timedelta(hours=1)


async def prune_handled_events(sessions: async_sessionmaker[AsyncSession], clock: Clock) -> int:
    async with sessions() as session, session.begin():
        removed = await state.forget_events_before(session, clock.now() - HANDLED_EVENT_RETENTION)
    if removed:
        log.info("forgot %d handled event ids older than %s", removed, HANDLED_EVENT_RETENTION)
    return removed
