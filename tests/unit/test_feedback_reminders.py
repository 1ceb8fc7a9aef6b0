"""The reminders that ask (end of each day, after the last day): each starts its
feedback form in the learner's direct chat, in the transaction that sends it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.config import FeedbackSettings
from bot.db.models import Conversation, OutboxMessage, Reminder, ReminderStatus
from bot.scheduling import delivery
from tests.chat import ORGANIZER, Chat
from tests.unit.test_feedback_forms import ANA, HOST, ROOM, dm, responses, workshop
from tests.unit.test_onboarding import reminders, to

__all__ = ["workshop"]  # the fixture, imported to be used here

# Spring's days end at 15:00 Oslo time (CET): 14:00 UTC.
DAY_1_END = datetime(2026, 3, 17, 14, tzinfo=UTC)
DAY_2_END = datetime(2026, 3, 18, 14, tzinfo=UTC)


async def until(chat: Chat, instant: datetime) -> None:
    await chat.app.reminders.advance(chat.clock, instant - chat.clock.now())


async def conversations(chat: Chat) -> list[tuple[str | None, int]]:
    """Each person's form conversations in their order (the active one first); the
    day-end attendance question to leads is not a form."""
    async with chat.app.sessions() as session:
        return [(topic, day) for topic, day in await session.execute(
            select(Conversation.topic, Conversation.day)
            .where(Conversation.kind == "form")
            .order_by(Conversation.person_id, Conversation.position))]


async def test_the_day_ends_with_its_form_and_the_learner_answers_right_away(
    workshop: Chat,
) -> None:
    chat = workshop
    await until(chat, DAY_1_END - timedelta(seconds=1))
    assert not [t for t in to(chat, ANA) if "is over" in t]
    await until(chat, DAY_1_END)
    (arrived,) = [t for t in to(chat, ANA) if "is over" in t]
    assert arrived.startswith("📝 Day 1 of Spring is over: tell us how it went.")
    assert "the `daily` form about day 1" in arrived and "question 1 of 4" in arrived
    assert await conversations(chat) == [("daily", 1)]
    reply = await dm(chat, ANA, "1, 3")
    assert "question 2 of 4" in reply
    await dm(chat, ANA, "the exercises")
    await dm(chat, ANA, "more breaks")
    await dm(chat, ANA, "skip")
    assert "saved" in await dm(chat, ANA, "yes")
    (saved,) = await responses(chat)
    assert saved.form == "daily" and saved.day == 1 and saved.room_id == 1
    assert json.loads(saved.answers)["today"] == ["too fast", "right speed"]
    # Day 2 brings day 2's form; nothing is sent twice.
    await until(chat, DAY_2_END + timedelta(minutes=30))
    await chat.app.reminders.run_due()
    await chat.app.worker.wait_idle()
    days = [t.splitlines()[0] for t in to(chat, ANA) if "is over" in t]
    assert days == ["📝 Day 1 of Spring is over: tell us how it went.",
                    "📝 Day 2 of Spring is over: tell us how it went."]
    assert await conversations(chat) == [("daily", 2)]
    assert not [t for t in to(chat, HOST) if "is over" in t], "learners only"


async def test_a_form_in_progress_is_not_clobbered(workshop: Chat) -> None:
    chat = workshop
    await until(chat, DAY_1_END - timedelta(minutes=5))
    await chat.say(ANA, "!feedback daily day=2")  # the wrong day, by mistake
    assert "question 2 of 4" in await dm(chat, ANA, "3")
    await until(chat, DAY_1_END)
    (arrived,) = [t for t in to(chat, ANA) if "is over" in t]
    assert arrived.splitlines()[-1] == (
        "The `daily` form about day 1 waits: it starts here when you finish or cancel "
        "the `daily` form about day 2.")
    # Her form goes on where she was; day 1's waits behind it.
    assert "question 3 of 4" in await dm(chat, ANA, "the exercises")
    assert await conversations(chat) == [("daily", 2), ("daily", 1)]
    await dm(chat, ANA, "breaks")
    await dm(chat, ANA, "skip")
    saved = await dm(chat, ANA, "yes")
    assert "saved" in saved and "Next: Here is the `daily` form about day 1" in saved
    assert "question 1 of 4" in saved
    assert await conversations(chat) == [("daily", 1)]


async def test_the_same_form_started_by_hand_goes_on_where_it_is(workshop: Chat) -> None:
    chat = workshop
    await until(chat, DAY_1_END - timedelta(minutes=5))
    await chat.say(ANA, "!feedback daily day=1")
    await dm(chat, ANA, "3")
    await until(chat, DAY_1_END)
    (arrived,) = [t for t in to(chat, ANA) if "is over" in t]
    assert "You have already started the `daily` form about day 1; here is where you are:" \
        in arrived
    assert "question 2 of 4" in arrived and "waits" not in arrived
    assert "question 3 of 4" in await dm(chat, ANA, "the exercises")


async def test_after_the_last_day_the_final_form_follows_the_daily_one(workshop: Chat) -> None:
    chat = workshop
    await until(chat, DAY_2_END)
    for _day in (1, 2):  # the host answers the day-end attendance questions first
        assert "Thank you. Attendance of R1" in await dm(chat, HOST, "1")
    await until(chat, DAY_2_END + timedelta(hours=1))
    (final,) = [t for t in to(chat, ANA) if t.startswith("Thank you")]
    (debrief,) = [t for t in to(chat, HOST) if t.startswith("Thank you")]
    assert "Here is the `daily` form about day 2" not in final
    # Ana has not answered day 1's form yet (open for 36 h): day 2's and the final one
    # wait behind it, each said in one line.
    assert final.splitlines()[-1] == (
        "The `final` form waits: it starts here when you finish or cancel the `daily` "
        "form about day 1.")
    assert await conversations(chat) == [("debrief", 0), ("daily", 1), ("daily", 2), ("final", 0)]
    assert "Here is the `debrief` form" in debrief and "How many learners attended" in debrief
    assert "question 2 of 5" in await dm(chat, HOST, "4")
    assert {k for _, k, *_ in await reminders(chat)} >= {"day-end", "final", "debrief"}
    # She finishes each daily form: the next one starts in the same answer.
    for day, following in ((1, "the `daily` form about day 2"), (2, "the `final` form")):
        for text in ("2", "pairing", "breaks", "skip"):
            await dm(chat, ANA, text)
        saved = await dm(chat, ANA, "yes")
        assert "Your answers to the daily form are saved" in saved, day
        assert f"Next: Here is {following}, one question at a time." in saved
    assert "recommend this workshop" in saved
    for text in ("9", "1", "pairing", "nothing"):
        await dm(chat, ANA, text)
    assert "final form are saved" in await dm(chat, ANA, "yes")
    assert sorted((r.form, r.day) for r in await responses(chat)) == [
        ("daily", 1), ("daily", 2), ("final", 0)]


async def test_the_final_form_starts_when_nothing_is_in_progress(workshop: Chat) -> None:
    chat = workshop
    await until(chat, DAY_2_END)
    cancelled = await dm(chat, ANA, "cancel")  # day 1's form; day 2's was waiting
    assert "Cancelled" in cancelled and "Next: Here is the `daily` form about day 2" in cancelled
    assert "Cancelled" in await dm(chat, ANA, "cancel")
    await until(chat, DAY_2_END + timedelta(hours=1))
    (final,) = [t for t in to(chat, ANA) if t.startswith("Thank you")]
    assert "Here is the `final` form" in final and "recommend this workshop" in final
    assert sorted(await conversations(chat)) == [("debrief", 0), ("final", 0)]


async def test_a_crash_before_the_question_is_written_leaves_no_form(
    workshop: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = workshop
    real = delivery.rows.add

    def crash(*args: object, **kwargs: object) -> OutboxMessage:
        raise RuntimeError("power cut")

    monkeypatch.setattr(delivery.rows, "add", crash)
    chat.clock.set(DAY_1_END)
    with pytest.raises(RuntimeError):
        await delivery.deliver_due(chat.app.sessions, chat.clock.now(), chat.app.settings,
                                  asker=chat.app.reminders.asker)
    assert await conversations(chat) == []
    assert {s for _, k, _, s in await reminders(chat, "day-end") if k} == {"pending"}
    monkeypatch.setattr(delivery.rows, "add", real)
    await chat.app.reminders.run_due()
    await chat.app.worker.wait_idle()
    assert await conversations(chat) == [("daily", 1)]
    async with chat.app.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.dedupe_key == "reminder:w1:day-end:1:" + await _ana_id(chat))) == 1


async def _ana_id(chat: Chat) -> str:
    async with chat.app.sessions() as session:
        person = await session.scalar(
            select(Reminder.person_id).where(Reminder.kind == "day-end").limit(1))
        return str(person)


async def test_with_feedback_off_no_forms_are_planned_or_started(tmp_path: Path) -> None:
    chat = await Chat.open(tmp_path, feedback=FeedbackSettings(enabled=False))
    try:
        await chat.say(ORGANIZER, "!workshop add 2026-spring title=Spring tz=Europe/Oslo "
                                  "days=2026-03-17,2026-03-18 time=10:00-15:00")
        await chat.say(HOST, ROOM)
        await chat.say(ANA, "!join R1")
        assert "day-end" not in {k for _, k, *_ in await reminders(chat)}
        await until(chat, DAY_2_END + timedelta(hours=1))
        assert [t for t in to(chat, ANA) if "Spring" in t][-1] == (
            "Thank you for taking part in Spring!"
        )
        assert await conversations(chat) == []
        async with chat.app.sessions() as session:
            assert ReminderStatus.PENDING not in set(await session.scalars(
                select(Reminder.status)))
    finally:
        await chat.close()
