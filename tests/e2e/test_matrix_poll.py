"""The daily "Today was" question as a Matrix poll on the real homeserver: posted as an
`m.poll.start` in the configured room when the day ends (a simulated clock, advanced),
two people respond (one changes her answer, with the unstable MSC3381 event type),
and the feedback summary counts the poll's votes apart from the form's."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from bot.clock import FrozenClock
from bot.db.models import PollVote
from bot.forms.definitions import load

if TYPE_CHECKING:
    from tests.e2e.bots import BotRunner
    from tests.e2e.conftest import ChatUser

MakeUser = Callable[..., Awaitable["ChatUser"]]
MakeBot = Callable[..., Awaitable["BotRunner"]]
RoomWith = Callable[..., Awaitable[str]]
CHOICES = load()["daily"].questions[0].choices


def response(poll: str, *answers: str, unstable: bool = False) -> tuple[dict[str, Any], str]:
    """A poll response's content and event type, as clients send them."""
    relation = {"rel_type": "m.reference", "event_id": poll}
    if unstable:
        return ({"m.relates_to": relation,
                 "org.matrix.msc3381.poll.response": {"answers": list(answers)}},
                "org.matrix.msc3381.poll.response")
    return {"m.relates_to": relation, "m.selections": list(answers)}, "m.poll.response"


def poll_line(summary: str, choice: str) -> str:
    part = summary.split("From the poll", 1)[1]
    return next(line for line in part.splitlines() if line.startswith(f"`{choice} "))


async def test_the_daily_poll_on_matrix_and_its_votes_in_the_summary(
    make_user: MakeUser, make_bot: MakeBot, room_with: RoomWith
) -> None:
    # The workshop day was yesterday and the simulated clock starts two days before it:
    # advanced to the day's end it is still behind the real time of the messages, which
    # are then recent, not "sent over 10 minutes ago".
    day = (datetime.now(UTC) - timedelta(days=1)).date()
    clock = FrozenClock(datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(days=2))
    olga, lars, mia = await make_user("olga"), await make_user("lars"), await make_user("mia")
    bot = await make_bot(organizers=(olga.user_id,), clock=clock)
    room = await room_with(olga, bot)
    await bot.stop()
    bot.configure(poll_room=room)
    await bot.start()
    for person in (lars, mia):
        await olga.client.room_invite(room, person.user_id)
        await person.wait_until(lambda p=person: room in p.invites or None, "the invitation")
        await person.join(room)
    for who, text in (
        (olga, f"!workshop add 2027-spring title=Spring tz=UTC days={day} time=10:00-15:00"),
        (olga, "!room add name=Oslo org=UiO mode=online lang=en capacity=5 public=yes"),
        (lars, "!join R1"), (mia, "!join R1"),
    ):
        await who.expect_reply(room, await who.say(room, text), sender=bot.user_id)

    ends = datetime(day.year, day.month, day.day, 15, tzinfo=UTC)
    await bot.app.reminders.advance(clock, ends - clock.now())
    [start] = await lars.wait_until(
        lambda: [e for e in lars.events[room] if e.get("type") == "m.poll.start"], "the poll")
    assert start["sender"] == bot.user_id
    content = start["content"]
    question = content["m.poll"]["question"]["m.text"][0]["body"]
    assert question == "Day 1 of Spring: Today was (choose all that apply)"
    answers = content["m.poll"]["answers"]
    assert [a["m.text"][0]["body"] for a in answers] == list(CHOICES)
    assert content["m.poll"]["max_selections"] == len(CHOICES)
    unstable = content["org.matrix.msc3381.poll.start"]
    assert [a["org.matrix.msc1767.text"] for a in unstable["answers"]] == list(CHOICES)
    assert "1. too fast" in content["body"]  # what a client without polls shows
    ids = [a["m.id"] for a in answers]

    poll = start["event_id"]
    for person, (body, kind) in (
        (lars, response(poll, ids[0], ids[2])),  # too fast, right speed
        (mia, response(poll, ids[0])),
        (mia, response(poll, ids[1], unstable=True)),  # Mia changes her answer: too slow
    ):
        await person.send_raw(room, body, event_type=kind)

    # Sent after the responses: the bot records them before it reads this command.
    asked = await olga.say(room, "!feedback summary daily day=1")
    text = str((await olga.expect_reply(room, asked, sender=bot.user_id))["content"]["body"])
    assert "From the poll, apart from the form's answers (2 voters)" in text
    assert re.search(r"\s1\s+50%`$", poll_line(text, "too fast"))
    assert re.search(r"\s1\s+50%`$", poll_line(text, "too slow"))
    assert re.search(r"\s1\s+50%`$", poll_line(text, "right speed"))
    async with bot.app.sessions() as session:
        votes = list(await session.scalars(select(PollVote)))
    assert len(votes) == 3 and all(v.respondent and "@" not in v.respondent for v in votes)
