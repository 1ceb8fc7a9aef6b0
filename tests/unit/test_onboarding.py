"""Onboarding sessions and the reminders they bring, as transcripts against the whole bot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Calendar
from sqlalchemy import select

from bot.db.models import Person, Reminder, ReminderStatus
from tests.chat import ORGANIZER, Chat
from tests.unit.test_rooms import ANA, HOST, LEAD


async def reminders(chat: Chat, kind: str | None = None) -> list[tuple[str, str, datetime, str]]:
    async with chat.app.sessions() as session:
        query = select(Person.user_id, Reminder.kind, Reminder.due_at, Reminder.status).join(
            Person, Reminder.person_id == Person.id
        )
        if kind:
            query = query.where(Reminder.kind == kind)
        found = await session.execute(query.order_by(Reminder.due_at, Reminder.id))
        return [(u, k, d, s.value) for u, k, d, s in found]


async def in_oslo(chat: Chat, *users: str) -> Chat:
    for user in (ORGANIZER, *users):
        await chat.say(user, "!tz Europe/Oslo")
    return chat


def to(chat: Chat, user: str) -> list[str]:
    return [m.text for m in chat.transport.sent if m.user == user and m.in_reply_to is None]


async def test_a_session_is_added_listed_joined_and_full(room: Chat) -> None:
    chat = await in_oslo(room, HOST)
    added = await chat.say(
        ORGANIZER, "!onboarding add 2026-03-10 14:00 link=https://meet.example.org/o capacity=1"
    )
    assert "O1: Tue 10 Mar 14:00–15:00 CET, 1 of 1 seats left, <https://meet.example.org/o>" in (
        added.reply
    )
    assert "You are signed up for the onboarding session O1" in await chat.say(
        HOST, "!onboarding join O1"
    )
    assert "O1: Tue 10 Mar 14:00–15:00 CET, 0 of 1 seats left" in (
        await chat.say(HOST, "!onboarding")
    ).reply
    assert "← yours" in (await chat.say(HOST, "!onboarding")).reply
    assert "is for a team lead or host" in await chat.say(ANA, "!onboarding join O1")
    await chat.say(HOST, f"!room lead add R1 {LEAD}")
    assert "O1 is full (1 seats)" in await chat.say(LEAD, "!onboarding join O1")
    assert "no onboarding session: 1" in (await chat.say(ORGANIZER, "!stats")).reply.replace(
        "without an onboarding session", "no onboarding session"
    )
    bad = await chat.say(ORGANIZER, "!onboarding add 2026-03-29 02:30 tz=Europe/Oslo")
    assert "does not exist in Europe/Oslo" in bad.reply and "Usage:" in bad.reply


async def test_capacity_below_the_sign_ups_is_refused_and_nothing_changes(room: Chat) -> None:
    chat = await in_oslo(room, HOST)
    await chat.say(HOST, f"!room lead add R1 {LEAD}")
    await chat.say(ORGANIZER, "!onboarding add 2026-03-10 14:00 capacity=5")
    await chat.say(HOST, "!onboarding join O1")
    await chat.say(LEAD, "!onboarding join O1")

    refused = await chat.say(ORGANIZER, "!onboarding edit O1 capacity=1 time=16:00")
    assert "2 are signed up for O1, so its capacity cannot be less than 2 (capacity=1 was " \
        "asked)." in refused.reply
    assert "Usage:" not in refused.reply and not refused.notices  # asked right, refused
    listed = (await chat.say(ORGANIZER, "!onboarding")).reply
    assert "O1: Tue 10 Mar 14:00–15:00 CET, 3 of 5 seats left" in listed  # time unchanged too

    assert "0 of 2 seats left" in await chat.say(ORGANIZER, "!onboarding edit O1 capacity=2")
    await chat.say(LEAD, "!onboarding leave")
    assert "0 of 1 seats left" in await chat.say(ORGANIZER, "!onboarding edit O1 capacity=1")


async def test_joining_plans_reminders_and_moving_the_session_moves_them(room: Chat) -> None:
    chat = await in_oslo(room, HOST)
    await chat.say(ORGANIZER, "!onboarding add 2026-03-10 14:00")
    await chat.say(HOST, "!onboarding join O1")
    assert await reminders(chat, "onboarding") == [
        (HOST, "onboarding", datetime(2026, 3, 9, 13, tzinfo=UTC), "pending"),
        (HOST, "onboarding", datetime(2026, 3, 10, 12, tzinfo=UTC), "pending"),
    ]
    moved = await chat.say(ORGANIZER, "!onboarding edit O1 time=16:30")
    assert "1 signed up told" in moved.reply
    assert "Tue 10 Mar 16:30–17:30 CET" in moved.notices[HOST][0]
    assert [d for _, _, d, _ in await reminders(chat, "onboarding")] == [
        datetime(2026, 3, 9, 15, 30, tzinfo=UTC), datetime(2026, 3, 10, 14, 30, tzinfo=UTC)
    ]
    removed = await chat.say(ORGANIZER, "!onboarding remove O1")
    assert "is cancelled" in removed.notices[HOST][0]
    assert {s for *_, s in await reminders(chat, "onboarding")} == {"cancelled"}
    # Asked to pick a session while there were some and they had none; not any more.
    assert [s for *_, s in await reminders(chat, "pick-session")] == ["cancelled"]


async def test_reminders_are_delivered_once_in_the_recipients_zone(room: Chat) -> None:
    chat = await in_oslo(room, HOST)
    await chat.say(HOST, "!tz America/New_York")
    await chat.say(ORGANIZER, "!onboarding add 2026-03-10 14:00 link=https://meet.example.org/o")
    await chat.say(HOST, "!onboarding join O1")
    await chat.app.reminders.advance(chat.clock, timedelta(days=7, hours=4))  # to 9 Mar 13:00
    assert to(chat, HOST) == [
        "⏰ Your onboarding session O1 for Spring is tomorrow, on Tue 10 Mar 09:00–10:00 EDT. "
        "Join at <https://meet.example.org/o>"
    ]
    await chat.app.reminders.run_due()
    await chat.app.reminders.advance(chat.clock, timedelta(minutes=1))
    assert len(to(chat, HOST)) == 1, "once"
    await chat.app.reminders.advance(chat.clock, timedelta(days=1))
    assert len(to(chat, HOST)) == 2
    sent = [s for *_, s in await reminders(chat, "onboarding")]
    assert sent == ["sent", "sent"]


async def test_a_late_reminder_is_marked_delayed_and_a_very_late_one_missed(room: Chat) -> None:
    chat = await in_oslo(room, HOST)
    await chat.say(ORGANIZER, "!onboarding add 2026-03-10 14:00")
    await chat.say(HOST, "!onboarding join O1")
    chat.clock.set(datetime(2026, 3, 10, 12, 40, tzinfo=UTC))  # 24h one 23h40 late, 1h one 40m
    await chat.app.reminders.run_due()
    await chat.app.worker.wait_idle()
    texts = to(chat, HOST)
    assert len(texts) == 1 and texts[0].endswith("(delayed 40 min)")
    assert [s for *_, s in await reminders(chat, "onboarding")] == ["missed", "sent"]
    told = to(chat, ORGANIZER)
    assert len(told) == 1 and "1 reminders fell due more than 6h ago" in told[0]
    missed = await chat.say(ORGANIZER, "!reminders missed")
    assert "onboarding session reminders: `@host:uni.no`" in missed.reply


async def test_reminders_off_cancels_pending_ones_and_on_brings_them_back(room: Chat) -> None:
    chat = await in_oslo(room, HOST)
    await chat.say(ORGANIZER, "!onboarding add 2026-03-10 14:00")
    await chat.say(HOST, "!onboarding join O1")
    assert "pending ones are cancelled" in await chat.say(HOST, "!reminders off")
    assert {s for u, *_, s in await reminders(chat) if u == HOST} == {"cancelled"}
    await chat.say(HOST, "!reminders on")
    assert {s for u, k, _, s in await reminders(chat) if u == HOST and k != "pick-session"} == {
        "pending"
    }
    pending = await chat.say(ORGANIZER, "!reminders pending")
    assert "day starts, to team leads and hosts:" in pending.reply
    assert "Tue 17 Mar 09:30 CET: 1 person" in pending.reply


async def test_a_learner_who_leaves_gets_no_reminders(room: Chat) -> None:
    chat = await in_oslo(room, HOST)
    await chat.say(ANA, "!join R1")
    assert [k for u, k, *_ in await reminders(chat) if u == ANA] == [
        "learner-day-before", "day-end", "day-end", "daily-closing", "daily-closing", "final",
        "final-closing",
    ]
    await chat.say(ANA, "!leave")
    assert {s for u, *_, s in await reminders(chat) if u == ANA} == {"cancelled"}
    async with chat.app.sessions() as session:
        texts = await session.scalars(
            select(Reminder.text).where(Reminder.kind == "day-start",
                                        Reminder.status == ReminderStatus.PENDING)
        )
        assert {"0 learners" in text for text in texts} == {True}


async def test_announce_reaches_each_person_of_the_group_once(room: Chat) -> None:
    chat = await in_oslo(room, HOST)
    await chat.say(ANA, "!join R1")
    answer = await chat.say(ORGANIZER, "!announce learners Bring a laptop, please.")
    assert "Sent to 1 person (learners)" in answer.reply
    assert list(answer.notices) == [ANA]
    assert "Bring a laptop, please." in answer.notices[ANA][0]
    everyone = await chat.say(ORGANIZER, "!announce all Hello all")
    assert sorted(everyone.notices) == sorted([ANA, HOST])
    assert "Usage:" in (await chat.say(ORGANIZER, "!announce friends hi")).reply


async def test_the_calendar_file_marks_the_askers_session(room: Chat) -> None:
    chat = await in_oslo(room, HOST)
    await chat.say(ORGANIZER, "!onboarding add 2026-03-10 14:00 link=https://meet.example.org/o")
    await chat.say(ORGANIZER, "!onboarding add 2026-03-11 09:00")
    await chat.say(HOST, "!onboarding join O2")
    answer = await chat.say(HOST, "!onboarding ics")
    attachment = answer.messages[0].attachment
    assert attachment is not None and attachment.content_type == "text/calendar"
    events = Calendar.from_ical(attachment.data).walk("VEVENT")
    assert [str(e["uid"]) for e in events] == [
        "onboarding-O1-2026-spring@classroom-bot", "onboarding-O2-2026-spring@classroom-bot"
    ]
    assert events[0].decoded("dtstart") == datetime(2026, 3, 10, 13, tzinfo=UTC)
    assert str(events[1]["summary"]).startswith("★ Your session")
    assert not str(events[0]["summary"]).startswith("★")


async def test_a_finished_workshop_sends_no_more_reminders(room: Chat) -> None:
    chat = await in_oslo(room)
    await chat.say(ANA, "!join R1")
    await chat.say(ORGANIZER, "!workshop edit 2026-spring state=finished")
    assert {s for *_, s in await reminders(chat)} == {"cancelled"}
    await chat.app.reminders.advance(chat.clock, timedelta(days=30))
    assert to(chat, ANA) == [] and to(chat, HOST) == []
