"""What learners are told: the setup instructions, their room's days in their own zone,
the next reminder, the zone hint once, and a lead's seat elsewhere confirmed first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.commands import dispatcher
from bot.db.models import Membership, Person
from bot.scheduling.touched import Touched
from tests.chat import ORGANIZER, Chat
from tests.unit.test_onboarding import reminders, to

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


async def test_a_learner_in_kolkata_sees_the_days_and_the_next_reminder_in_her_zone(
    spring: Chat,
) -> None:
    await spring.say(ANA, "!tz Asia/Kolkata")
    joined = (await spring.say(ANA, "!join R1")).reply
    # The room meets on days 1-2 only; 10:00-15:00 CET is 14:30-19:30 in Kolkata.
    days = (
        "Its days, in your zone:\n"
        "- Day 1: Tue 17 Mar 14:30–19:30 IST (UTC+05:30)\n"
        "- Day 2: Wed 18 Mar 14:30–19:30 IST (UTC+05:30)\n"
        "Next reminder: Mon 16 Mar 14:30 IST (UTC+05:30), the day before the workshop starts."
    )
    assert days in joined and "Day 3" not in joined
    assert "default zone" not in joined
    mine = (await spring.say(ANA, "!myroom")).reply
    assert "  Day 1: Tue 17 Mar 14:30–19:30 IST (UTC+05:30)" in mine and "Day 3" not in mine
    assert "Next reminder: Mon 16 Mar 14:30 IST (UTC+05:30)" in mine
    await until(spring, DAY_BEFORE)
    # Once it is sent, the next one is another: the end of day 1 (19:30 in Kolkata).
    assert "Next reminder: Tue 17 Mar 19:30 IST (UTC+05:30), at the end of the day" in (
        await spring.say(ANA, "!myroom"))
    await spring.say(ANA, "!reminders off")
    assert "Your reminders are off (`!reminders on` turns them on)." in (
        await spring.say(ANA, "!myroom"))


async def test_the_join_answer_names_the_default_zone_to_a_learner_without_one(
    spring: Chat,
) -> None:
    joined = (await spring.say(BO, "!join R1")).reply
    assert "- Day 1: Tue 17 Mar 09:00–14:00 UTC" in joined
    assert "Next reminder: Mon 16 Mar 09:00 UTC" in joined
    assert "as you have not set yours: set it with `!tz Area/City`." in joined


async def seats_of(chat: Chat, user: str) -> list[tuple[str, str]]:
    async with chat.app.sessions() as session:
        found = await session.execute(
            select(Membership.room_id, Membership.role).join(Membership.person)
            .where(Person.user_id == user).order_by(Membership.id))
        return [(f"R{room}", role.value) for room, role in found]


async def pending_of(chat: Chat, user: str) -> list[str]:
    return [k for u, k, _, s in await reminders(chat) if u == user and s == "pending"]


@pytest.fixture
async def two_rooms(spring: Chat) -> Chat:
    assert "Registered R2" in await spring.say(BO, ROOM.replace("Oslo classroom", "Bergen"))
    return spring


async def test_a_host_joining_another_room_is_told_what_it_means_and_says_yes(
    two_rooms: Chat,
) -> None:
    asked = await two_rooms.say(HOST, "!join R2")
    assert asked.reply == "I sent you a direct message to confirm."
    (question,) = asked.notices[HOST]
    assert "You are a host or team lead of R1 Oslo classroom." in question
    assert "a learner's seat there" in question and "Take the seat in R2 Bergen?" in question
    assert await seats_of(two_rooms, HOST) == [("R1", "host"), ("R1", "lead")]
    assert "learner-day-before" not in await pending_of(two_rooms, HOST)

    yes = await two_rooms.say(HOST, "Yes", direct=True)
    assert "Welcome: you have a seat in R2 Bergen." in yes
    assert "- Day 1: Tue 17 Mar 09:00–14:00 UTC" in yes
    assert "Next reminder: " in yes
    assert await seats_of(two_rooms, HOST) == [("R1", "host"), ("R1", "lead"), ("R2", "learner")]
    # The seat's reminders were planned in the answer's transaction.
    assert "learner-day-before" in await pending_of(two_rooms, HOST)
    assert "you are a host and a team lead." in (mine := await two_rooms.say(HOST, "!myroom"))
    assert "you are a learner with a seat." in mine
    # Seated, joining again needs no confirmation.
    assert "You already have a seat in R2" in await two_rooms.say(HOST, "!join R2", direct=True)


async def test_a_host_who_says_no_or_something_else_keeps_only_their_own_room(
    two_rooms: Chat,
) -> None:
    asked = await two_rooms.say(HOST, "!join R2", direct=True)
    assert "Take the seat in R2 Bergen?" in asked
    again = await two_rooms.say(HOST, "what does that mean", direct=True)
    assert "Please answer `yes` or `no`." in again and "Take the seat in R2 Bergen?" in again
    busy = await two_rooms.say(HOST, "!rooms", direct=True)
    assert "You are in the middle of confirming a seat in R2" in busy
    assert "!rooms` works again" in busy
    no = await two_rooms.say(HOST, "nope", direct=True)
    assert "No seat was taken in R2; nothing changed." in no
    assert await seats_of(two_rooms, HOST) == [("R1", "host"), ("R1", "lead")]
    assert "learner-day-before" not in await pending_of(two_rooms, HOST)
    # The confirmation is over: what is typed next is a command again.
    assert "Local rooms of" in await two_rooms.say(HOST, "!rooms", direct=True)
    # A learner with no room to run joins at once, and a host's own room is refused.
    assert "Welcome: you have a seat in R2" in await two_rooms.say(ANA, "!join R2")
    assert "so you have a place there" in await two_rooms.say(HOST, "!join R1")


HINT = "Times are in UTC, the default zone, as you have not set yours: set it with `!tz Area/City`."
DAY_1_END = datetime(2026, 3, 17, 14, tzinfo=UTC)


async def test_only_the_first_reminder_to_a_learner_without_a_zone_has_the_hint(
    spring: Chat,
) -> None:
    await spring.say(ANA, "!tz Europe/Oslo")
    for learner in (ANA, BO):
        await spring.say(learner, "!join R1")
    await until(spring, DAY_BEFORE)
    (first,) = to(spring, BO)
    assert first.startswith("⏰ Spring starts on Tue 17 Mar 09:00–14:00 UTC")
    assert first.endswith("\n" + HINT)
    assert "default zone" not in to(spring, ANA)[0]  # she has set hers
    await until(spring, DAY_1_END)
    later = to(spring, BO)[1:]
    assert later and all("default zone" not in text for text in later)


async def test_two_first_reminders_at_once_carry_the_hint_once(spring: Chat) -> None:
    await spring.say(
        ORGANIZER,
        "!workshop add 2026-autumn title=Autumn tz=Europe/Oslo "
        "days=2026-03-17,2026-03-18 time=10:00-15:00",
    )
    await spring.say(ORGANIZER, "!workshop use 2026-autumn")
    assert "Registered R2" in await spring.say(BO, ROOM.replace("Oslo classroom", "Bergen"))
    await spring.say(ANA, "!join R1")
    await spring.say(ANA, "!join R2")
    await until(spring, DAY_BEFORE)
    sent = to(spring, ANA)
    assert sorted(text.split(" starts")[0] for text in sent) == ["⏰ Autumn", "⏰ Spring"]
    assert [HINT in text for text in sent].count(True) == 1


async def test_the_join_answer_plans_without_making_the_re_plan_one_of_everything(
    spring: Chat, monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[Touched | None] = []
    real = dispatcher.reminders.replan

    async def replan(session: Any, settings: Any, now: Any, touched: Touched | None = None) -> int:
        seen.append(touched)
        return await real(session, settings, now, touched)

    monkeypatch.setattr(dispatcher.reminders, "replan", replan)
    assert "Next reminder: Mon 16 Mar 09:00 UTC" in await spring.say(ANA, "!join R1")
    (touched,) = seen
    assert touched is not None and not touched.everything and touched.rooms == {1}
    assert "learner-day-before" in await pending_of(spring, ANA)


async def test_running_a_room_of_another_workshop_needs_no_confirmation(spring: Chat) -> None:
    await spring.say(
        ORGANIZER,
        "!workshop add 2026-autumn title=Autumn tz=Europe/Oslo "
        "days=2026-03-24,2026-03-25 time=10:00-15:00",
    )
    await spring.say(ORGANIZER, "!workshop use 2026-autumn")
    assert "Registered R2" in await spring.say(BO, ROOM.replace("Oslo classroom", "Bergen"))
    # HOST runs R1 of Spring only: a seat in Autumn's R2 is an ordinary join.
    joined = await spring.say(HOST, "!join R2")
    assert "Welcome: you have a seat in R2 Bergen." in joined and not joined.notices
    assert "- Day 1: Tue 24 Mar 09:00–14:00 UTC" in joined


async def test_a_room_withdrawn_before_the_yes_gives_no_seat(two_rooms: Chat) -> None:
    await two_rooms.say(HOST, "!join R2", direct=True)
    await two_rooms.say(BO, "!room withdraw R2")
    yes = await two_rooms.say(HOST, "yes", direct=True)
    assert "withdrawn" in yes and yes.reply.endswith("No seat was taken.")
    assert await seats_of(two_rooms, HOST) == [("R1", "host"), ("R1", "lead")]
    assert "Local rooms of" in await two_rooms.say(HOST, "!rooms", direct=True)  # it ended
    # Asked again now, the refusal comes at once, with no question first.
    refused = await two_rooms.say(HOST, "!join R2", direct=True)
    assert "withdrawn" in refused and "Take the seat" not in refused


async def test_a_learner_joining_after_the_day_before_reminder_still_gets_the_start(
    spring: Chat,
) -> None:
    await spring.say(ANA, "!tz Europe/Oslo")
    spring.clock.set(datetime(2026, 3, 16, 12, tzinfo=UTC))  # its reminder was due at 09:00
    joined = (await spring.say(ANA, "!join R1")).reply
    assert "- Day 1: Tue 17 Mar 10:00–15:00 CET" in joined
    assert "Next reminder: Tue 17 Mar 15:00 CET, at the end of the day" in joined
    assert f"Please install the software before the first day: <{SETUP}>" in joined
    assert f"Setup instructions: <{SETUP}>" in await spring.say(ANA, "!myroom")
    assert "learner-day-before" not in await pending_of(spring, ANA)


async def test_an_unanswered_confirmation_ends_and_a_late_yes_takes_no_seat(
    two_rooms: Chat,
) -> None:
    await two_rooms.say(HOST, "!join R2", direct=True)
    two_rooms.clock.advance(timedelta(minutes=10))
    late = await two_rooms.say(HOST, "yes", direct=True)
    assert late.reply.startswith("Confirming a seat in R2 was not answered within 10 min")
    assert "no seat was taken in R2. Your message was not used." in late
    assert await seats_of(two_rooms, HOST) == [("R1", "host"), ("R1", "lead")]
