"""Forget-me: the person's rows are deleted by key, and their id in free text is
replaced where the whole id stands; nobody else's identity changes.

Generic on purpose, so a table added later is covered without a change here:
every row of a table with a foreign key to `person` is deleted (memberships,
sign-ups, conversations, reminders...) unless the key is ON DELETE SET NULL (it
only names them: who reported a room's attendance), and so is every outbox row to the
person or to their direct chats (not sent yet: never sent; sent: its log goes).
In every other text column the whole id (bot/services/whole_ids.py) becomes
`[forgotten]`, except in the columns a model marks `IDENTITY` (user ids, rooms,
keys, tokens: another person's identity is never rewritten); `mentions` loses
exactly the person's line. Their feedback responses and poll votes stay, with
the pseudonym cleared: anonymous. Leaving their direct chats is the transport's
part (an outbox action, written by the command with its answer).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Enum, String, Table, Text, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    Base,
    FeedbackResponse,
    LocalRoom,
    MemberRole,
    Membership,
    OutboxMessage,
    Person,
    PollVote,
)
from bot.services import feedback, seat_history, seats, tallies, whole_ids
from bot.text import escape

KIND = "forget-me"
QUESTION = (
    "This removes your user id and everything about you from the bot: your room seats "
    "and waitlist places, team roles, sign-ups, reminders and messages not sent yet. "
    "Feedback you gave stays, as anonymous answers. This cannot be undone.\n"
    "Type `yes` to forget you; anything else keeps everything."
)
GONE = "[forgotten]"


async def forget(
    session: AsyncSession, key: bytes, person: Person, now: datetime,
    direct_rooms: Collection[str] = (),
) -> list[tuple[LocalRoom, list[Person]]]:
    """Forget the person (`direct_rooms`: their direct chats the bot knows of, e.g.
    where they confirmed); the seats they held go to the next on the waitlists
    (returned per room, so they are told), and the seat history (anonymous, kept)
    says they were given up `now` (the clock's time)."""
    user_id = person.user_id
    held = list(await session.scalars(
        select(Membership).where(Membership.person_id == person.id)))
    rooms = {m.room.id: m.room for m in held if m.role is MemberRole.LEARNER}
    places = {m.room.id: m.room for m in held}
    for answered in (FeedbackResponse, PollVote):
        await session.execute(
            update(answered).where(answered.respondent == feedback.pseudonym(key, person))
            .values(respondent=None))
    to_them = OutboxMessage.person == user_id
    if direct_rooms:
        to_them = or_(to_them, OutboxMessage.direct & OutboxMessage.room.in_(direct_rooms))
    await session.execute(
        delete(OutboxMessage).where(OutboxMessage.network == person.network, to_them))
    person_table = Base.metadata.tables[Person.__tablename__]
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            # A key ON DELETE SET NULL only names the person (who reported a count):
            # the row is not theirs and stays, the key cleared with the person's row.
            if any(fk.column.table is person_table and fk.ondelete != "SET NULL"
                   for fk in column.foreign_keys):
                await session.execute(delete(table).where(column == person.id))
    await session.execute(delete(person_table).where(person_table.c.id == person.id))
    session.expunge(person)
    await tallies.forget_text(session, user_id, GONE)
    await _forget_mentions(session, user_id)
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if _free_text(column):
                await _replace_in(session, table, column, user_id)
    await seat_history.sync(session, places.values(), now)
    return [(room, await seats.fill_seats(session, room, now)) for room in rooms.values()]


def _free_text(column: Column[Any]) -> bool:
    """Text someone wrote or the bot composed, where a person may be named."""
    return (isinstance(column.type, (String, Text)) and not isinstance(column.type, Enum)
            and not column.foreign_keys and not column.primary_key
            and not column.info.get("identity"))


async def _replace_in(session: AsyncSession, table: Table, column: Column[Any],
                      user_id: str) -> None:
    """Replace the whole id in one column, row by row: only rows holding it as text
    are read (a substring is a candidate; the bounds are checked here)."""
    key = list(table.primary_key.columns)
    found = await session.execute(select(*key, column).where(or_(
        *(column.contains(form, autoescape=True) for form in {user_id, escape(user_id)}))))
    for *ids, value in found.all():
        changed = whole_ids.replace(value, user_id, GONE)
        if changed != value:
            await session.execute(
                update(table).where(*(c == v for c, v in zip(key, ids, strict=True)))
                .values({column.name: changed}))


async def _forget_mentions(session: AsyncSession, user_id: str) -> None:
    """Other rows' mentions lose exactly the person's line."""
    found = await session.execute(select(OutboxMessage.id, OutboxMessage.mentions).where(
        OutboxMessage.mentions.contains(user_id, autoescape=True)))
    for row_id, mentions in found.all():
        kept = whole_ids.without_line(mentions, user_id)
        if kept != mentions:
            await session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id)
                                  .values(mentions=kept))
