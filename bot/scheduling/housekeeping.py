"""Housekeeping jobs: keep bookkeeping tables from growing without bound."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.db import state
from bot.outbox import rows

log = logging.getLogger(__name__)

# Long past any redelivery: transports answer missed commands for minutes, not days.
HANDLED_EVENT_RETENTION = timedelta(days=7)
# Sent messages are kept a while for inspection; failed ones until an organizer
# has seen them (they are never pruned), pending ones until they are sent, and a
# sent poll for good (one row a network and workshop day: votes find it by its id).
SENT_MESSAGE_RETENTION = timedelta(days=30)
PRUNE_INTERVAL = timedelta(hours=1)


Forget = Callable[[AsyncSession, datetime], Awaitable[int]]


async def _prune(
    sessions: async_sessionmaker[AsyncSession], forget: Forget, cutoff: datetime, what: str
) -> int:
    async with sessions() as session, session.begin():
        removed = await forget(session, cutoff)
    if removed:
        log.info("forgot %d %s before %s", removed, what, cutoff)
    return removed


async def prune_handled_events(sessions: async_sessionmaker[AsyncSession], clock: Clock) -> int:
    cutoff = clock.now() - HANDLED_EVENT_RETENTION
    return await _prune(sessions, state.forget_events_before, cutoff, "handled event ids")


async def prune_sent_messages(sessions: async_sessionmaker[AsyncSession], clock: Clock) -> int:
    cutoff = clock.now() - SENT_MESSAGE_RETENTION
    return await _prune(sessions, rows.forget_sent_before, cutoff, "outbox rows sent")
