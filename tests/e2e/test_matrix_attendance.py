"""Daily attendance on a real homeserver: one room's host reports by command during the
day, the other's answers the day-end question in the direct chat the bot opens, and
the organizer's totals add both up."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.clock import FrozenClock

if TYPE_CHECKING:
    from tests.e2e.bots import BotRunner
    from tests.e2e.conftest import ChatUser

MakeUser = Callable[..., Awaitable["ChatUser"]]
MakeBot = Callable[..., Awaitable["BotRunner"]]


def from_bot(user: ChatUser, room: str, bot: BotRunner, text: str) -> dict[str, Any] | None:
    return next((e for e in user.events[room] if e.get("sender") == bot.user_id
                 and text in str(e.get("content", {}).get("body", ""))), None)


async def test_attendance_by_command_and_by_the_day_end_question_adds_up(
    make_user: MakeUser, make_bot: MakeBot
) -> None:
    # The workshop day was yesterday and the simulated clock starts before it, so the
    # messages of the day's end are recent, not "sent long ago".
    day = (datetime.now(UTC) - timedelta(days=1)).date()
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    clock = FrozenClock(midnight - timedelta(days=2))
    olga, lena, hugo = await make_user("olga"), await make_user("lena"), await make_user("hugo")
    bot = await make_bot(organizers=(olga.user_id,), clock=clock)
    room = await olga.create_room((bot.user_id, lena.user_id, hugo.user_id))
    for person in (lena, hugo):
        await person.join(room)
    await olga.wait_for_membership(room, bot.user_id, "join")

    async def ask(person: ChatUser, text: str, where: str = room) -> str:
        reply = await person.expect_reply(where, await person.say(where, text),
                                          sender=bot.user_id)
        return str(reply["content"]["body"])

    await ask(olga, f"!workshop add 2027-spring title=Spring tz=UTC days={day} "
                    "time=10:00-15:00")
    assert "Registered R1" in await ask(
        lena, "!room add name=Oslo org=UiO mode=online lang=en capacity=5 public=yes")
    assert "Registered R2" in await ask(
        hugo, "!room add name=Bergen org=UiB mode=online lang=en capacity=8 public=yes")

    clock.set(midnight + timedelta(hours=12))
    assert "Attendance of R2 Bergen on day 1" in await ask(hugo, "!attendance 6")
    refused = await ask(lena, "!attendance 6 room=R2")
    assert "Only R2's hosts and team leads, or an organizer, may do that." in refused

    await bot.app.reminders.advance(clock, midnight + timedelta(hours=15) - clock.now())
    direct = await lena.wait_until(lambda: next(iter(lena.invites), None), "a direct chat")
    await lena.join(direct)
    asked = await lena.wait_until(
        lambda: from_bot(lena, direct, bot, "How many learners came to R1 Oslo"),
        "the day-end question")
    assert "Type a number from 0 to 15" in asked["content"]["body"]
    assert "16 is more than R1 takes: 0 to 15." in await ask(lena, "16", direct)
    assert "Thank you. Attendance of R1 Oslo" in await ask(lena, "3", direct)

    totals = await ask(olga, "!attendance")
    assert "9 learner-days in 2 reports" in totals
    assert "(R1 3, R2 6)" in totals
