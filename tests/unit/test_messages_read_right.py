"""Messages that read right: a cancelled onboarding session, an edit that changes
nothing, and a summary over all days, as transcripts against the whole bot."""

from __future__ import annotations

from tests.chat import ORGANIZER, Chat
from tests.unit.test_rooms import ANA, BO, HOST, LEAD

WORKSHOP = "2026-spring"


async def test_a_cancelled_session_is_told_as_such_without_its_link(room: Chat) -> None:
    chat = room
    await chat.say(HOST, f"!room lead add R1 {LEAD}")
    await chat.say(LEAD, "!tz Asia/Kolkata")
    await chat.say(ORGANIZER, "!onboarding add 2026-03-10 14:00 link=https://meet.example.org/o")
    await chat.say(ORGANIZER, "!onboarding add 2026-03-11 14:00")
    await chat.say(HOST, "!onboarding join O1")
    await chat.say(LEAD, "!onboarding join O1")

    removed = await chat.say(ORGANIZER, "!onboarding remove O1")
    assert removed.reply == "Onboarding session O1 removed. 2 signed up told."
    # The host has no zone: the default one, said so; the lead reads their own.
    assert removed.notices[HOST] == [
        "Your onboarding session O1 for Spring, Tue 10 Mar 13:00–14:00 UTC, is cancelled, "
        "and you are no longer signed up for it. Please pick another one: `!onboarding` "
        "lists them.\nTimes are in UTC, the default zone, as you have not set yours: set it "
        "with `!tz Area/City`."
    ]
    (to_lead,) = removed.notices[LEAD]
    assert "O1 for Spring, Tue 10 Mar 18:30–19:30 IST (UTC+05:30), is cancelled" in to_lead
    assert "meet.example.org" not in to_lead and "default zone" not in to_lead
    assert "O2" not in to_lead  # the other session is untouched; only O1 was named
    assert ". is" not in removed.notices[HOST][0]


async def test_a_room_edit_that_changes_nothing_says_so_and_tells_nobody(room: Chat) -> None:
    chat = room
    await chat.say(ANA, "!join R1")
    await chat.say(HOST, "!room edit R1 signup=https://uni.no/signup")
    same = await chat.say(HOST, "!room edit R1 capacity=1 signup=https://uni.no/signup")
    assert same.reply == "Nothing changed: R1 already has the capacity and signup you gave."
    assert same.notices == {}
    three = await chat.say(HOST, "!room edit R1 days=1-2 city=Oslo capacity=1")
    assert three.reply == "Nothing changed: R1 already has the capacity, city and days you gave."
    # Part of it changes: only that part is said changed, and the learner is told.
    moved = await chat.say(HOST, "!room edit R1 capacity=1 days=1-3")
    assert moved.reply.startswith(
        "R1 changed: days; it already had the capacity you gave. 1 person was told.")
    assert list(moved.notices) == [ANA]
    full = await chat.say(HOST, "!room edit R1 status=full")
    assert full.reply.startswith("R1 changed: status.")
    again = await chat.say(HOST, "!room edit R1 status=full")
    assert again.reply == "Nothing changed: R1 already has the status you gave."


async def test_a_workshop_edit_that_changes_nothing_says_so(room: Chat) -> None:
    chat = room
    await chat.say(ANA, "!join R1")
    same = await chat.say(
        ORGANIZER, f"!workshop edit {WORKSHOP} title=Spring tz=Europe/Oslo time=10:00-15:00")
    assert same.reply.startswith(f"Nothing changed: workshop `{WORKSHOP}` is already as given.")
    assert same.notices == {}
    renamed = await chat.say(ORGANIZER, f"!workshop edit {WORKSHOP} title=Spring2")
    assert renamed.reply.startswith(f"Workshop `{WORKSHOP}` changed.")
    # Another zone, the same local hours: the days move, so it is a change.
    zoned = await chat.say(ORGANIZER, f"!workshop edit {WORKSHOP} tz=Europe/London")
    assert zoned.reply.startswith(f"Workshop `{WORKSHOP}` changed. 2 people were told.")
    assert set(zoned.notices) == {ANA, HOST}


async def test_an_onboarding_edit_that_changes_nothing_says_so(room: Chat) -> None:
    chat = room
    await chat.say(ORGANIZER, "!onboarding add 2026-03-10 14:00 capacity=5")
    await chat.say(HOST, "!onboarding join O1")
    # 14:00 in the workshop's zone, as it was added: the same instant.
    same = await chat.say(ORGANIZER, "!onboarding edit O1 time=14:00 tz=Europe/Oslo capacity=5")
    assert same.reply.startswith("Nothing changed: O1: Tue 10 Mar 13:00–14:00 UTC")
    assert same.notices == {}
    bigger = await chat.say(ORGANIZER, "!onboarding edit O1 capacity=6")
    assert bigger.reply.startswith("Changed: O1:") and bigger.notices == {}


async def test_a_summary_of_a_daily_form_is_titled_by_its_days(room: Chat) -> None:
    chat = room
    await chat.say(ANA, "!join R1")
    over_all = await chat.say(ORGANIZER, "!feedback summary")
    assert over_all.reply.startswith("**Daily feedback (all days)**: 0 responses")
    assert "today" not in over_all.reply.split("\n")[0]
    one_day = await chat.say(ORGANIZER, "!feedback summary daily day=2 room=R1")
    assert one_day.reply.startswith("**Daily feedback (day 2, R1)**: 0 responses")
    final = await chat.say(ORGANIZER, "!feedback summary final")
    assert final.reply.startswith("**Feedback on the workshop (final)**: 0 responses")
    lead = await chat.say(HOST, "!feedback summary daily")
    assert lead.reply.startswith("**Daily feedback (all days)**: nothing of it can be shown")
    assert BO not in lead.reply
