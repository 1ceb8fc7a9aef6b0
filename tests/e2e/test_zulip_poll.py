"""The daily "Today was" question as a Zulip poll (the API double, people on the
official client): posted in the configured channel when the day ends, votes
(and a vote taken back) counted in the feedback summary, apart from the form's."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.clock import FrozenClock
from bot.db.models import PollVote
from bot.forms.definitions import load
from tests.zulip.bots import ZulipBot
from tests.zulip.people import Org, ZulipPerson

WORKSHOP = ("!workshop add 2027-spring title=Spring tz=Europe/Oslo days=2027-03-17 "
            "time=10:00-15:00")
ROOM = "!room add name=Oslo org=UiO mode=online lang=no capacity=5 public=yes"
START = datetime(2027, 3, 15, 9, 0, tzinfo=UTC)
DAY_END = datetime(2027, 3, 17, 14, 0, tzinfo=UTC)  # 15:00 in Oslo
CHOICES = load()["daily"].questions[0].choices


@pytest.fixture
async def polling_bot(org: Org, tmp_path: Path) -> AsyncIterator[tuple[ZulipBot, ZulipPerson]]:
    """The bot on a simulated clock posting polls in the `workshop` channel; Ana organizes."""
    ana = org.person("Ana Lopez")
    running = ZulipBot(org, tmp_path / "bot.db", organizers=(str(ana.user_id),),
                       clock=FrozenClock(START), poll_channel="workshop")
    await running.start()
    try:
        yield running, ana
    finally:
        await running.stop()


def _poll_line(summary: str, choice: str) -> str:
    """The poll's line for a choice (after the "From the poll" heading)."""
    poll_part = summary.split("From the poll", 1)[1]
    return next(line for line in poll_part.splitlines() if line.startswith(f"`{choice} "))


async def test_the_daily_poll_is_posted_at_day_end_and_its_votes_are_summarized(
    org: Org, polling_bot: tuple[ZulipBot, ZulipPerson]
) -> None:
    bot, ana = polling_bot
    cy, dan, eve = org.person("Cy Lead"), org.person("Dan Learner"), org.person("Eve Learner")
    await ana.say(WORKSHOP)
    await ana.expect(r"2027-spring")
    await cy.say(ROOM)
    await cy.expect(r"R1")
    for learner in (dan, eve):
        await learner.say("!join R1")
        await learner.expect(r"you have a seat in R1")
    assert bot.app is not None and isinstance(bot.clock, FrozenClock)
    await bot.app.reminders.advance(bot.clock, DAY_END - START)
    poll = await dan.expect(r"^/poll ", topic="feedback", direct=False)
    lines = poll["content"].splitlines()
    assert lines[0] == "/poll Day 1 of Spring: Today was (choose all that apply)"
    assert tuple(lines[1:]) == CHOICES
    assert poll["display_recipient"] == "workshop"
    widget = poll["submessages"][0]  # the double made it a poll widget, as Zulip does
    assert '"widget_type": "poll"' in widget["content"]
    await dan.expect(r"Today was", direct=True)  # the form too, by direct message

    await dan.vote(poll["id"], 0)  # too fast
    await dan.vote(poll["id"], 2)  # right speed
    await eve.vote(poll["id"], 0)
    await eve.vote(poll["id"], 0, chosen=False)  # Eve changes her mind...
    await eve.vote(poll["id"], 1)  # ...to too slow

    await ana.tell_bot("feedback summary daily day=1")
    summary = (await ana.expect(r"(?i)responses?", direct=True))["content"]
    assert "From the poll, apart from the form's answers (2 voters)" in summary
    assert re.search(r"too fast .*\s1\s+50%`$", _poll_line(summary, "too fast"))
    assert re.search(r"too slow .*\s1\s+50%`$", _poll_line(summary, "too slow"))
    assert re.search(r"right speed .*\s1\s+50%`$", _poll_line(summary, "right speed"))
    assert re.search(r"too advanced .*\s0\s+0%`$", _poll_line(summary, "too advanced"))

    async with bot.app.sessions() as session:  # stored by pseudonym, never a user id
        votes = list(await session.scalars(select(PollVote)))
    assert len(votes) == 3 and len({v.respondent for v in votes}) == 2
    assert all(v.respondent and "zulip" not in v.respondent for v in votes)
