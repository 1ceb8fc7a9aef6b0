"""Reminders and announcements on the real homeserver, the bot's messages under Synapse's
rate limit (the default burst of 10, then one a second: `limit_messages`), the bot run
as a real `classroom-bot run` process.

Reminders are made due a few seconds ahead by configuring the onboarding offset
(`[reminders] onboarding_before`) to fall just after the test's set-up, so the
tests wait for the wall clock, which is what a reminder is about.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select

from bot.db.engine import create_engine, create_sessionmaker
from bot.db.models import (
    DeliveryStatus,
    LocalRoom,
    Membership,
    Person,
    Reminder,
    ReminderStatus,
)
from tests.e2e.conftest import limit_messages, unique
from tests.e2e.homeserver import Homeserver
from tests.e2e.process import BotProcess
from tests.e2e.test_outbox_crashes import direct_messages, keyed

if TYPE_CHECKING:
    from tests.e2e.conftest import ChatUser

MakeUser = Callable[..., Awaitable["ChatUser"]]
WORKSHOP = ("!workshop add 2027-spring title=Spring tz=Europe/Oslo days=2027-03-17 "
            "time=10:00-15:00")
ROOM = "!room add name=Oslo org=UiO mode=online lang=no capacity=40 public=yes"
DEADLINE_S = 300.0


@pytest.fixture
async def bots() -> AsyncIterator[list[BotProcess]]:
    started: list[BotProcess] = []
    yield started
    for bot in started:
        await bot.close()


def session_due_in(seconds: float) -> tuple[datetime, str]:
    """A session start on a whole minute at least two minutes ahead, and the
    `onboarding_before` offset that makes its reminder fall due `seconds` from now."""
    now = datetime.now(UTC)
    start = (now + timedelta(minutes=3)).replace(second=0, microsecond=0)
    return start, f"{int((start - now).total_seconds() - seconds)}s"


async def reminders(bot: BotProcess) -> list[Reminder]:
    engine = create_engine(bot.db_url)
    try:
        async with create_sessionmaker(engine)() as session:
            return list(await session.scalars(
                select(Reminder).where(Reminder.kind == "onboarding")))
    finally:
        await engine.dispose()


async def until(found: Callable[[], Awaitable[bool]], what: str, within: float) -> None:
    deadline = time.monotonic() + within
    while not await found():
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} within {within:.0f} s")
        await asyncio.sleep(0.1)  # polling interval


async def lead_signed_up(
    server: Homeserver, make_user: MakeUser, tmp_path: Path, due_in: float
) -> tuple[BotProcess, ChatUser, ChatUser, str, datetime]:
    """A bot, an organizer and a lead in New York signed up for a session whose
    reminder falls due in `due_in` seconds."""
    organizer = await make_user("org", server=server)
    lead = await make_user("lead", server=server)
    start, offset = session_due_in(due_in)
    bot = BotProcess(server, tmp_path, unique("bot"), organizers=(organizer.user_id,),
                     extra_config=f'[reminders]\nonboarding_before = ["{offset}"]\n')
    limit_messages(server, bot.user_id)
    await bot.start()
    room = await organizer.create_room((bot.user_id,), public=True)
    await organizer.wait_for_membership(room, bot.user_id, "join", within=30)
    await lead.join(room)
    for person, text in [
        (organizer, WORKSHOP),
        (organizer, f"!onboarding add {start:%Y-%m-%d} {start:%H:%M} tz=UTC "
                    "link=https://meet.example.org/onb"),
        (lead, "!tz America/New_York"),
        (lead, ROOM),
        (lead, "!onboarding join O1"),
    ]:
        command = await person.say(room, text)
        answer = await person.expect_reply(room, command, sender=bot.user_id, within=30)
        assert "⚠️" not in answer["content"]["body"], answer["content"]["body"]
    return bot, organizer, lead, room, start


async def test_a_lead_gets_the_session_reminder_by_direct_message_in_their_zone(
    homeserver: Homeserver, make_user: MakeUser, bots: list[BotProcess], tmp_path: Path,
) -> None:
    bot, _, lead, room, start = await lead_signed_up(homeserver, make_user, tmp_path, due_in=20)
    bots.append(bot)
    told = await direct_messages(lead, bot.user_id, room)
    body = told[0]["content"]["body"]
    local = start.astimezone(ZoneInfo("America/New_York"))
    assert f"{local:%H:%M}" in body and "EST" in body, body
    assert "https://meet.example.org/onb" in body
    assert "delayed" not in body
    assert [r.status for r in await reminders(bot)] == [ReminderStatus.SENT]
    assert len(told) == 1


async def test_a_bot_stopped_over_the_due_time_delivers_once_after_restart_marked_delayed(
    homeserver: Homeserver, make_user: MakeUser, bots: list[BotProcess], tmp_path: Path,
) -> None:
    bot, _, lead, room, _ = await lead_signed_up(homeserver, make_user, tmp_path, due_in=20)
    bots.append(bot)
    assert await bot.terminate() == 0
    [pending] = await reminders(bot)
    assert pending.status is ReminderStatus.PENDING
    due = pending.due_at
    # The bot is down while the reminder falls due, and a minute more.
    await until(lambda: _after(due + timedelta(seconds=65)), "due time passing", within=120)
    await bot.start()
    told = await direct_messages(lead, bot.user_id, room)
    assert len(told) == 1 and re.search(r"\(delayed [12] min\)", told[0]["content"]["body"])
    await until(lambda: _sent(bot), "reminder row sent", within=30)
    await lead.sync(timeout_ms=3000)
    assert len(await direct_messages(lead, bot.user_id, room)) == 1


async def test_a_bot_killed_between_outbox_row_and_send_delivers_once_after_restart(
    homeserver: Homeserver, make_user: MakeUser, bots: list[BotProcess], tmp_path: Path,
) -> None:
    bot, organizer, lead, room, _ = await lead_signed_up(homeserver, make_user, tmp_path, due_in=25)
    bots.append(bot)
    [pending] = await reminders(bot)
    # Use up the bot's burst just before the reminder falls due, so its row waits.
    await until(lambda: _after(pending.due_at - timedelta(seconds=4)), "almost due", within=60)
    await asyncio.gather(*(organizer.say(room, "!tz") for _ in range(20)))
    key = f"reminder:{pending.dedupe_key}"
    rows = await bot.wait_for_rows(lambda rows: key in keyed(rows), "the reminder's row",
                                   within=60)
    await bot.kill()
    at_kill = keyed(await bot.rows())[key]
    assert at_kill.status is DeliveryStatus.PENDING, "sent before the kill: proved nothing"
    assert [r.status for r in await reminders(bot)] == [ReminderStatus.SENT]
    assert rows
    await bot.start()
    await bot.wait_for_rows(lambda rows: keyed(rows)[key].status is DeliveryStatus.SENT,
                            "the reminder sent", within=DEADLINE_S)
    told = await direct_messages(lead, bot.user_id, room)
    await lead.sync(timeout_ms=3000)
    told = await direct_messages(lead, bot.user_id, room)
    assert len(told) == 1, [e["content"]["body"] for e in told]


async def test_announce_reaches_thirty_learners_once_each_under_rate_limits(
    homeserver: Homeserver, make_user: MakeUser, bots: list[BotProcess], tmp_path: Path,
) -> None:
    organizer = await make_user("org")
    bot = BotProcess(homeserver, tmp_path, unique("bot"), organizers=(organizer.user_id,))
    limit_messages(homeserver, bot.user_id)
    bots.append(bot)
    await bot.start()
    room = await organizer.create_room((bot.user_id,), public=True)
    await organizer.wait_for_membership(room, bot.user_id, "join", within=30)
    for text in (WORKSHOP, ROOM):
        command = await organizer.say(room, text)
        await organizer.expect_reply(room, command, sender=bot.user_id, within=30)
    learners = [await make_user(f"l{n}") for n in range(30)]
    # Learners have a direct chat with the bot (they talked to it), as in a workshop:
    # Synapse's default limits let a bot create only about one room a minute.
    chats = [await learner.create_room((bot.user_id,), direct=True) for learner in learners]
    for learner, chat in zip(learners, chats, strict=True):
        await learner.wait_for_membership(chat, bot.user_id, "join", within=DEADLINE_S)
    await seat(bot, [learner.user_id for learner in learners])
    command = await organizer.say(room, "!announce learners The stream starts late today.")
    answer = await organizer.expect_reply(room, command, sender=bot.user_id, within=60)
    assert "Sent to 30 people (learners)" in answer["content"]["body"]
    await bot.wait_for_rows(
        lambda rows: all(row.status is DeliveryStatus.SENT for row in rows), "all sent",
        within=DEADLINE_S,
    )
    for learner, chat in zip(learners, chats, strict=True):
        history = await learner.history(chat)
        told = [e["content"]["body"] for e in history
                if e.get("sender") == bot.user_id and e.get("type") == "m.room.message"]
        assert len(told) == 1 and "The stream starts late today." in told[0], told
        assert not learner.invites, "no second direct chat was opened"


async def seat(bot: BotProcess, users: list[str]) -> None:
    """Seat learners in R1 straight in the database (30 `!join` answers would take minutes
    of rate limit; what is tested here is the announcement)."""
    engine = create_engine(bot.db_url)
    now = datetime.now(UTC)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            room_id, workshop_id = (
                await session.execute(select(LocalRoom.id, LocalRoom.workshop_id))
            ).one()
            for user in users:
                person = Person(network="matrix", user_id=user, reminders=True, created_at=now)
                session.add(person)
                await session.flush()
                await session.execute(insert(Membership).values(
                    room_id=room_id, workshop_id=workshop_id, person_id=person.id,
                    role="learner", joined_at=now))
    finally:
        await engine.dispose()


async def _after(instant: datetime) -> bool:
    return datetime.now(UTC) >= instant


async def _sent(bot: BotProcess) -> bool:
    return [r.status for r in await reminders(bot)] == [ReminderStatus.SENT]
