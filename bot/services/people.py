"""People: one row per chat identity, created only when there is something to keep."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Person


async def find(session: AsyncSession, network: str, user_id: str) -> Person | None:
    return await session.scalar(
        select(Person).where(Person.network == network, Person.user_id == user_id)
    )


async def ensure(session: AsyncSession, network: str, user_id: str, now: datetime) -> Person:
    person = await find(session, network, user_id)
    if person is None:
        person = Person(network=network, user_id=user_id, created_at=now, reminders=True)
        session.add(person)
        await session.flush()
    return person


def zone_of(person: Person | None, default: str) -> ZoneInfo:
    """The zone to show this person times in: their own, else the configured default."""
    return ZoneInfo(person.timezone if person and person.timezone else default)


async def set_zone(
    session: AsyncSession, network: str, user_id: str, zone: ZoneInfo, now: datetime
) -> Person:
    person = await ensure(session, network, user_id, now)
    person.timezone = zone.key
    return person
