"""Feedback on the real homeserver: the end-of-day reminder starts the daily form in
the learner's direct chat, the learner answers it there; the organizer gets the summary
with its chart and the CSV export.

The reminder is made due shortly after the set-up by configuring `[reminders]
day_end_after` so that a day which ended two days ago is followed by its form a
minute from now (and `[feedback] daily_window` so that the form is still open);
the test then waits for the wall clock (polling, with a deadline).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.config import ReminderSettings

if TYPE_CHECKING:
    from tests.e2e.bots import BotRunner
    from tests.e2e.conftest import ChatUser

MakeUser = Callable[..., Awaitable["ChatUser"]]
MakeBot = Callable[..., Awaitable["BotRunner"]]
RoomWith = Callable[..., Awaitable[str]]


def files(user: ChatUser, room: str, bot: BotRunner, msgtype: str) -> list[dict[str, Any]]:
    return [e for e in user.events[room] if e.get("sender") == bot.user_id
            and e.get("content", {}).get("msgtype") == msgtype]


# Enough for the set-up below (a few commands) to finish before the reminder is due.
SETUP_S = 20


def day_ending_in_the_past() -> tuple[str, str]:
    """A workshop day that ended two days ago (UTC), and the `day_end_after` offset that
    makes its end-of-day reminder fall due SETUP_S seconds from now."""
    day = (datetime.now(UTC) - timedelta(days=2)).date()
    ends = datetime(day.year, day.month, day.day, 15, tzinfo=UTC)
    after = math.ceil((datetime.now(UTC) - ends).total_seconds()) + SETUP_S
    return f"{day:%Y-%m-%d}", f"{after}s"


async def test_end_of_day_form_in_a_direct_chat_then_summary_and_export(
    make_user: MakeUser, make_bot: MakeBot, room_with: RoomWith
) -> None:
    olga = await make_user("olga")
    bot = await make_bot(organizers=(olga.user_id,), start=False)
    day, after = day_ending_in_the_past()
    # The form stays answerable past the default 36 h after a day that ended 2 days ago.
    bot.settings = replace(bot.settings, reminders=ReminderSettings(day_end_after=after),
                           feedback=replace(bot.settings.feedback, daily_window="4d"))
    await bot.start()
    lars = await make_user("lars")
    room = await room_with(olga, bot)
    await olga.client.room_invite(room, lars.user_id)
    await lars.wait_until(lambda: room in lars.invites or None, "the invitation")
    await lars.join(room)
    # A workshop refuses days gone by and, once ended, joins: it is set up ahead,
    # Lars joins, and then its day is moved to one that ended two days ago.
    ahead = (datetime.now(UTC) + timedelta(days=30)).date()
    for text in (
        f"!workshop add 2027-spring title=Spring tz=UTC days={ahead:%Y-%m-%d} time=10:00-15:00",
        '!room add name=Oslo org=UiO mode=online lang=en capacity=5 public=yes',
    ):
        await olga.expect_reply(room, await olga.say(room, text), sender=bot.user_id)
    await lars.expect_reply(room, await lars.say(room, "!join R1"), sender=bot.user_id)
    moved = await olga.say(room, f"!workshop edit 2027-spring days={day}")
    await olga.expect_reply(room, moved, sender=bot.user_id)

    # No command: the end of the day brings the form to the direct chat.
    direct = await lars.wait_until(
        lambda: next((r for r in lars.invites if r != room), None), "a direct chat",
        within=SETUP_S + 90,
    )
    await lars.join(direct)
    first = await lars.wait_until(
        lambda: [e for e in lars.events[direct] if e.get("sender") == bot.user_id
                 and "question 1 of 4" in e.get("content", {}).get("body", "")],
        "the first question", within=SETUP_S + 90,  # the change notice opened the chat
    )
    body = first[0]["content"]["body"]
    assert "Day 1 of Spring is over" in body and "too fast" in body
    assert len(first) == 1
    said = ""
    for answer in ("1, 3", "the exercises", "more breaks", "skip", "yes"):
        event = await lars.say(direct, answer)  # no prefix: the form takes it
        said = (await lars.expect_reply(direct, event, sender=bot.user_id))["content"]["body"]
    assert "saved" in said

    asked = await olga.say(room, "!feedback summary daily day=1")
    summary = (await olga.expect_reply(room, asked, sender=bot.user_id))["content"]["body"]
    assert "1 response" in summary and "R1 Oslo: 1 of 1 (100%)" in summary
    assert "the exercises" in summary and lars.user_id not in summary
    image = await olga.wait_until(lambda: files(olga, room, bot, "m.image"), "the chart")
    chart = await olga.client.download(mxc=image[0]["content"]["url"])
    assert getattr(chart, "body", b"").startswith(b"\x89PNG")

    exported = await olga.say(room, "!feedback export daily")
    await olga.expect_reply(room, exported, sender=bot.user_id)
    sent = await olga.wait_until(lambda: files(olga, room, bot, "m.file"), "the CSV file")
    assert sent[0]["content"]["body"] == "feedback-2027-spring-daily.csv"
    data = getattr(await olga.client.download(mxc=sent[0]["content"]["url"]), "body", b"")
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    assert [r["good"] for r in rows] == ["the exercises"]
    assert lars.user_id.encode() not in data
