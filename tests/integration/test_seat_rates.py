"""Response rates count who was seated at each day's end (SQLite and PostgreSQL).

A past day's rate counts the learners seated when that day ended, from the seat
history, not who is seated now: a learner who answers and then leaves, one who
joins on day 3, one who forgets themselves, change no past day's rate, and no
rate goes above 100 %. The workshop is in Asia/Kolkata (UTC+05:30): day 1 ends
at 15:00 IST, 09:30 UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from tests.chat import ORGANIZER, Chat

WORKSHOP = ("!workshop add 2026-spring title=Spring tz=Asia/Kolkata "
            "days=2026-03-17,2026-03-18,2026-03-19 time=10:00-15:00")
DAY1 = datetime(2026, 3, 17, 6, 0, tzinfo=UTC)  # 11:30 IST, during day 1
DAY1_ENDED = datetime(2026, 3, 17, 9, 30, tzinfo=UTC)
DAY2 = datetime(2026, 3, 18, 6, 0, tzinfo=UTC)
DAY3 = datetime(2026, 3, 19, 6, 0, tzinfo=UTC)
AFTER = datetime(2026, 3, 19, 12, 0, tzinfo=UTC)  # the last day is over


def host(n: int) -> str:
    return f"@host{n}:uni.no"


def learner(n: int) -> str:
    return f"@learner{n}:uni.no"  # @learner1 is a prefix of @learner12


async def rooms(chat: Chat, count: int = 1) -> None:
    await chat.say(ORGANIZER, WORKSHOP)
    for n in range(1, count + 1):
        await chat.say(host(n), f"!room add name=Room{n} org=U mode=online capacity=20 "
                                "public=no")


async def answer_daily(chat: Chat, who: str, day: int) -> None:
    await chat.say(who, f"!feedback daily day={day}")
    for text in ("1", "pairing", "slower please", "skip", "yes"):
        await chat.say(who, text, direct=True)
    assert "saved" in chat.transport.sent[-1].text.lower(), chat.transport.sent[-1].text


async def rate(chat: Chat, ask: str = "") -> str:
    reply = (await chat.say(ORGANIZER, "!feedback summary daily" + ask)).reply
    found = re.search(r"^Response rate: (.*)$", reply, re.MULTILINE)
    return found.group(1) if found else ""


async def test_a_learner_who_answers_and_then_leaves_keeps_the_rate_at_most_100(
    chat: Chat,
) -> None:
    """Three answer day 1, one leaves before it ends: 3 responses, 2 seated at its end.
    Counted from who is seated, that was 3 of 2 (150%); a day expects its responses."""
    await rooms(chat)
    for n in (1, 2, 3):
        await chat.say(learner(n), "!join R1")
    chat.clock.set(DAY1)
    for n in (1, 2, 3):
        await answer_daily(chat, learner(n), 1)
    await chat.say(learner(3), "!leave")
    chat.clock.set(DAY2)
    assert await rate(chat, " day=1") == "R1 Room1: 3 of 3 (100%)"
    await answer_daily(chat, learner(1), 2)
    chat.clock.set(AFTER)  # day 1: 3 of max(2, 3); day 2: 1 of 2
    assert await rate(chat) == "R1 Room1: 4 of 5 (80%)"


async def test_a_learner_who_joins_on_day_3_leaves_day_1s_rate_as_it_was(chat: Chat) -> None:
    """Counted from who is seated now, day 1's rate fell from 1 of 2 to 1 of 3 when
    someone joined on day 3. A day not over yet counts who is seated now."""
    await rooms(chat)
    for n in (1, 2):
        await chat.say(learner(n), "!join R1")
    chat.clock.set(DAY1)
    await answer_daily(chat, learner(1), 1)
    assert await rate(chat, " day=1") == "R1 Room1: 1 of 2 (50%)"
    chat.clock.set(DAY3)
    await chat.say(learner(3), "!join R1")
    assert await rate(chat, " day=1") == "R1 Room1: 1 of 2 (50%)"
    assert await rate(chat, " day=2") == "R1 Room1: 0 of 2 (0%)"  # nobody answered it
    await answer_daily(chat, learner(3), 3)
    assert await rate(chat, " day=3") == "R1 Room1: 1 of 3 (33%)"


async def test_a_room_whose_code_a_longer_one_starts_with_is_rated_alone(chat: Chat) -> None:
    """R1 and R12: each counts its own seats and responses, and a room's summary rates
    that room only, though a learner moves from R12 to R1 after day 1."""
    await rooms(chat, 12)
    for n, room in ((1, "R1"), (2, "R12"), (3, "R12"), (4, "R12")):
        await chat.say(learner(n), f"!join {room}")
    chat.clock.set(DAY1)
    for n in (1, 2, 3):
        await answer_daily(chat, learner(n), 1)
    chat.clock.set(DAY2)
    await chat.say(learner(4), "!join R1")  # moves: R12 had 3 seated at day 1's end
    assert await rate(chat, " day=1") == "R1 Room1: 1 of 1 (100%); R12 Room12: 2 of 3 (67%)"
    assert await rate(chat, " day=1 room=R1") == "R1 Room1: 1 of 1 (100%)"
    assert await rate(chat, " day=1 room=R12") == "R12 Room12: 2 of 3 (67%)"


async def test_forget_me_after_answering_changes_no_past_rate(chat: Chat) -> None:
    """The history has no person in it: forget-me keeps it. Counted from who is seated
    now, day 1's rate went from 2 of 2 to 2 of 1 (200%)."""
    await rooms(chat)
    for n in (1, 2):
        await chat.say(learner(n), "!join R1")
    chat.clock.set(DAY1)
    for n in (1, 2):
        await answer_daily(chat, learner(n), 1)
    chat.clock.set(DAY2)
    await chat.say(learner(2), "!forget-me", direct=True)
    assert "no longer has your user id" in (await chat.say(learner(2), "yes", direct=True))
    assert await rate(chat, " day=1") == "R1 Room1: 2 of 2 (100%)"


async def test_a_host_who_also_leads_is_expected_once_for_a_staff_form(chat: Chat) -> None:
    """Registering a room makes its host its lead too: one team place, one debrief."""
    await rooms(chat)
    chat.clock.set(AFTER)
    await chat.say(host(1), "!feedback debrief")
    for text in ("6", "4", "pairing", "more breaks", "maybe", "yes"):
        await chat.say(host(1), text, direct=True)
    reply = (await chat.say(ORGANIZER, "!feedback summary debrief")).reply
    assert "Response rate: R1 Room1: 1 of 1 (100%)" in reply


async def test_each_chart_has_its_own_file_name(chat: Chat) -> None:
    """Named from the workshop, form, day, room and the time it was made (UTC)."""
    await rooms(chat)
    await chat.say(learner(1), "!join R1")
    chat.clock.set(DAY1)
    await answer_daily(chat, learner(1), 1)
    chat.clock.set(datetime(2026, 3, 17, 10, 5, 59, tzinfo=UTC))
    names = []
    for ask in ("", " day=1", " day=1 room=R1"):
        answer = await chat.say(ORGANIZER, "!feedback summary daily" + ask)
        names += [m.attachment.filename for m in answer.messages if m.attachment is not None]
    assert names == ["feedback-2026-spring-daily-20260317T1005Z.png",
                     "feedback-2026-spring-daily-day1-20260317T1005Z.png",
                     "feedback-2026-spring-daily-day1-R1-20260317T1005Z.png"]


async def test_a_leads_summary_rates_and_names_its_chart_alike(chat: Chat) -> None:
    """Five of six answer day 1; the sixth leaves on day 2. Day 1's group is shown to
    the room's host from its window's end (36 h) and 10 minutes on: 5 of the 6 seated
    when the day ended (counted from who is seated now: 5 of 5)."""
    await rooms(chat)
    for n in range(1, 7):
        await chat.say(learner(n), "!join R1")
    chat.clock.set(DAY1)
    for n in range(1, 6):
        await answer_daily(chat, learner(n), 1)
    chat.clock.set(DAY2)
    await chat.say(learner(6), "!leave")
    chat.clock.set(datetime(2026, 3, 18, 21, 45, tzinfo=UTC))
    answer = await chat.say(host(1), "!feedback summary daily day=1")
    assert "Response rate: R1 Room1: 5 of 6 (83%)" in answer.reply
    assert [m.attachment.filename for m in answer.messages if m.attachment is not None] == [
        "feedback-2026-spring-daily-day1-R1-20260318T2145Z.png"]
