"""Feedback windows and the release model, as transcripts (SQLite and PostgreSQL).

A team lead sees a room's responses of a form and day only once its window is
over and from k responses on (../shared/PRODUCT.md section 11), so no two
summaries a lead can ask for differ by fewer than k responses; a form whose
window closed takes no answer (section 12), so a released group never changes.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.config import FeedbackSettings, ReminderSettings
from bot.db.models import Conversation, FeedbackResponse
from bot.services.release import SETTLE
from tests.chat import ORGANIZER, Chat

K = 5
HOST = "@host:uni.no"
OTHER_HOST = "@host:uni.nob"  # a user id the first one is a prefix of
# Europe/Oslo, 10:00-15:00: day 1 ends 14:00 UTC on the 17th, its window (36 h)
# closes 02:00 UTC on the 19th; day 2's at 02:00 UTC on the 20th.
WORKSHOP = ("!workshop add 2026-spring title=Spring tz=Europe/Oslo "
            "days=2026-03-17,2026-03-18 time=10:00-15:00")
ROOM = ('!room add name="Oslo classroom" org=UiO mode=in-person city=Oslo country=NO '
        "lang=no capacity=20 public=yes")
DAY1_OPEN = datetime(2026, 3, 19, 1, 59, tzinfo=UTC)
DAY1_CLOSED = datetime(2026, 3, 19, 2, 0, tzinfo=UTC)
# Closed groups are shown SETTLE (10 min) later: a last answer may still be committing.
DAY1_SHOWN = DAY1_CLOSED + SETTLE
BOTH_SHOWN = datetime(2026, 3, 20, 2, 0, tzinfo=UTC) + SETTLE


def learner(n: int, room: str = "a") -> str:
    return f"@learner{n}{room}:uni.no"  # @learner1a is a prefix of @learner10a


async def answer_daily(chat: Chat, who: str, day: int, good: str = "pairing") -> None:
    await chat.say(who, f"!feedback daily day={day}")
    for text in ("1", good, "slower please", "skip", "yes"):
        await chat.say(who, text, direct=True)


def responses_in(reply: str) -> int:
    """The responses a summary shows; 0 when it shows none."""
    if "nothing of it can be shown to you" in reply:
        return 0
    found = re.search(r"\*\*[^*]+\*\*: (\d+) responses?", reply)
    assert found is not None, reply
    return int(found.group(1))


async def setup(chat: Chat, learners: int = 6) -> None:
    await chat.say(ORGANIZER, WORKSHOP)
    await chat.say(HOST, ROOM)
    for n in range(1, learners + 1):
        await chat.say(learner(n), "!join R1")


async def test_a_lead_cannot_learn_one_response_by_subtraction(chat: Chat) -> None:
    """Five answers about day 1, one about day 2: on today's main the lead saw all days
    (6) and day 1 (5), and so the day-2 answer by difference."""
    await setup(chat)
    for n in range(1, 6):
        await answer_daily(chat, learner(n), 1)
    await answer_daily(chat, learner(6), 2, good="only said on day two")
    seen: list[int] = []
    for instant in (DAY1_OPEN, DAY1_CLOSED, DAY1_SHOWN, BOTH_SHOWN):
        chat.clock.set(instant)
        for ask in ("", " day=1", " day=2"):
            reply = (await chat.say(HOST, "!feedback summary daily" + ask)).reply
            assert "only said on day two" not in reply
            seen.append(responses_in(reply))
    assert seen == [0, 0, 0, 0, 0, 0, 5, 5, 0, 5, 5, 0]
    assert all(a == b or abs(a - b) >= K for a in seen for b in seen)
    withheld = (await chat.say(HOST, "!feedback summary daily day=2")).reply
    assert "Day 2: R1 had fewer than 5 responses when the form closed" in withheld
    await chat.say(HOST, "!tz Europe/Oslo")
    chat.clock.set(DAY1_OPEN)
    waiting = (await chat.say(HOST, "!feedback summary daily")).reply
    assert ("Day 1: answerable until Thu 19 Mar 03:00 CET; shown from Thu 19 Mar 03:10 CET"
            in waiting)
    debrief = (await chat.say(HOST, "!feedback summary debrief")).reply
    assert "The `debrief` form: answerable until Wed 25 Mar 15:00 CET" in debrief
    chat.clock.set(BOTH_SHOWN)
    every = (await chat.say(HOST, "!feedback summary daily")).reply
    assert "Shown: day 1: R1." in every and "R1 Oslo classroom: 5 of 6 (83%)" in every
    organizer = (await chat.say(ORGANIZER, "!feedback summary daily")).reply
    assert responses_in(organizer) == 6 and "only said on day two" in organizer


async def two_rooms(chat: Chat, second: int, roomless: int = 0) -> None:
    """R1 with 2 answers about day 1, R2 (a host whose id the first's is a prefix of)
    with `second`, and `roomless` answers of people in no room; then day 1's window
    closes."""
    await setup(chat, learners=2)
    await chat.say(OTHER_HOST, ROOM.replace("Oslo classroom", "Bergen"))
    for n in range(1, second + 1):
        await chat.say(learner(n, "b"), "!join R2")
    nowhere = [learner(n, "x") for n in range(1, roomless + 1)]
    for who in (learner(1), learner(2), *(learner(n, "b") for n in range(1, second + 1)),
                *nowhere):
        await answer_daily(chat, who, 1)
    chat.clock.set(DAY1_SHOWN)


NOT_EITHER = ("R1 had fewer than 5 responses when the form closed, so it is never shown, and "
              "the workshop-wide pool is not shown either")
INSTEAD = ("R1 had fewer than 5 responses when the form closed, so it is never shown; "
           "the workshop-wide pool is shown instead.")


@pytest.mark.parametrize(("second", "roomless", "first_sees", "said"), [
    (4, 0, 0, NOT_EITHER),  # the pool's rest outside R1 is 4
    (5, 0, 0, NOT_EITHER),  # pool 7 - R2's released 5 = R1's 2
    (5, 3, 10, INSTEAD),  # beyond R2's 5: R1's 2 and 3 without a room
])
async def test_the_pool_only_when_its_rest_cannot_single_anyone_out(
    chat: Chat, second: int, roomless: int, first_sees: int, said: str
) -> None:
    """Outside R1 the pool has 4 (< k): R1's lead sees nothing, R2's 4 are never shown.
    With 5 in R2, R2's lead sees R2's 5; a pool of 7 shown to R1's lead would differ
    from them by R1's 2 (to R1's lead once made R2's lead too, or to both leads
    comparing notes), so it is not shown. With 3 more answers from people in no room,
    R1's lead sees the pool (10) without per-room rates (they would tell R2's count)."""
    await two_rooms(chat, second, roomless)
    first = (await chat.say(HOST, "!feedback summary daily day=1")).reply
    assert responses_in(first) == first_sees and said in first
    assert "Response rate" not in first
    own = (await chat.say(OTHER_HOST, "!feedback summary daily day=1")).reply
    assert responses_in(own) == (0 if second < K else second)
    assert ("Shown: day 1: R2." in own) == (second >= K)


async def test_a_rate_counts_only_the_rooms_released_groups(chat: Chat) -> None:
    """R1: 5 answers on day 1 (released), 2 on day 2 (in the pool R1's lead sees, with
    R2's 5 and 3 of people in no room): R1's rate is 5 of 5, not 7 (its unreleased
    day-2 count)."""
    await setup(chat, learners=5)
    await chat.say(OTHER_HOST, ROOM.replace("Oslo classroom", "Bergen"))
    for n in range(1, 6):
        await chat.say(learner(n, "b"), "!join R2")
    for who, day in [*((learner(n), 1) for n in range(1, 6)), (learner(1), 2),
                     (learner(2), 2), *((learner(n, "b"), 2) for n in range(1, 6)),
                     *((learner(n, "x"), 2) for n in range(1, 4))]:
        await answer_daily(chat, who, day)
    chat.clock.set(BOTH_SHOWN)
    every = (await chat.say(HOST, "!feedback summary daily")).reply
    assert responses_in(every) == 15
    assert "Shown: day 1: R1; day 2: all rooms (the workshop-wide pool)." in every
    assert "Response rate: R1 Oslo classroom: 5 of 5 (100%)\n" in every


async def test_an_answer_after_the_window_closed_is_not_saved(chat: Chat) -> None:
    """A learner in UTC+05:30 starts day 2's form in time and confirms it at 07:31 local
    time, a minute after its window closed: nothing is saved, the form ends."""
    await setup(chat, learners=1)
    await chat.say(learner(1), "!tz Asia/Kolkata")
    chat.clock.set(datetime(2026, 3, 20, 1, 0, tzinfo=UTC))
    await chat.say(learner(1), "!feedback daily day=2")
    for text in ("1", "pairing", "slower please", "skip"):
        await chat.say(learner(1), text, direct=True)
    chat.clock.set(datetime(2026, 3, 20, 2, 1, tzinfo=UTC))
    late = (await chat.say(learner(1), "yes", direct=True)).reply
    assert "could be answered until Fri 20 Mar 07:30 IST" in late
    assert "nothing of it was saved" in late
    async with chat.app.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(FeedbackResponse)) == 0
        assert await session.scalar(select(func.count()).select_from(Conversation)) == 0


async def test_a_reminder_sent_after_the_window_starts_no_form(
    tmp_path: Path, bot_database_url: str
) -> None:
    """A day-end reminder due after the daily window (late, or so configured) only
    reminds: a form started then could not be saved."""
    late = await Chat.open(tmp_path, url=bot_database_url,
                           feedback=FeedbackSettings(daily_window="1m"),
                           reminders=ReminderSettings(day_end_after="2m"))
    try:
        await setup(late, learners=1)
        ends = datetime(2026, 3, 17, 14, 2, tzinfo=UTC)
        await late.app.reminders.advance(late.clock, ends - late.clock.now())
        (said,) = [m.text for m in late.transport.sent
                   if m.user == learner(1) and "is over" in m.text]
        assert "question 1 of" not in said
        async with late.app.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(Conversation)) == 0
    finally:
        await late.close()


async def test_a_form_whose_window_closed_cannot_be_started(chat: Chat) -> None:
    await setup(chat, learners=1)
    await chat.say(learner(1), "!tz Asia/Kolkata")
    chat.clock.set(DAY1_CLOSED)
    refused = (await chat.say(learner(1), "!feedback daily day=1")).reply
    assert "could be answered until Thu 19 Mar 07:30 IST" in refused
    assert "its window has closed" in refused
    started = await chat.say(learner(1), "!feedback daily day=2")
    assert "direct message" in started.reply
    async with chat.app.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Conversation)) == 1


async def test_a_closed_day_keeps_its_number_and_end(chat: Chat) -> None:
    """Once day 1's feedback closed, no edit may renumber it or move its end (its
    responses would join another day's group); a later day may still change."""
    await setup(chat, learners=1)
    await chat.say(ORGANIZER, "!tz Europe/Oslo")
    chat.clock.set(DAY1_CLOSED)
    for change in ("days=2026-03-16,2026-03-17,2026-03-18", "tz=Europe/London",
                   "time=10:00-16:00", "days=2026-03-18"):
        refused = (await chat.say(ORGANIZER, "!workshop edit 2026-spring " + change)).reply
        assert "Feedback about day 1 closed at Thu 19 Mar 03:00 CET, so day 1 keeps" in refused
    moved = await chat.say(ORGANIZER, "!workshop edit 2026-spring day=2 time=09:00-14:00")
    assert "Workshop `2026-spring` changed." in moved.reply
