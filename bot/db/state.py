"""Handled events and transport state: what makes restarts neither repeat nor skip.

`transport_state` also holds a few facts of the bot's own, under the network
`bot` (the console's feedback key, the reminders' fingerprint of
bot/scheduling/at_start.py)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.engine import writing
from bot.db.models import HandledEvent, TransportState


async def was_handled(session: AsyncSession, network: str, event_id: str) -> bool:
    return await session.get(HandledEvent, (network, event_id)) is not None


# Built once, on the table (no ORM bulk insert path): every command claims its event.
_HANDLED: Table = HandledEvent.__table__  # type: ignore[assignment]
_CLAIM = {
    "sqlite": sqlite_insert(_HANDLED).on_conflict_do_nothing(),
    "postgresql": postgresql_insert(_HANDLED).on_conflict_do_nothing(),
}


async def claim_event(session: AsyncSession, network: str, event_id: str, now: datetime) -> bool:
    """Record the event as handled; False when it already was (a redelivery).

    One statement (insert unless present), not a look-up and an insert: every
    command claims its event, so this is on every answer's path.
    """
    values = {"network": network, "event_id": event_id, "handled_at": now}
    statement = _CLAIM.get(session.get_bind().dialect.name)
    if statement is None:  # another database: look, then insert
        if await was_handled(session, network, event_id):
            return False
        session.add(HandledEvent(**values))
        await session.flush()
        return True
    result = await session.execute(statement, values)
    return bool(getattr(result, "rowcount", 0))


async def forget_events_before(session: AsyncSession, cutoff: datetime) -> int:
    result = await session.execute(delete(HandledEvent).where(HandledEvent.handled_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)


async def value_of(session: AsyncSession, network: str, key: str) -> str | None:
    """A key-value fact, in the caller's transaction."""
    return await session.scalar(
        select(TransportState.value).where(
            TransportState.network == network, TransportState.key == key
        )
    )


async def put(session: AsyncSession, network: str, key: str, value: str | None) -> None:
    """Write (None: delete) a key-value fact in the caller's transaction: one statement
    (the sync token is written after every sync batch)."""
    where = (TransportState.network == network, TransportState.key == key)
    if value is None:
        await session.execute(delete(TransportState).where(*where))
        return
    values = {"network": network, "key": key, "value": value}
    dialect = session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        insert: Any = sqlite_insert if dialect == "sqlite" else postgresql_insert
        await session.execute(insert(TransportState).values(values).on_conflict_do_update(
            index_elements=["network", "key"], set_={"value": value}
        ))
        return
    row = await session.get(TransportState, (network, key))
    if row is None:
        session.add(TransportState(**values))
    else:
        row.value = value


class StateStore:
    """Key-value facts of one transport, each write its own transaction."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], network: str) -> None:
        self.sessions = sessions
        self.network = network

    async def get(self, key: str) -> str | None:
        async with self.sessions() as session:
            return await value_of(session, self.network, key)

    async def set(self, key: str, value: str | None) -> None:
        async with writing(self.sessions) as session:
            await put(session, self.network, key, value)

    async def set_many(self, values: Mapping[str, str | None]) -> None:
        """Several facts that only make sense together, in one transaction."""
        async with writing(self.sessions) as session:
            for key, value in values.items():
                await put(session, self.network, key, value)
