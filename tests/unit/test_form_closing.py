"""The reminder before a form's window closes, at delivery: sent to whoever has not
saved that form (that workshop, form and day), skipped for whoever has, and skipped
for everyone once the window has closed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.config import ReminderSettings
from bot.db.models import Person, Reminder
from bot.scheduling import delivery
from tests.chat import ORGANIZER, Chat
from tests.unit.test_feedback_forms import ANA, BO, HOST, ROOM, dm, workshop
from tests.unit.test_feedback_reminders import DAY_1_END, DAY_2_END, until
from tests.unit.test_onboarding import to

__all__ = ["workshop"]  # the fixture, imported to be used here

# 12 h before day 2's window (36 h after it ends) closes: 19 Mar 14:00 UTC.
DAY_2_CLOSING = datetime(2026, 3, 19, 14, tzinfo=UTC)
AFTER_DAY_1_CLOSED = datetime(2026, 3, 19, 3, tzinfo=UTC)  # closed at 02:00 UTC


async def closings(chat: Chat) -> dict[tuple[str, str], str]:
    """(user, dedupe key without the workshop and person) -> status, of the closing kinds."""
    async with chat.app.sessions() as session:
        found = await session.execute(
            select(Person.user_id, Reminder.dedupe_key, Reminder.status)
            .join(Person, Reminder.person_id == Person.id)
            .where(Reminder.kind.in_(["daily-closing", "final-closing", "debrief-closing"])))
        return {(user, ":".join(key.split(":")[1:-1])): status.value
                for user, key, status in found}


async def save_daily(chat: Chat, who: str, start: str | None) -> None:
    if start:
        await chat.say(who, start, direct=True)
    for answer in ("1, 3", "the exercises", "more breaks", "skip"):
        await dm(chat, who, answer)
    assert "saved" in await dm(chat, who, "yes")


def reminded(chat: Chat, who: str, day: int) -> list[str]:
    return [t for t in to(chat, who)
            if t.startswith(f"⏳ The `daily` form about day {day} of Spring")]


async def test_only_those_who_have_not_saved_that_day_are_reminded(workshop: Chat) -> None:
    chat = workshop
    await chat.say(BO, "!join R1")
    # Ana saves the day-2 form early, by hand, and never day 1's; Bo saves day 1's.
    await save_daily(chat, ANA, "!feedback daily day=2")
    await until(chat, DAY_1_END)
    await save_daily(chat, BO, None)
    await until(chat, DAY_2_END)
    assert len(reminded(chat, ANA, 1)) == 1
    assert "until Thu 19 Mar 02:00 (UTC)" in reminded(chat, ANA, 1)[0]
    assert reminded(chat, BO, 1) == []
    await until(chat, DAY_2_CLOSING)
    assert reminded(chat, ANA, 2) == []
    assert len(reminded(chat, BO, 2)) == 1
    got = await closings(chat)
    assert {k: v for k, v in got.items() if k[1].startswith("daily")} == {
        (ANA, "daily-closing:1"): "sent", (BO, "daily-closing:1"): "skipped",
        (ANA, "daily-closing:2"): "skipped", (BO, "daily-closing:2"): "sent",
    }
    assert got[(HOST, "debrief-closing")] == "pending"


async def test_one_who_joined_after_a_form_was_asked_is_not_reminded_of_it(
    workshop: Chat,
) -> None:
    chat = workshop
    await until(chat, DAY_1_END + timedelta(hours=1))
    await chat.say(BO, "!join R1")  # day 1's form went out an hour ago, not to Bo
    await until(chat, DAY_2_CLOSING)
    assert reminded(chat, BO, 1) == []
    assert len(reminded(chat, BO, 2)) == 1
    assert len(reminded(chat, ANA, 1)) == 1
    got = await closings(chat)
    assert (got[(BO, "daily-closing:1")], got[(BO, "daily-closing:2")]) == ("skipped", "sent")


async def test_when_the_form_was_missed_the_closing_reminder_is_the_one_chance(
    workshop: Chat,
) -> None:
    chat = workshop
    # The bot was down from before day 1 ended until an hour after its closing reminder
    # was due: day 1's form is missed (past the grace); the closing one, in the same
    # batch, goes out late (how it starts or queues the form is bot/scheduling/asking.py's).
    chat.clock.set(DAY_2_END + timedelta(hours=1))
    await chat.app.reminders.run_due()
    await chat.app.worker.wait_idle()
    (late,) = reminded(chat, ANA, 1)
    assert "(delayed 60 min)" in late
    assert (await closings(chat))[(ANA, "daily-closing:1")] == "sent"


async def test_found_after_the_window_closed_it_is_skipped_not_missed(workshop: Chat) -> None:
    chat = workshop
    chat.clock.set(AFTER_DAY_1_CLOSED)  # the bot was down from before day 1 ended
    await delivery.deliver_due(chat.app.sessions, chat.clock.now(), chat.app.settings,
                              asker=chat.app.reminders.asker)
    got = await closings(chat)
    assert got[(ANA, "daily-closing:1")] == "skipped"
    assert got[(ANA, "daily-closing:2")] == "pending"
    assert reminded(chat, ANA, 1) == []


async def test_switched_off_none_are_planned(tmp_path: Path) -> None:
    chat = await Chat.open(tmp_path, reminders=ReminderSettings(form_closing_before="0"))
    try:
        await chat.say(ORGANIZER, "!workshop add 2026-spring title=Spring tz=Europe/Oslo "
                                  "days=2026-03-17,2026-03-18 time=10:00-15:00")
        await chat.say(HOST, ROOM)
        await chat.say(ANA, "!join R1")
        assert await closings(chat) == {}
    finally:
        await chat.close()
