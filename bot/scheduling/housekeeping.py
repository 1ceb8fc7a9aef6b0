"""Housekeeping jobs: keep bookkeeping tables from growing without bound."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.db import state
from bot.outbox import rows

log = logging.getLogger(__name__)

# Long past any redelivery: transports answer missed commands for minutes, not days.
HANDLED_EVENT_RETENTION = timedelta(days=7)
# Sent messages are kept a while for inspection; failed ones until an organizer
# has seen them (they are never pruned), pending ones until they are sent.
SENT_MESSAGE_RETENTION = timedelta(days=30)
PRUNE_INTERVAL = timedelta(hours=1)


async def prune_handled_events(sessions: async_sessionmaker[AsyncSession], clock: Clock) -> int:
    async with sessions() as session, session.begin():
        removed = await state.forget_events_before(session, clock.now() - HANDLED_EVENT_RETENTION)
    if removed:
        log.info("forgot %d handled event ids older than %s", removed, HANDLED_EVENT_RETENTION)
    return removed


async def prune_sent_messages(sessions: async_sessionmaker[AsyncSession], clock: Clock) -> int:
    async with sessions() as session, session.begin():
        removed = await rows.forget_sent_before(session, clock.now() - SENT_MESSAGE_RETENTION)
    if removed:
        log.info("forgot %d outbox rows sent over %s ago", removed, SENT_MESSAGE_RETENTION)
    return removed
