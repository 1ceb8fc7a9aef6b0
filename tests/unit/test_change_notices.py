"""People are told when things change: one direct message each, in their zone, only
to those affected, never to the person who made the change."""

from __future__ import annotations

import pytest

from tests.chat import ORGANIZER, Chat

HOST, COLEAD, OTHER_HOST = "@host:uni.no", "@colead:uni.no", "@other:uib.no"
ANA, BO, CY, DAN = "@ana:uni.no", "@bo:uni.no", "@cy:uib.no", "@dan:uni.no"


@pytest.fixture
async def rooms(chat: Chat) -> Chat:
    """R1 meets every day (host, co-lead, Ana seated, Dan waiting); R2 only on day 1 (Cy)."""
    await chat.say(
        ORGANIZER,
        "!workshop add 2026-spring title=Spring tz=Europe/Stockholm "
        "days=2026-03-17,2026-03-18 time=10:00-15:00",
    )
    await chat.say(
        HOST,
        '!room add name="Oslo room" org=UiO mode=in-person city=Oslo capacity=1 public=yes '
        'venue="Room 101"',
    )
    await chat.say(HOST, f"!room lead add R1 {COLEAD}")
    await chat.say(
        OTHER_HOST, "!room add name=Bergen org=UiB mode=online capacity=5 public=yes days=1"
    )
    await chat.say(ANA, "!tz Asia/Kolkata")
    await chat.say(ANA, "!join R1")
    await chat.say(DAN, "!join R1")  # full: waitlist
    await chat.say(CY, "!tz America/Chicago")
    await chat.say(CY, "!join R2")
    await chat.say(HOST, "!tz Europe/Oslo")
    return chat


async def test_a_changed_day_is_told_to_those_who_meet_on_it_in_their_zone(rooms: Chat) -> None:
    answer = await rooms.say(ORGANIZER, "!workshop edit 2026-spring day=2 time=13:00-16:00")
    assert "3 people were told" in answer
    assert sorted(answer.notices) == [ANA, COLEAD, HOST]  # not R2's people, not the waitlist
    assert all(len(texts) == 1 for texts in answer.notices.values())
    (to_ana,) = answer.notices[ANA]
    assert "Changes for your local room R1 Oslo room in workshop `2026-spring`" in to_ana
    assert (
        "Day 2 is now Wed 18 Mar 17:30–20:30 IST (UTC+05:30); "
        "it was Wed 18 Mar 14:30–19:30 IST (UTC+05:30)."
    ) in to_ana
    assert "Times are in" not in to_ana  # Ana set her zone
    (to_host,) = answer.notices[HOST]
    assert "Day 2 is now Wed 18 Mar 13:00–16:00 CET" in to_host
    (to_colead,) = answer.notices[COLEAD]
    assert "Day 2 is now Wed 18 Mar 12:00–15:00 UTC" in to_colead
    assert "Times are in UTC, the default zone" in to_colead
    assert "`!tz Area/City`" in to_colead


async def test_a_change_to_every_day_reaches_every_room_once(rooms: Chat) -> None:
    answer = await rooms.say(ORGANIZER, "!workshop edit 2026-spring time=09:00-12:00")
    assert sorted(answer.notices) == [ANA, COLEAD, CY, HOST, OTHER_HOST]
    (to_cy,) = answer.notices[CY]
    assert "Day 1 is now Tue 17 Mar 03:00–06:00 CDT (UTC-05:00)" in to_cy
    assert "Day 2" not in to_cy  # R2 does not meet on day 2


async def test_removed_and_added_days_are_told_to_whom_they_concern(rooms: Chat) -> None:
    answer = await rooms.say(ORGANIZER, "!workshop edit 2026-spring days=2026-03-18,2026-03-19")
    # R1 meets every day: it lost the 17th and gained the 19th. R2 met only on the 17th.
    (to_ana,) = answer.notices[ANA]
    assert "Tue 17 Mar 14:30–19:30 IST (UTC+05:30) is no longer a workshop day." in to_ana
    assert "New workshop day: Day 2, Thu 19 Mar 14:30–19:30 IST (UTC+05:30)." in to_ana
    (to_cy,) = answer.notices[CY]
    assert "Tue 17 Mar 04:00–09:00 CDT (UTC-05:00) is no longer a workshop day." in to_cy
    assert "New workshop day" not in to_cy
    assert "R2 Bergen (Tue 17 Mar; it now meets on no day)" in answer


async def test_an_edit_that_moves_no_time_tells_nobody(rooms: Chat) -> None:
    for edit in ("title=Renamed", "tz=Europe/Oslo"):
        answer = await rooms.say(ORGANIZER, f"!workshop edit 2026-spring {edit}")
        assert "changed." in answer and answer.notices == {}, edit
    # The days it has already: nothing changed at all.
    answer = await rooms.say(ORGANIZER, "!workshop edit 2026-spring days=2026-03-17,2026-03-18")
    assert "Nothing changed" in answer and answer.notices == {}
    answer = await rooms.say(ORGANIZER, "!workshop edit 2026-spring tz=Europe/London")
    assert sorted(answer.notices) == [ANA, COLEAD, CY, HOST, OTHER_HOST]


async def test_a_room_change_tells_its_people_once_listing_everything(rooms: Chat) -> None:
    answer = await rooms.say(
        COLEAD, '!room edit R1 venue="Room 202" mode=online days=1 capacity=2 name="Oslo"'
    )
    assert "2 people were told" in answer
    assert sorted(answer.notices) == [ANA, DAN, HOST]  # Dan got the new seat: told that
    (to_host,) = answer.notices[HOST]  # host and lead of R1: one message
    for line in (
        "- R1 Oslo room is now online (was in person).",
        "- Venue or video link of R1 Oslo room: Room 202",
        "- R1 Oslo room no longer meets on Day 2, Wed 18 Mar 10:00–15:00 CET.",
    ):
        assert line in to_host
    (to_ana,) = answer.notices[ANA]
    assert "Day 2, Wed 18 Mar 14:30–19:30 IST (UTC+05:30)" in to_ana
    (to_dan,) = answer.notices[DAN]
    assert "a seat freed up" in to_dan and "changed" not in to_dan


async def test_room_changes_people_do_not_need_to_know_tell_nobody(rooms: Chat) -> None:
    answer = await rooms.say(HOST, "!room edit R1 city=Bergen days=all who=Everyone")
    assert answer.notices == {}
    answer = await rooms.say(OTHER_HOST, "!room edit R2 days=1-2")
    assert list(answer.notices) == [CY]
    (to_cy,) = answer.notices[CY]
    assert "R2 Bergen now also meets on Day 2, Wed 18 Mar 04:00–09:00 CDT (UTC-05:00)." in to_cy


async def test_the_organizer_who_is_also_a_lead_is_not_told_by_notice(rooms: Chat) -> None:
    await rooms.say(HOST, f"!room lead add R1 {ORGANIZER}")
    answer = await rooms.say(ORGANIZER, "!workshop edit 2026-spring time=09:00-12:00")
    assert ORGANIZER not in answer.notices
    assert HOST in answer.notices


async def test_a_lead_of_two_rooms_gets_one_message_naming_both(rooms: Chat) -> None:
    await rooms.say(OTHER_HOST, f"!room lead add R2 {HOST}")
    answer = await rooms.say(ORGANIZER, "!workshop edit 2026-spring time=09:00-12:00")
    (to_host,) = answer.notices[HOST]
    assert "your local rooms R1 Oslo room and R2 Bergen" in to_host
    assert to_host.count("Day 1 is now") == 1 and "Day 2 is now" in to_host


async def test_the_hosts_of_a_withdrawn_room_are_not_told(rooms: Chat) -> None:
    await rooms.say(OTHER_HOST, "!room withdraw R2")
    answer = await rooms.say(ORGANIZER, "!workshop edit 2026-spring time=09:00-12:00")
    assert sorted(answer.notices) == [ANA, COLEAD, HOST]
