"""Many people at once: no seat sold twice, no one lost, no reminder dropped.

Every test runs on a SQLite file and on PostgreSQL (the `chat` fixture), where
transactions really run side by side: the room's row lock and the schema's
unique indexes (bot/db/locks.py, migration 0009) keep the rules there.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy import Update, make_url, select

from bot.db.models import Membership, OutboxMessage, Person, Reminder, ReminderStatus
from bot.scheduling import reminders
from bot.scheduling.delivery import deliver_due, reminder_key
from bot.scheduling.planner import LEARNER_DAY_BEFORE
from tests.chat import ORGANIZER, Chat
from tests.databases import PostgresServer

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


async def test_learners_joining_different_rooms_at_once_each_keep_their_reminders(
    chat: Chat,
) -> None:
    """Joins to different rooms do not wait for each other's room lock: their
    re-planning of the workshop's reminders must still see each other's joins."""
    created = await chat.say(
        ORGANIZER, "!workshop add ws title=W tz=UTC days=2026-03-17 time=10:00-15:00"
    )
    assert "created" in created
    for n in range(1, 11):  # each room its own host: one may register 3 (rooms.max_per_person)
        added = await chat.say(f"@host{n}:uni.no", f"!room add name=Room{n} org=U "
                                                   "mode=online capacity=5 public=no")
        assert f"Registered R{n}" in added

    answers = await asyncio.gather(*(
        chat.say(who, f"!join R{n % 10 + 1}") for n, who in enumerate(LEARNERS[:40])
    ))

    assert all("you have a seat" in answer for answer in answers)
    assert await reminded(chat) == Counter(LEARNERS[:40])


async def test_leads_signing_up_for_a_three_seat_session_at_once_take_three_seats(
    chat: Chat,
) -> None:
    """The session's row lock (bot/db/locks.py): on PostgreSQL, sign-ups counting the
    seats side by side would all see a free one."""
    created = await chat.say(
        ORGANIZER, "!workshop add ws title=W tz=UTC days=2026-03-17 time=10:00-15:00"
    )
    assert "created" in created
    hosts = [f"@host{n}:uni.no" for n in range(8)]
    for n, host in enumerate(hosts, start=1):
        added = await chat.say(host, f"!room add name=Room{n} org=U mode=online capacity=5 "
                                     "public=no")
        assert f"Registered R{n}" in added
    assert "3 of 3 seats left" in await chat.say(
        ORGANIZER, "!onboarding add 2026-03-10 14:00 capacity=3"
    )

    answers = await asyncio.gather(*(chat.say(host, "!onboarding join O1") for host in hosts))

    assert sum("You are signed up" in answer for answer in answers) == 3
    assert sum("O1 is full (3 seats)" in answer for answer in answers) == 5
    assert "0 of 3 seats left" in await chat.say(ORGANIZER, "!onboarding")


async def until(condition: Callable[[], Awaitable[bool]], seconds: float = 60) -> None:
    """Poll until `condition` holds, at most `seconds` (never a fixed sleep)."""
    for _ in range(int(seconds * 100)):
        if await condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"still not so after {seconds} s")


async def waiting_for_a_lock(url: str) -> bool:
    """Is a transaction of this PostgreSQL database waiting for a row lock?"""
    address = make_url(url)
    connection = await asyncpg.connect(host=address.query["host"], user="postgres",
                                       database=address.database)
    try:
        return bool(await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ))
    finally:
        await connection.close()


@pytest.mark.postgres
async def test_a_replan_waits_for_the_one_in_progress(
    tmp_path: Path, postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """B's join has read the workshop's facts and is about to reconcile its
    reminders when A's join (another room, so no room lock between them) runs.
    A must wait for B: had A committed in between, B would cancel the reminder
    of a learner it never saw join. (Only PostgreSQL runs them side by side.)"""
    first, second = LEARNERS[:2]
    async with postgres_server.database() as url:
        chat = await Chat.open(tmp_path, url=url)
        try:
            await chat.say(ORGANIZER, "!workshop add ws title=W tz=UTC days=2026-03-17 "
                                      "time=10:00-15:00")
            for n in (1, 2):
                await chat.say(HOST, f"!room add name=R{n} org=U mode=online capacity=5 "
                                     "public=no")
            real, armed, read = reminders.facts, [True], asyncio.Event()
            other: list[asyncio.Task[Any]] = []

            async def a_done_or_waiting_for_b() -> bool:
                return bool(other) and (other[0].done() or await waiting_for_a_lock(url))

            async def facts(*args: Any) -> Any:
                found = await real(*args)
                if armed:
                    armed.clear()
                    read.set()
                    await until(a_done_or_waiting_for_b)
                return found

            monkeypatch.setattr(reminders, "facts", facts)
            joining = asyncio.create_task(chat.say(second, "!join R2"))
            await read.wait()
            other.append(asyncio.create_task(chat.say(first, "!join R1")))
            answers = await asyncio.wait_for(asyncio.gather(joining, other[0]), 60)
            assert all("you have a seat" in answer for answer in answers)
            assert await reminded(chat) == Counter([first, second])
        finally:
            await chat.close()


@pytest.mark.postgres
async def test_a_reminder_being_moved_is_not_delivered_meanwhile(
    tmp_path: Path, postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The organizer moves the day while its learner's reminder is due: the re-plan
    has read the reminder as pending and is about to move it when the delivery
    runs. Delivering then would send it now, and the move would make it pending
    again, to be sent a second time. Delivery waits for the re-plan instead."""
    learner = LEARNERS[0]
    async with postgres_server.database() as url:
        chat = await Chat.open(tmp_path, url=url)
        try:
            await chat.say(ORGANIZER, "!workshop add ws title=W tz=UTC days=2026-03-17 "
                                      "time=10:00-15:00")
            await chat.say(HOST, "!room add name=R org=U mode=online capacity=5 public=no")
            await chat.say(learner, "!join R1")
            # The reminder the day before is due (and not yet sent).
            chat.clock.set(datetime(2026, 3, 16, 10, 1, tzinfo=UTC))
            armed, paused = [True], asyncio.Event()
            delivering: list[asyncio.Task[Any]] = []
            real_reconcile = reminders.reconcile

            async def delivered_or_waiting() -> bool:
                return bool(delivering) and (delivering[0].done() or
                                             await waiting_for_a_lock(url))

            async def reconcile(session: Any, *args: Any) -> int:
                execute = session.execute

                async def paused_execute(statement: Any, *more: Any, **options: Any) -> Any:
                    if armed and isinstance(statement, Update):
                        armed.clear()
                        paused.set()  # the reminder was read as pending; now it moves
                        await until(delivered_or_waiting)
                    return await execute(statement, *more, **options)

                session.execute = paused_execute
                try:
                    return await real_reconcile(session, *args)
                finally:
                    del session.execute

            monkeypatch.setattr(reminders, "reconcile", reconcile)
            moving = asyncio.create_task(chat.say(ORGANIZER, "!workshop edit ws time=12:00-17:00"))
            await paused.wait()
            delivering.append(asyncio.create_task(
                deliver_due(chat.app.sessions, chat.clock.now(), chat.app.settings,
                            asker=chat.app.reminders.asker)
            ))
            await asyncio.wait_for(asyncio.gather(moving, delivering[0]), 60)

            async with chat.app.sessions() as session:
                reminder = await session.scalar(
                    select(Reminder).where(Reminder.kind == LEARNER_DAY_BEFORE)
                )
                assert reminder is not None
                sent = await session.scalar(select(OutboxMessage.id).where(
                    OutboxMessage.dedupe_key == reminder_key(reminder.dedupe_key)))
            assert reminder.status is ReminderStatus.PENDING
            assert reminder.due_at == datetime(2026, 3, 16, 12, 0, tzinfo=UTC)
            assert sent is None, "sent now, and pending again to be sent once more"
        finally:
            await chat.close()
