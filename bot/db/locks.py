"""Row locks for read-then-write work, so PostgreSQL is as safe as SQLite.

SQLite serializes every writing transaction (BEGIN IMMEDIATE, bot/db/engine.py),
so reading the seats left and then taking one cannot race. PostgreSQL runs
transactions side by side (read committed): two joins could both read "19 of
20" and both take the last seat. A transaction that changes seats therefore
locks the room row first (`SELECT ... FOR NO KEY UPDATE`), and work that
reconciles a workshop's reminders locks the workshop row: the next transaction
wanting the same row waits until this one commits, then reads what it committed.
On SQLite nothing is emitted (the whole database is already locked).

`NO KEY UPDATE`, not `UPDATE`: inserting a row that refers to the room or the
workshop (a membership, a reminder) takes a KEY SHARE lock on it, which FOR
UPDATE waits for; two transactions that had each inserted one and then asked
for FOR UPDATE would wait for each other (a deadlock). NO KEY UPDATE still
excludes every other NO KEY UPDATE, which is all the locking here needs.

An onboarding session's row is locked the same way by the sign-ups and capacity
changes that count its seats.

A person's row is locked by `!room add`, which counts the rooms they host before
adding one (`rooms.max_per_person`): two of their `!room add` at once would
otherwise both count 2 of 3 and both add one. Nothing else locks a person, and
it is locked before any room or workshop.

Locks are taken in id order, rooms and onboarding sessions before workshops, so
two transactions never wait for each other in a circle; where that cannot be
kept (a learner moving between rooms), PostgreSQL detects the deadlock and the
dispatcher runs the command again (bot/commands/dispatcher.py).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import LocalRoom, OnboardingSession, Person, Workshop


async def lock_rooms(session: AsyncSession, rooms: Iterable[LocalRoom]) -> None:
    """Lock the rooms' rows until the transaction ends, and reload them: a change
    committed while this transaction waited (capacity, status) is seen."""
    ids = sorted({room.id for room in rooms})
    if ids:
        await session.execute(
            select(LocalRoom)
            .where(LocalRoom.id.in_(ids))
            .order_by(LocalRoom.id)
            .with_for_update(of=LocalRoom, key_share=True)
            .execution_options(populate_existing=True)
        )


async def lock_person(session: AsyncSession, person: Person) -> None:
    """Lock a person's row until the transaction ends."""
    await session.execute(
        select(Person.id).where(Person.id == person.id).with_for_update(key_share=True)
    )


async def lock_onboarding(session: AsyncSession, onboarding: OnboardingSession) -> None:
    """Lock an onboarding session's row until the transaction ends, and reload it."""
    await session.execute(
        select(OnboardingSession)
        .where(OnboardingSession.id == onboarding.id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )


async def lock_workshops(session: AsyncSession, ids: Select[int]) -> None:
    """Lock the rows of the workshops whose ids the query selects, in id order."""
    await session.execute(
        select(Workshop.id)
        .where(Workshop.id.in_(ids))
        .order_by(Workshop.id)
        .with_for_update(key_share=True)
    )
