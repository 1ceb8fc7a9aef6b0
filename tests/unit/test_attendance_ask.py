"""The day-end question to a room's hosts and team leads: a conversation in their
direct chat whose answer is the room's attendance for the day asked about."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.scheduling import planner
from bot.scheduling.planner import Offsets, RoomFacts, WorkshopFacts
from tests.chat import ORGANIZER, Chat
from tests.unit.test_attendance import counts
from tests.unit.test_feedback_forms import dm
from tests.unit.test_feedback_reminders import DAY_1_END, DAY_2_END, until
from tests.unit.test_onboarding import to
from tests.unit.test_planner import FAR_LEAD, LEARNER, workshop
from tests.unit.test_planner import LEAD as LEAD_ID
from tests.unit.test_rooms import ANA, HOST, LEAD

ASKED = "📋 Day 1 of Spring has ended in R1 Oslo classroom."


async def test_the_day_end_asks_the_leads_and_the_answer_is_the_count(room: Chat) -> None:
    chat = room
    await chat.say(HOST, f"!room lead add R1 {LEAD}")
    await chat.say(ANA, "!join R1")
    await until(chat, DAY_1_END)
    for lead in (HOST, LEAD):
        (asked,) = [t for t in to(chat, lead) if t.startswith("📋")]
        assert asked.startswith(ASKED), lead
        assert ("How many learners came to R1 Oslo classroom on day 1 (Tue 17 Mar)? Type a "
                "number from 0 to 11, or `skip`.") in asked
    assert not [t for t in to(chat, ANA) if t.startswith("📋")], "not to learners"
    too_many = await dm(chat, HOST, "12")
    assert "12 is more than R1 takes: 0 to 11." in too_many
    assert "How many learners came" in too_many
    assert "is not a number in the digits 0-9" in await dm(chat, HOST, "１")
    assert "is not a whole number of learners" in await dm(chat, HOST, "2.5")
    assert await counts(chat) == []
    done = await dm(chat, HOST, "3")
    assert "Thank you. Attendance of R1 Oslo classroom on day 1 (Tue 17 Mar): 3" in done
    assert "Nothing was reported for R1" in await dm(chat, LEAD, "skip")
    assert await counts(chat) == [("R1", 1, 3, "conversation")]
    assert "3 (R1 3)" in await chat.say(ORGANIZER, "!attendance")


async def test_an_answer_after_the_leads_midnight_counts_for_the_day_asked(room: Chat) -> None:
    chat = room
    await chat.say(HOST, "!tz Asia/Kolkata")  # UTC+05:30: day 1 ends at 19:30 there
    await until(chat, DAY_1_END)
    # 19:00 UTC: 00:30 on 18 March in Kolkata, still 17 March in Oslo.
    chat.clock.set(DAY_1_END + timedelta(hours=5))
    assert "on day 1 (Tue 17 Mar): 4" in await dm(chat, HOST, "4")
    # Day 2's question, answered the next morning (Oslo's day 3, no day of R1).
    await until(chat, DAY_2_END)
    chat.clock.set(datetime(2026, 3, 19, 8, tzinfo=UTC))
    assert "on day 2 (Wed 18 Mar): 0" in await dm(chat, HOST, "0")
    assert await counts(chat) == [("R1", 1, 4, "conversation"), ("R1", 2, 0, "conversation")]


async def test_a_count_reported_by_command_is_not_asked_again(room: Chat) -> None:
    chat = room
    chat.clock.set(DAY_1_END - timedelta(hours=1))
    await chat.say(HOST, "!attendance 1")
    await until(chat, DAY_1_END)
    (asked,) = [t for t in to(chat, HOST) if t.startswith("📋")]
    assert "Its attendance that day is reported already: 1. `!attendance N day=1 room=R1` " \
        "changes it." in asked
    assert "How many learners" not in asked
    # Not a conversation: a number typed now is not taken as an answer.
    assert "Attendance" not in await dm(chat, HOST, "5")
    # Day 3: R1 does not meet, nobody is asked.
    await until(chat, datetime(2026, 3, 19, 15, tzinfo=UTC))
    assert [t.splitlines()[0] for t in to(chat, HOST) if t.startswith("📋")] == [
        ASKED, "📋 Day 2 of Spring has ended in R1 Oslo classroom."]


async def test_the_question_waits_behind_a_conversation_in_progress(room: Chat) -> None:
    chat = room
    chat.clock.set(DAY_1_END - timedelta(minutes=5))
    await dm(chat, HOST, "!feedback daily day=1")
    await until(chat, DAY_1_END)
    (asked,) = [t for t in to(chat, HOST) if t.startswith("📋")]
    assert asked.splitlines()[-1].startswith("The attendance of R1 on day 1 waits")
    after = await dm(chat, HOST, "cancel")
    assert "Next: How many learners came to R1 Oslo classroom on day 1" in after
    assert "on day 1 (Tue 17 Mar): 2" in await dm(chat, HOST, "2")


def test_the_plan_asks_each_rooms_leads_on_the_days_it_meets_once_per_room() -> None:
    facts = workshop("Europe/Oslo", date(2027, 3, 8))
    rooms = (RoomFacts(1, "One", True, None, frozenset({1, 3}), (LEARNER,), (LEAD_ID,)),
             RoomFacts(10, "Ten", True, None, None, (), (LEAD_ID, FAR_LEAD)))
    planned = planner.plan(WorkshopFacts(**{**facts.__dict__, "rooms": rooms}), Offsets(
        day_end_after=timedelta(minutes=5)), "!")
    asked = [p for p in planned if p.kind == planner.ATTENDANCE]
    assert sorted(p.key for p in asked) == sorted([
        "w1:attendance:1:1:R1", "w1:attendance:3:1:R1",
        *(f"w1:attendance:{day}:{who}:R10" for day in (1, 2, 3) for who in (LEAD_ID, FAR_LEAD))])
    assert all(p.person_id != LEARNER for p in asked)
    day_1 = facts.days[0].ends_at + timedelta(minutes=5)
    assert {p.due_at for p in asked if planner.day_of(p.key) == 1} == {day_1}
    assert {planner.room_of(p.key) for p in asked} == {1, 10}  # R10 is not R1
