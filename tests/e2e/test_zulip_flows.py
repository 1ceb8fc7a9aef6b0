"""Whole flows on Zulip (the API double, people on the official client): the rooms
flow with a waitlist promotion told by direct message, a reminder and a feedback form
by direct message on a simulated clock, and hostile messages."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from bot.clock import FrozenClock
from tests.zulip.bots import ZulipBot
from tests.zulip.fixtures import ORGANIZER_START as START
from tests.zulip.people import Org, ZulipPerson

WORKSHOP = ("!workshop add 2027-spring title=Spring tz=Europe/Oslo days=2027-03-17 "
            "time=10:00-15:00")
ROOM = "!room add name=Oslo org=UiO mode=online lang=no capacity=1 public=yes"
# START (the organizer bot's clock): two days before the workshop's only day.


async def test_the_rooms_flow_with_a_waitlist_promotion_by_direct_message(
    org: Org, organizer_bot: tuple[ZulipBot, ZulipPerson]
) -> None:
    _, ana = organizer_bot
    cy, dan, eve = org.person("Cy Lead"), org.person("Dan Learner"), org.person("Eve Learner")
    await ana.say(WORKSHOP)
    await ana.expect(r"2027-spring")
    await cy.say(ROOM)
    await cy.expect(r"R1")
    await dan.say("!join R1")
    # Dan's own answer (Cy's "Registered R1" is in the channel too): only then Eve asks.
    await dan.expect(r"you have a seat in R1")
    await eve.tell_bot("join R1")
    await eve.expect(r"number 1 on its waitlist", direct=True)
    await cy.say("!room roster R1")
    roster = await cy.expect(r"Roster of R1")
    assert f"@_**Dan Learner|{dan.user_id}**" in roster["content"]
    assert f"@_**Eve Learner|{eve.user_id}**" in roster["content"]
    await dan.say("!leave")
    await dan.expect(r"(?i)left|no longer")
    told = await eve.expect(r"a seat freed up in R1", direct=True)
    assert {r["id"] for r in told["display_recipient"]} == {eve.user_id, org.bot.user_id}


async def test_a_reminder_and_the_daily_form_by_direct_message(
    org: Org, organizer_bot: tuple[ZulipBot, ZulipPerson]
) -> None:
    bot, ana = organizer_bot
    cy, dan = org.person("Cy Lead"), org.person("Dan Learner")
    await ana.say(WORKSHOP)
    await ana.expect(r"2027-spring")
    await cy.say(ROOM)
    await cy.expect(r"R1")
    await dan.say("!join R1")
    await dan.expect(r"you have a seat in R1")  # his own answer, not Cy's "R1"
    assert bot.app is not None and isinstance(bot.clock, FrozenClock)
    # To the day's start (10:00 Oslo = 09:00 UTC on 17 March): the leads' reminder.
    await bot.app.reminders.advance(bot.clock, datetime(2027, 3, 17, 9, 0, tzinfo=UTC) - START)
    await cy.expect(r"Day 1 of Spring starts", direct=True)
    # To the day's end (15:00 Oslo): Dan's daily form starts in his direct messages.
    await bot.app.reminders.advance(bot.clock, timedelta(hours=6))
    question = await dan.expect(r"Today was", direct=True)
    assert "1." in question["content"] or "1)" in question["content"]
    await dan.tell_bot("1, 3")
    await dan.expect(r"One good thing", direct=True)
    await dan.tell_bot("the exercises")
    await dan.expect(r"improve", direct=True)
    await dan.tell_bot("more breaks")
    await dan.expect(r"(?i)other feedback", direct=True)
    await dan.tell_bot("skip")
    await dan.expect(r"(?i)yes", direct=True)
    await dan.tell_bot("yes")
    await dan.expect(r"Your answers to the daily form are saved", direct=True)
    await ana.tell_bot("feedback summary daily day=1")
    summary = await ana.expect(r"(?i)responses?", direct=True)
    assert "the exercises" in summary["content"]
    assert re.search(r"\]\(/user_uploads/[^)]+\.png\)", summary["content"])  # the chart


async def test_hostile_messages_get_answers_and_break_nothing(
    org: Org, organizer_bot: tuple[ZulipBot, ZulipPerson]
) -> None:
    _, ana = organizer_bot
    mallory = org.person("Mallory")
    await mallory.say("!" + "x" * 9_000)
    await mallory.expect(r"(?i)too long|don't know")
    await mallory.say("!tz \x00\x07\x1b[31mEurope/Oslo")
    await mallory.expect(r"(?i)control characters")
    await mallory.say('!room add name="unterminated')
    await mallory.expect(r"(?i)usage|quote")
    await ana.say(WORKSHOP)
    await ana.expect(r"2027-spring")
    await ana.say('!room add name="@**all** *bold* $$x$$" org=UiO mode=online lang=no '
                  "capacity=3 public=yes")
    created = await ana.expect(r"R1")
    assert "@**all**" not in created["content"]  # no one is pinged through a room name
    await mallory.tell_bot("help")
    await mallory.expect(r"tz", direct=True)  # still answering
