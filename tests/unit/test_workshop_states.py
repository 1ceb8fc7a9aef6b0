"""A workshop's life in the chat: planned, running, finished, archived, on the clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.db.models import LocalRoom, MemberRole, Membership, Person, Workshop
from bot.services import lifecycle, workshops
from bot.services.listing import public_rooms as listing_of
from tests.chat import ORGANIZER, Chat
from tests.web import web_client

HOST, HOST2 = "@host:uni.no", "@host2:uni.no"
ANA, BO, CY, DAN, EVA = "@ana:uni.no", "@bo:uni.no", "@cy:uni.no", "@dan:uni.no", "@eva:uni.no"
ADD = ("!workshop add 2026-spring title=Spring tz=Europe/Oslo "
       "days=2026-03-17,2026-03-18 time=10:00-15:00")
ROOM = ('!room add name="Oslo classroom" org=UiO mode=in-person city=Oslo country=NO '
        "lang=no capacity=2 public=yes")
# The last day's end: 15:00 in Oslo (CET) is 14:00 UTC.
LAST_END = datetime(2026, 3, 18, 14, 0, tzinfo=UTC)


@pytest.fixture
async def spring(chat: Chat) -> Chat:
    await chat.say(ORGANIZER, ADD)
    assert "Registered R1" in await chat.say(HOST, ROOM)
    return chat


async def roles(chat: Chat) -> dict[str, str]:
    async with chat.app.sessions() as session:
        found = await session.execute(
            select(Person.user_id, Membership.role).join(Membership.person)
            .where(Membership.role.in_((MemberRole.LEARNER, MemberRole.WAITLIST))))
        return {user: role.value for user, role in found}


async def count(chat: Chat, model: type) -> int:
    async with chat.app.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_the_state_follows_the_clock_wherever_workshops_are_shown(spring: Chat) -> None:
    assert "planned ← current" in await spring.say(ANA, "!workshops")
    spring.clock.set(datetime(2026, 3, 17, 9, 0, tzinfo=UTC))  # 10:00 in Oslo
    assert "running ← current" in await spring.say(ANA, "!workshops")
    assert "(`2026-spring`, running)" in await spring.say(ANA, "!workshop")
    spring.clock.set(LAST_END)
    listing = await spring.say(ANA, "!workshops")
    assert "finished ← current" in listing and "planned" not in listing
    assert "(`2026-spring`, finished)" in await spring.say(ANA, "!workshop 2026-spring")


async def test_a_workshop_ending_while_learners_still_join(spring: Chat) -> None:
    assert "Registered R2" in await spring.say(HOST2, ROOM.replace("Oslo classroom", "Bergen"))
    for learner in (ANA, BO):
        await spring.say(learner, "!join R1")
    spring.clock.set(LAST_END - timedelta(seconds=1))
    assert "on its waitlist" in await spring.say(CY, "!join R1")
    spring.clock.set(LAST_END)
    refused = await spring.say(DAN, "!join R1")
    assert "The workshop `2026-spring` has ended (its last day was Wed 18 Mar 2026)" in refused
    # A seat freed now is not given to the first on the waitlist, and nobody is told.
    left = await spring.say(ANA, "!leave")
    assert CY not in left.notices and "got a seat" not in left.reply
    assert await roles(spring) == {BO: "learner", CY: "waitlist"}
    # Moving to another room is a join too: Cy stays on R1's waitlist.
    assert "has ended" in await spring.say(CY, "!join R2")
    assert await roles(spring) == {BO: "learner", CY: "waitlist"}
    refused = await spring.say(EVA, ROOM.replace("Oslo classroom", "Late room"))
    assert "has ended" in refused and await count(spring, LocalRoom) == 2


async def test_feedback_stays_open_after_the_last_day(spring: Chat) -> None:
    await spring.say(ANA, "!join R1")
    spring.clock.set(LAST_END)
    answer = await spring.say(ANA, "!feedback daily day=2")
    assert "I sent you a direct message" in answer.reply
    assert "question 1 of 4" in answer.notices[ANA][0]


async def test_a_workshop_whose_days_have_passed_is_refused_with_the_reason(chat: Chat) -> None:
    # The chat's clock: Mon 2 Mar 2026, 09:00 UTC.
    answer = await chat.say(ORGANIZER, ADD.replace("2026-03-17,2026-03-18",
                                                   "2025-03-17,2025-03-18"))
    assert ("Not created: all its days have passed: day 1 (Mon 17 Mar 2025), "
            "day 2 (Tue 18 Mar 2025). Today is Mon 02 Mar 2026 in Europe/Oslo.") in answer
    assert "(is the year right?)" in answer
    answer = await chat.say(ORGANIZER, ADD.replace("2026-03-17", "2026-03-01"))
    assert "day 1 (Sun 01 Mar 2026) has passed, and a workshop is added before its first day" \
        in answer
    assert await count(chat, Workshop) == 0
    # Today is not passed, even in a zone where today is a day later than in UTC.
    chat.clock.set(datetime(2026, 3, 2, 20, 0, tzinfo=UTC))  # 3 Mar 01:30 in Kolkata
    refused = await chat.say(ORGANIZER, "!workshop add in-kolkata title=K tz=Asia/Kolkata "
                                         "days=2026-03-02 time=10:00-15:00")
    assert "Today is Tue 03 Mar 2026 in Asia/Kolkata" in refused
    created = await chat.say(ORGANIZER, "!workshop add in-kolkata title=K tz=Asia/Kolkata "
                                        "days=2026-03-03 time=10:00-15:00")
    assert "Workshop `in-kolkata` created" in created and "(`in-kolkata`, planned)" in created
    # On the first morning, its hours begun, it is added as running.
    chat.clock.set(datetime(2026, 3, 3, 5, 0, tzinfo=UTC))  # 10:30 in Kolkata
    created = await chat.say(ORGANIZER, "!workshop add late-add title=L tz=Asia/Kolkata "
                                        "days=2026-03-03 time=10:00-15:00")
    assert "(`late-add`, running)" in created


ORG2, ORG3 = "@org2:example.org", "@org3:example.org"


async def test_each_organizer_is_told_once_that_the_current_workshop_ended(
    tmp_path: Path, bot_database_url: str
) -> None:
    chat = await Chat.open(tmp_path, organizers=(ORGANIZER, ORG2), url=bot_database_url)
    try:
        await chat.say(ORGANIZER, ADD)
        chat.clock.set(LAST_END - timedelta(seconds=1))
        assert "ended" not in await chat.say(ORGANIZER, "!stats")
        chat.clock.set(LAST_END)
        assert "ended" not in await chat.say(HOST, "!workshops")  # not an organizer
        told = await chat.say(ORGANIZER, "!workshops")  # a read-only command too
        assert told.reply.endswith(
            "Note: the current workshop `2026-spring` ended on Wed 18 Mar 2026. Choose the "
            "next with `!workshop use SLUG`, or create it with `!workshop add` "
            "(`!help workshop add` shows how).")
        assert "Note:" not in await chat.say(ORGANIZER, "!stats")
        assert "Note: the current workshop `2026-spring` ended" in await chat.say(ORG2, "!stats")
    finally:
        await chat.close()
    again = await Chat.open(tmp_path, organizers=(ORGANIZER, ORG2, ORG3), url=bot_database_url)
    try:
        again.clock.set(LAST_END)
        answer = await again.say(ORGANIZER, "!stats", event_id="$after-restart")
        assert "in numbers" in answer and "Note:" not in answer
        await again.say(ORGANIZER, "!workshop add 2026-autumn title=Autumn tz=UTC "
                                   "days=2026-10-01 time=09:00-12:00", event_id="$autumn")
        # One whose next command makes another workshop current is not told.
        used = await again.say(ORG3, "!workshop use 2026-autumn", event_id="$use")
        assert "now `2026-autumn`" in used and "Note:" not in used
        assert "Note:" not in await again.say(ORG3, "!stats", event_id="$stats")
    finally:
        await again.close()


async def test_archiving_hides_a_finished_workshop_and_keeps_its_data(spring: Chat) -> None:
    await spring.say(ANA, "!join R1")
    refused = await spring.say(ORGANIZER, "!workshop archive 2026-spring")
    assert ("The workshop `2026-spring` is planned; its last day ends Wed 18 Mar 15:00 CET. "
            "Only a finished workshop is archived") in refused
    assert "Usage: `!workshop archive slug`" in await spring.say(ORGANIZER, "!workshop archive")
    assert "Usage:" in await spring.say(ORGANIZER, "!workshop archive Spring!")
    assert "There is no workshop `2026-sprin`" in await spring.say(
        ORGANIZER, "!workshop archive 2026-sprin")
    assert "is for an organizer" in await spring.say(HOST, "!workshop archive 2026-spring")
    await spring.say(ORGANIZER, "!workshop add 2026-autumn title=Autumn tz=UTC "
                                "days=2026-10-01 time=09:00-12:00")
    spring.clock.set(LAST_END)
    async with web_client(spring) as client:
        assert "This workshop has ended" in await (await client.get("/")).text()
    archived = await spring.say(ORGANIZER, "!workshop archive 2026-spring")
    assert "Workshop `2026-spring` archived" in archived
    assert "It is still the current workshop: choose the next with `!workshop use SLUG`." \
        in archived
    assert "archived already" in await spring.say(ORGANIZER, "!workshop archive 2026-spring")
    listing = await spring.say(ANA, "!workshops")
    assert "2026-spring" not in listing and "`2026-autumn` Autumn" in listing
    assert "(1 archived, not listed)" in listing
    assert "(`2026-spring`, archived)" in await spring.say(ANA, "!workshop 2026-spring")
    async with web_client(spring) as client:
        assert (await client.get("/")).status == 404
        assert (await client.get("/2026-spring/")).status == 404
        assert (await client.get("/2026-autumn/")).status == 200
    # Its rows stay: the exports by slug still have its rooms, the summary its seats.
    async with spring.app.sessions() as session:
        kept = await workshops.by_slug(session, "2026-spring")
        assert [room.name for room in await listing_of(session, kept)] == ["Oslo classroom"]
    assert await roles(spring) == {ANA: "learner"}
    # Nobody is told it ended once it is archived.
    assert "Note:" not in await spring.say(ORGANIZER, "!stats")


async def test_the_query_for_a_finished_current_workshop_agrees_with_state_of(
    spring: Chat,
) -> None:
    tick = timedelta(microseconds=1)
    async with spring.app.sessions() as session:
        workshop = await workshops.require_current(session)
        for now in (workshop.days[0].starts_at, LAST_END - tick, LAST_END, LAST_END + tick):
            found = await lifecycle.current_if_finished(session, now)
            finished = lifecycle.state_of(workshop, now) is lifecycle.State.FINISHED
            assert (found is not None) == finished, now
        assert await lifecycle.current_if_finished(session, LAST_END) == (
            workshop.id, "2026-spring", date(2026, 3, 18))
