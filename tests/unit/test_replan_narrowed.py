"""A command re-plans only the reminders fed by what it touched (issue 13), and that is
always the same as re-planning everything: after each command of a busy transcript a
full re-plan finds nothing left to change."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select

from bot.config import ReminderSettings, Settings
from bot.db.models import Person, Reminder, ReminderStatus
from bot.scheduling import reminders
from tests.chat import ORGANIZER, Chat
from tests.unit.test_rooms import ANA, BO, CY, HOST, LEAD

STEPS = [
    (HOST, "!tz Europe/Oslo"),
    (LEAD, "!room add name=Online org=CSC mode=online venue=https://v.example.org "
           "capacity=5 public=no"),
    (ANA, "!join R1"),
    (BO, "!join R1"),  # R1 has one seat: the waitlist
    (CY, "!join R2"),
    (ANA, "!tz America/Chicago"),
    (ANA, "!leave"),  # Bo gets the seat
    (BO, "!reminders off"),
    (HOST, "!room edit R1 days=1"),
    (ORGANIZER, "!onboarding add 2026-03-10 14:00 capacity=3"),
    (HOST, "!onboarding join O1"),
    (CY, "!join R1"),  # moves from R2: both rooms' counts change
    (ORGANIZER, "!workshop edit 2026-spring time=09:00-14:00"),
    (HOST, f"!room lead add R1 {ANA}"),
    (LEAD, "!room withdraw R2"),
    (BO, "!reminders on"),
]


async def full_replan_changes(chat: Chat) -> int:
    async with chat.app.sessions() as session, session.begin():
        return await reminders.replan(session, chat.app.settings, chat.clock.now())


async def test_after_every_command_a_full_replan_changes_nothing(room: Chat) -> None:
    assert await full_replan_changes(room) == 0
    for sender, text in STEPS:
        answer = await room.say(sender, text)
        assert "⚠️" not in answer.reply and "not" not in answer.reply[:12], (text, answer.reply)
        assert await full_replan_changes(room) == 0, text


@pytest.fixture
def planned_for(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The `people_of` each planning was narrowed to (None: everyone)."""
    seen: list[Any] = []
    original = reminders.facts

    async def facts(*args: Any) -> Any:
        seen.append(args[3] if len(args) > 3 else None)
        return await original(*args)

    monkeypatch.setattr(reminders, "facts", facts)
    return seen


async def test_a_join_plans_only_the_people_of_the_room(
    room: Chat, planned_for: list[Any]
) -> None:
    await room.say(BO, "!tz Europe/Oslo")
    planned_for.clear()
    await room.say(ANA, "!join R1")
    async with room.app.sessions() as session:
        ids = dict((await session.execute(select(Person.user_id, Person.id))).all())
    # The answer's next reminder, planned for Ana alone; then the re-plan of the room.
    assert planned_for == [{ids[ANA]}, {ids[ANA], ids[HOST]}]  # not Bo, who is in no room


async def test_a_command_that_changes_no_fact_plans_nothing(
    room: Chat, planned_for: list[Any]
) -> None:
    await room.say(ANA, "!tz Europe/Oslo")
    planned_for.clear()
    await room.say(ANA, "!myroom", direct=True)  # read-only, but in a direct chat: the write path
    await room.say(ANA, "!rooms", direct=True)
    assert planned_for == []


async def test_a_workshop_change_plans_the_whole_workshop(
    room: Chat, planned_for: list[Any]
) -> None:
    await room.say(ORGANIZER, "!workshop edit 2026-spring time=09:00-14:00")
    assert planned_for == [None]


async def test_a_workshop_planned_by_chunks_is_planned_as_at_once(
    room: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A big workshop is planned `CHUNK` people at a time (bot/scheduling/reminders.py):
    here one person at a time, after each step checked against planning at once, with
    the schedule changed (every reminder moves) and back."""
    moved = dataclasses.replace(room.app.settings, reminders=ReminderSettings(
        learner_day_before="2d", day_start_before="1h", onboarding_before=("2h",)))

    async def changes(settings: Settings, chunk: int) -> int:
        monkeypatch.setattr(reminders, "CHUNK", chunk)
        async with room.app.sessions() as session, session.begin():
            return await reminders.replan(session, settings, room.clock.now())

    for sender, text in STEPS:
        await room.say(sender, text)
        for settings in (moved, room.app.settings):
            await changes(settings, 1)
            assert await changes(settings, 10**6) == 0, text

    # A pending reminder of someone in no room and no session (left by an older
    # version, say) is cancelled by chunks too.
    await room.say("@stray:uni.no", "!tz Europe/Oslo")
    async with room.app.sessions() as session, session.begin():
        stray = await session.scalar(select(Person.id).where(Person.user_id == "@stray:uni.no"))
        await session.execute(insert(Reminder), [{
            "dedupe_key": "w1:final:stray", "workshop_id": 1, "person_id": stray,
            "kind": "final", "due_at": room.clock.now() + timedelta(days=30), "text": "stray",
            "status": ReminderStatus.PENDING, "created_at": room.clock.now()}])
    assert await changes(room.app.settings, 1) == 1
    async with room.app.sessions() as session:
        status = await session.scalar(select(Reminder.status).where(
            Reminder.dedupe_key == "w1:final:stray"))
    assert status is ReminderStatus.CANCELLED
