"""A changed reminder schedule takes effect at the next start, without any command: the
reminder service re-plans every unfinished workshop once, before its first delivery."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import BotSettings, ReminderSettings
from bot.db.engine import create_engine, create_sessionmaker
from bot.db.models import Person, Reminder, ReminderStatus
from bot.db.state import put
from bot.scheduling import at_start
from tests.chat import ORGANIZER, Chat

HOST, ANA = "@host:uni.no", "@ana:uni.no"
BY_HAND = datetime(2026, 3, 12, 12, tzinfo=UTC)


async def pending(chat: Chat) -> list[tuple[str, str, datetime]]:
    """(person, kind, due instant) of the pending reminders of some kinds, in time order."""
    async with chat.app.sessions() as session:
        found = await session.execute(
            select(Person.user_id, Reminder.kind, Reminder.due_at)
            .join(Person, Reminder.person_id == Person.id)
            .where(Reminder.status == ReminderStatus.PENDING)
            .order_by(Reminder.due_at)
        )
        return [(who, kind, due) for who, kind, due in found
                if kind in ("learner-day-before", "day-start", "onboarding", "bench")]


async def spring_with_a_learner(chat: Chat) -> None:
    """A workshop on 17 March (Oslo), a room R1 hosted by HOST, and ANA in it."""
    await chat.say(ORGANIZER, "!workshop add spring title=Spring tz=Europe/Oslo "
                              "days=2026-03-17 time=10:00-15:00")
    await chat.say(HOST, "!room add name=Lab org=U mode=online capacity=5 public=no")
    await chat.say(ANA, "!join R1")


def started(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.getMessage().startswith(("reminders re-planned at start",
                                          "reminders unchanged since the last start"))]


async def test_a_changed_schedule_moves_the_pending_reminders_at_the_next_start(
    tmp_path: Path, bot_database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.scheduling.delivery")
    chat = await Chat.open(tmp_path, url=bot_database_url)
    try:
        await spring_with_a_learner(chat)
        await chat.say(ORGANIZER, "!onboarding add 2026-03-10 14:00")
        await chat.say(HOST, "!onboarding join O1")
        before = await pending(chat)
        async with chat.app.sessions() as session, session.begin():
            host = await session.scalar(select(Person.id).where(Person.user_id == HOST))
            # A row no planner made (a benchmark seeds such rows): not the planner's to touch.
            await session.execute(insert(Reminder), [{
                "dedupe_key": "bench:1", "workshop_id": 1, "person_id": host, "kind": "bench",
                "due_at": datetime(2026, 3, 20, tzinfo=UTC), "text": "seeded",
                "status": ReminderStatus.PENDING, "created_at": chat.clock.now()}])
    finally:
        await chat.close()
    assert before == [
        (HOST, "onboarding", datetime(2026, 3, 9, 13, tzinfo=UTC)),
        (HOST, "onboarding", datetime(2026, 3, 10, 12, tzinfo=UTC)),
        (ANA, "learner-day-before", datetime(2026, 3, 16, 9, tzinfo=UTC)),
        (HOST, "day-start", datetime(2026, 3, 17, 8, 30, tzinfo=UTC)),
    ]

    # The same database, a new schedule in the configuration, and no command at all.
    chat = await Chat.open(tmp_path, url=bot_database_url, reminders=ReminderSettings(
        learner_day_before="2d", day_start_before="1h", onboarding_before=("24h",)))
    try:
        after = await pending(chat)
    finally:
        await chat.close()
    assert after == [
        (HOST, "onboarding", datetime(2026, 3, 9, 13, tzinfo=UTC)),  # the 1 h one cancelled
        (ANA, "learner-day-before", datetime(2026, 3, 15, 9, tzinfo=UTC)),  # moved
        (HOST, "day-start", datetime(2026, 3, 17, 8, tzinfo=UTC)),  # moved
        (HOST, "bench", datetime(2026, 3, 20, tzinfo=UTC)),  # left alone
    ]

    chat = await Chat.open(tmp_path, url=bot_database_url, reminders=ReminderSettings(
        learner_day_before="2d", day_start_before="1h", onboarding_before=("24h",)))
    await chat.close()
    # Logged at each start: re-planned at the first (nothing to change) and the second;
    # the third has the configuration of the second, and does not re-plan.
    assert started(caplog) == ["reminders re-planned at start: 0 changed",
                               "reminders re-planned at start: 3 changed",
                               "reminders unchanged since the last start"]


async def by_hand(url: str, change: Callable[[AsyncSession], Awaitable[object]]) -> None:
    """Change the database while the bot is not running, as someone could by hand."""
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            await change(session)
    finally:
        await engine.dispose()


async def day_before(chat: Chat) -> datetime | None:
    async with chat.app.sessions() as session:
        return await session.scalar(select(Reminder.due_at).where(
            Reminder.kind == "learner-day-before", Reminder.status == ReminderStatus.PENDING))


async def test_a_start_with_the_same_configuration_does_not_re_plan(
    tmp_path: Path, bot_database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """What the plan depends on besides the database has a fingerprint, stored with the
    plan: the same one at the next start, no re-plan; none stored (a database from
    before fingerprints), or another one, a re-plan."""
    caplog.set_level(logging.INFO, logger="bot.scheduling.delivery")
    chat = await Chat.open(tmp_path, url=bot_database_url)
    try:
        await spring_with_a_learner(chat)
        planned = await day_before(chat)
    finally:
        await chat.close()
    assert planned == datetime(2026, 3, 16, 9, tzinfo=UTC)

    async def restart(**sections: object) -> datetime | None:
        """Move Ana's reminder by hand, start the bot again; where the reminder is then."""
        await by_hand(bot_database_url, lambda session: session.execute(update(Reminder).where(
            Reminder.kind == "learner-day-before").values(due_at=BY_HAND)))
        chat = await Chat.open(tmp_path, url=bot_database_url, **sections)
        try:
            return await day_before(chat)
        finally:
            await chat.close()

    # The same configuration: the row moved by hand is left alone.
    assert await restart() == BY_HAND
    # Another configuration (a prefix the texts use): re-planned, the row put back.
    assert await restart(bot=BotSettings(organizers=(ORGANIZER,), prefix=".")) == planned
    # No fingerprint stored, as in a database from before them: re-planned.
    await by_hand(bot_database_url, lambda session: put(session, *at_start.ROW, None))
    assert await restart(bot=BotSettings(organizers=(ORGANIZER,), prefix=".")) == planned
    assert started(caplog) == ["reminders re-planned at start: 0 changed",
                               "reminders unchanged since the last start",
                               "reminders re-planned at start: 1 changed",
                               "reminders re-planned at start: 1 changed"]
