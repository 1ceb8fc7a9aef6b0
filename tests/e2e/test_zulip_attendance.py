"""Daily attendance on Zulip (the API double, people on the official client): one
room's host reports by command in the channel, the other answers the day-end
question in a direct message, and the organizer's totals and export add both up."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.clock import FrozenClock
from tests.zulip.bots import ZulipBot
from tests.zulip.fixtures import ORGANIZER_START as START
from tests.zulip.people import Org, ZulipPerson

WORKSHOP = ("!workshop add 2027-spring title=Spring tz=Europe/Oslo days=2027-03-17 "
            "time=10:00-15:00")
# The day's middle and end: 13:00 and 15:00 Oslo time (CET).
MIDDAY = datetime(2027, 3, 17, 12, 0, tzinfo=UTC)
DAY_END = datetime(2027, 3, 17, 14, 0, tzinfo=UTC)


async def test_attendance_by_command_and_by_the_day_end_question_adds_up(
    org: Org, organizer_bot: tuple[ZulipBot, ZulipPerson]
) -> None:
    bot, ana = organizer_bot
    cy, eve, dan = org.person("Cy Host"), org.person("Eve Host"), org.person("Dan Learner")
    await ana.say(WORKSHOP)
    await ana.expect(r"2027-spring")
    await cy.say("!room add name=Oslo org=UiO mode=online lang=no capacity=4 public=yes")
    await cy.expect(r"Registered R1")
    await eve.say("!room add name=Bergen org=UiB mode=online lang=no capacity=9 public=yes")
    await eve.expect(r"Registered R2")
    await dan.say("!join R1")
    await dan.expect(r"you have a seat in R1")
    assert bot.app is not None and isinstance(bot.clock, FrozenClock)

    await bot.app.reminders.advance(bot.clock, MIDDAY - START)
    await dan.say("!attendance 3 room=R1")
    await dan.expect(r"is for a team lead or host of a local room")
    await eve.say("!attendance 7")
    await eve.expect(r"Attendance of R2 Bergen on day 1 \(Wed 17 Mar\): 7 learners")

    await bot.app.reminders.advance(bot.clock, DAY_END - MIDDAY)
    await cy.expect(r"How many learners came to R1 Oslo on day 1", direct=True)
    await eve.expect(r"reported already: 7", direct=True)
    await cy.tell_bot("１２")
    await cy.expect(r"not a number in the digits 0-9", direct=True)
    await cy.tell_bot("4")
    await cy.expect(r"Thank you\. Attendance of R1 Oslo on day 1 \(Wed 17 Mar\): 4", direct=True)

    await ana.tell_bot("attendance")
    totals = await ana.expect(r"learner-days", direct=True)
    assert "11 learner-days in 2 reports" in totals["content"]
    assert "(R1 4, R2 7)" in totals["content"]
    await ana.tell_bot("attendance export")
    exported = await ana.expect(r"2 attendance reports, 11 learner-days", direct=True)
    assert "attendance-2027-spring.csv" in exported["content"]
