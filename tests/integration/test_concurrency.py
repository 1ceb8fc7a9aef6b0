"""Many people at once: no seat sold twice, no one lost, no reminder dropped.

Every test runs on a SQLite file and on PostgreSQL (the `chat` fixture), where
transactions really run side by side: the room's row lock and the schema's
unique indexes (bot/db/locks.py, migration 0009) keep the rules there.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter

from sqlalchemy import select

from bot.db.models import Membership, Person, Reminder, ReminderStatus
from bot.scheduling.planner import LEARNER_DAY_BEFORE
from tests.chat import ORGANIZER, Chat

HOST = "@host:uni.no"
LEARNERS = [f"@learner{i:02d}:uni.no" for i in range(50)]


async def test_fifty_learners_join_a_twenty_seat_room_at_once(chat: Chat) -> None:
    created = await chat.say(
        ORGANIZER, "!workshop add ws title=W tz=UTC days=2026-03-17 time=10:00-15:00"
    )
    assert "created" in created
    registered = await chat.say(HOST, "!room add name=Big org=U mode=online capacity=20 public=no")
    assert "Registered R1" in registered

    answers = await asyncio.gather(*(chat.say(who, "!join R1") for who in LEARNERS))

    seated = [who for who, a in zip(LEARNERS, answers, strict=True) if "you have a seat" in a]
    told_position = {
        who: int(m[1])
        for who, a in zip(LEARNERS, answers, strict=True)
        if (m := re.search(r"number (\d+) on its waitlist", a.reply))
    }
    assert len(seated) == 20
    assert sorted(told_position.values()) == list(range(1, 31))

    async with chat.app.sessions() as session:
        rows = (
            await session.execute(
                select(Person.user_id, Membership.role)
                .join(Membership.person)
                .where(Person.user_id != HOST)
                .order_by(Membership.id)
            )
        ).all()
    assert Counter(user for user, _ in rows) == Counter(LEARNERS)  # nobody twice, nobody lost
    assert sorted(u for u, role in rows if role.value == "learner") == sorted(seated)
    waiting_in_order = [u for u, role in rows if role.value == "waitlist"]
    # The order they were told is the order they wait in: arrival order.
    assert waiting_in_order == sorted(told_position, key=told_position.__getitem__)
    # Re-planning ran in every join at once: each seated learner keeps the reminder
    # for the first day (none cancelled by a re-plan that did not see them join).
    assert await reminded(chat) == Counter(seated)

    leavers = seated[:5]
    left = await asyncio.gather(*(chat.say(who, "!leave") for who in leavers))
    told = Counter(user for answer in left for user in answer.notices)
    assert told == Counter(waiting_in_order[:5])  # the first five, each told once

    roster = await chat.say(HOST, "!room roster R1")
    assert "Learners (20 of 20)" in roster
    assert "1. `" + waiting_in_order[5] + "`" in roster
    assert await reminded(chat) == Counter(seated[5:] + waiting_in_order[:5])


async def reminded(chat: Chat) -> Counter[str]:
    """Who has a pending reminder before the first day (learners with a seat)."""
    async with chat.app.sessions() as session:
        found = await session.scalars(
            select(Person.user_id)
            .join(Reminder, Reminder.person_id == Person.id)
            .where(Reminder.kind == LEARNER_DAY_BEFORE, Reminder.status == ReminderStatus.PENDING)
        )
        return Counter(found)
