"""What learners are told: the setup instructions, their room's days in their own zone,
the next reminder, the zone hint once, and a lead's seat elsewhere confirmed first."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.chat import ORGANIZER, Chat
from tests.unit.test_onboarding import to

HOST = "@host:uni.no"
ANA, BO = "@ana:uni.no", "@bo:uni.no"
SETUP = "https://example.org/setup"
ROOM = (
    '!room add name="Oslo classroom" org="University of Oslo" mode=in-person city=Oslo '
    'country=NO lang=no capacity=5 days=1-2 public=yes venue="Blindern 1"'
)
# Day 1 starts at 10:00 Oslo time (CET), 09:00 UTC; its reminder is due a day before.
DAY_BEFORE = datetime(2026, 3, 16, 9, tzinfo=UTC)


@pytest.fixture
async def spring(chat: Chat) -> Chat:
    await chat.say(
        ORGANIZER,
        "!workshop add 2026-spring title=Spring tz=Europe/Oslo "
        f"days=2026-03-17,2026-03-18,2026-03-19 time=10:00-15:00 setup={SETUP}",
    )
    assert "Registered R1" in await chat.say(HOST, ROOM)
    return chat


async def until(chat: Chat, instant: datetime) -> None:
    await chat.app.reminders.advance(chat.clock, instant - chat.clock.now())


async def test_the_setup_address_is_shown_and_sent_the_day_before(spring: Chat) -> None:
    assert f"Setup instructions: <{SETUP}>" in await spring.say(ANA, "!workshop")
    await spring.say(ANA, "!tz Europe/Oslo")
    await spring.say(ANA, "!join R1")
    assert f"Setup instructions: <{SETUP}>" in await spring.say(ANA, "!myroom")
    await until(spring, DAY_BEFORE)
    (reminder,) = to(spring, ANA)
    assert reminder.startswith("⏰ Spring starts on Tue 17 Mar 10:00–15:00 CET")
    assert f"the setup instructions are at <{SETUP}>." in reminder


async def test_a_new_setup_address_reaches_the_pending_reminder(spring: Chat) -> None:
    await spring.say(ANA, "!join R1")
    other = "https://example.org/install"
    edited = await spring.say(ORGANIZER, f"!workshop edit 2026-spring setup={other}")
    assert f"Setup instructions: <{other}>" in edited
    assert "Usage:" in await spring.say(ORGANIZER, "!workshop edit 2026-spring setup=nowhere")
    await until(spring, DAY_BEFORE)
    (reminder,) = to(spring, ANA)
    assert f"<{other}>" in reminder and SETUP not in reminder
