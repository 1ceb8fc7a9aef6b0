"""Marking sent rows, many in one transaction (a group commit).

Each delivered row is marked sent before its lane moves on; lanes that finish
while a mark is being written wait for the next write, which marks all of them
at once. One person's reply costs one small transaction. Sends that finish
together share one (a recording transport, a burst); on a real homeserver the
sends of an announcement finish one by one, and most marks are still a
transaction each (bench/fanout.py, docs/performance.md).
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, case, literal, null, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.db.engine import writing
from bot.db.models import DeliveryStatus, OutboxMessage

# Built once (a mark is written for nearly every message), on the table: a bulk
# mark needs none of the ORM's session synchronisation (its session holds no rows).
OUTBOX: Table = OutboxMessage.__table__  # type: ignore[assignment]
# A row to a direct chat keeps, once sent (or failed for good), only what dedupe
# and `!deliveries` need (key, network, target, status, times, attempts, reference,
# error): what it said (text, mentions, what it answered, its file) is dropped in
# the same statement.
_DROPPED = ("reply_to_event", "reply_to_room", "thread_root", "mentions", "attachment_name",
            "attachment_type", "attachment_data", "poll")
DROP_IF_DIRECT: dict[str, Any] = {
    "text": case((OUTBOX.c.direct, literal("")), else_=OUTBOX.c.text),
    **{name: case((OUTBOX.c.direct, null()), else_=OUTBOX.c[name]) for name in _DROPPED},
}
MARK_SENT = (
    update(OUTBOX)
    .where(OUTBOX.c.id.in_(bindparam("ids", expanding=True)))
    .values(status=DeliveryStatus.SENT, sent_at=bindparam("now", type_=OUTBOX.c.sent_at.type),
            error=None, **DROP_IF_DIRECT)
)


async def mark_sent_many(session: AsyncSession, row_ids: list[int], now: datetime) -> None:
    await session.execute(MARK_SENT, {"ids": row_ids, "now": now})


class SentMarks:
    """`await mark(row_id)` returns once the row is marked sent (committed)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock
        self._pending: list[tuple[int, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def mark(self, row_id: int) -> None:
        future = asyncio.get_running_loop().create_future()
        self._pending.append((row_id, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write(), name="outbox sent marks")
        await asyncio.shield(future)

    async def _write(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                async with writing(self.sessions) as session:
                    await mark_sent_many(session, [row_id for row_id, _ in batch],
                                         self.clock.now())
            except BaseException as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
            else:
                for _, future in batch:
                    if not future.done():
                        future.set_result(None)

    async def close(self) -> None:
        """Let the write under way (and what queued behind it) finish."""
        if self._writer is not None:
            with contextlib.suppress(Exception):
                await self._writer
