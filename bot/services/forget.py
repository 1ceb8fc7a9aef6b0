"""Forget-me: remove a person's rows and user id from every table.

Generic on purpose, so a table added later is covered without a change here:
every row of a table with a foreign key to `person` is deleted (memberships,
sign-ups, conversations, reminders...), outbox rows addressed to the person are
deleted (not sent yet: never sent; sent: their log goes), and the user id is
replaced by `[forgotten]` in every other text column (e.g. a notice that named
them). Their feedback responses and poll votes stay, with the pseudonym cleared:
anonymous.
"""

from __future__ import annotations

from sqlalchemy import String, Text, delete, func, select, update
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
from bot.services import feedback, seats, tallies

KIND = "forget-me"
QUESTION = (
    "This removes your user id and everything about you from the bot: your room seats "
    "and waitlist places, team roles, sign-ups, reminders and messages not sent yet. "
    "Feedback you gave stays, as anonymous answers. This cannot be undone.\n"
    "Type `yes` to forget you; anything else keeps everything."
)
GONE = "[forgotten]"


async def forget(
    session: AsyncSession, key: bytes, person: Person
) -> list[tuple[LocalRoom, list[Person]]]:
    """Forget the person; the seats they held go to the next on the waitlists
    (returned per room, so they are told)."""
    user_id = person.user_id
    held = await session.scalars(select(Membership).where(Membership.person_id == person.id))
    rooms = {m.room.id: m.room for m in held if m.role is MemberRole.LEARNER}
    await session.execute(
        update(FeedbackResponse)
        .where(FeedbackResponse.respondent == feedback.pseudonym(key, person))
        .values(respondent=None)
    )
    await session.execute(
        update(PollVote)
        .where(PollVote.respondent == feedback.pseudonym(key, person))
        .values(respondent=None)
    )
    await session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.network == person.network, OutboxMessage.person == user_id
        )
    )
    person_table = Base.metadata.tables[Person.__tablename__]
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if any(fk.column.table is person_table for fk in column.foreign_keys):
                await session.execute(delete(table).where(column == person.id))
    await session.execute(delete(person_table).where(person_table.c.id == person.id))
    session.expunge(person)
    await tallies.forget_text(session, user_id, GONE)
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, (String, Text)) and not column.foreign_keys:
                await session.execute(
                    update(table)
                    .where(column.contains(user_id, autoescape=True))
                    .values({column.name: func.replace(column, user_id, GONE)})
                )
    return [(room, await seats.fill_seats(session, room)) for room in rooms.values()]
