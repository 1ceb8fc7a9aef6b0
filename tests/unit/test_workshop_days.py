"""A workshop's days: each keeps its own local hours, clock changes are refused, not
shifted, and rooms keep the days they cover through edits."""

from __future__ import annotations

from sqlalchemy import select

from bot.db.models import LocalRoom, Workshop, WorkshopDay
from tests.chat import ORGANIZER, Chat

ANA = "@ana:example.org"
HOST = "@host:uni.no"
ADD = (
    "!workshop add 2027-spring title=Spring tz=Europe/Stockholm "
    "days=2027-03-25,2027-03-26,2027-03-29 time=10:00-15:00"
)


async def stored_days(chat: Chat) -> list[tuple[str, str, str, str]]:
    async with chat.app.sessions() as session:
        found = await session.scalars(select(WorkshopDay).order_by(WorkshopDay.number))
        return [
            (str(d.number), d.local_date.isoformat(), f"{d.starts_at:%H:%M}", f"{d.ends_at:%H:%M}")
            for d in found
        ]


async def test_a_time_in_the_spring_gap_is_refused_and_nothing_is_stored(chat: Chat) -> None:
    answer = await chat.say(
        ORGANIZER,
        "!workshop add 2027-spring title=Spring tz=Europe/Stockholm "
        "days=2027-03-26,2027-03-28 time=02:30-05:00",
    )
    assert (
        "Day 2, Sun 28 Mar 2027: 02:30 does not exist in Europe/Stockholm; the clocks jump "
        "from 02:00 CET to 03:00 CEST that night. Choose a time outside 02:00–03:00."
    ) in answer
    assert "Usage: `!workshop add" in answer
    async with chat.app.sessions() as session:
        assert list(await session.scalars(select(Workshop))) == []


async def test_a_time_in_the_autumn_fold_is_refused_and_the_days_stay(chat: Chat) -> None:
    await chat.say(
        ORGANIZER,
        "!workshop add 2027-autumn title=Autumn tz=Europe/Stockholm "
        "days=2027-10-29,2027-10-31 time=10:00-15:00",
    )
    before = await stored_days(chat)
    answer = await chat.say(ORGANIZER, "!workshop edit 2027-autumn time=02:30-06:00")
    assert (
        "Day 2, Sun 31 Oct 2027: 02:30 happens twice in Europe/Stockholm; the clocks go back "
        "from 03:00 CEST to 02:00 CET that night" in answer
    )
    assert "Usage: `!workshop edit" in answer
    # An end time in the fold is refused as well; so is a zone change that makes one.
    assert "happens twice" in await chat.say(
        ORGANIZER, "!workshop edit 2027-autumn time=01:00-02:15"
    )
    await chat.say(ORGANIZER, "!workshop edit 2027-autumn time=01:30-04:00")
    answer = await chat.say(ORGANIZER, "!workshop edit 2027-autumn tz=Europe/London")
    assert "Day 2, Sun 31 Oct 2027: 01:30 happens twice in Europe/London" in answer
    assert (await stored_days(chat))[1] == ("2", "2027-10-31", "23:30", "03:00")
    assert before != await stored_days(chat)


async def test_each_day_keeps_its_own_hours_through_other_edits(chat: Chat) -> None:
    await chat.say(ANA, "!tz Europe/Stockholm")
    await chat.say(ORGANIZER, ADD)
    assert await stored_days(chat) == [  # the clocks change on 28 March: 10:00 is 08:00 UTC
        ("1", "2027-03-25", "09:00", "14:00"),
        ("2", "2027-03-26", "09:00", "14:00"),
        ("3", "2027-03-29", "08:00", "13:00"),
    ]
    answer = await chat.say(ORGANIZER, "!workshop edit 2027-spring day=2 time=13:00-16:00")
    assert "Day 2: Fri 26 Mar 12:00–15:00 UTC" in answer
    await chat.say(ORGANIZER, "!workshop edit 2027-spring title=Renamed")
    # Kept dates keep their hours; a new date takes those of the day before it.
    await chat.say(ORGANIZER, "!workshop edit 2027-spring days=2027-03-26,2027-03-27,2027-03-29")
    shown = await chat.say(ANA, "!workshop")
    assert "Day 1: Fri 26 Mar 13:00–16:00 CET" in shown
    assert "Day 2: Sat 27 Mar 13:00–16:00 CET" in shown
    assert "Day 3: Mon 29 Mar 10:00–15:00 CEST" in shown
    # A new zone keeps every day's local hours, now in that zone.
    await chat.say(ORGANIZER, "!workshop edit 2027-spring tz=America/New_York")
    await chat.say(ANA, "!tz America/New_York")
    shown = await chat.say(ANA, "!workshop")
    assert "Day 1: Fri 26 Mar 13:00–16:00 EDT" in shown
    assert "Day 3: Mon 29 Mar 10:00–15:00 EDT" in shown
    # time= alone sets every day's hours.
    await chat.say(ORGANIZER, "!workshop edit 2027-spring time=09:00-12:00")
    shown = await chat.say(ANA, "!workshop")
    assert shown.reply.count("09:00–12:00 EDT") == 3


async def test_day_needs_time_and_a_day_of_the_workshop(chat: Chat) -> None:
    await chat.say(ORGANIZER, ADD)
    before = await stored_days(chat)
    for command, problem in {
        "!workshop edit 2027-spring day=2": "day= goes with time=",
        "!workshop edit 2027-spring day=4 time=10:00-12:00": "day=4: 2027-spring has days 1-3",
        "!workshop edit 2027-spring day=1 time=10:00-12:00 days=2027-03-25": "not with days=",
    }.items():
        answer = await chat.say(ORGANIZER, command)
        assert problem in answer and "Usage: `!workshop edit" in answer, answer.reply
    assert await stored_days(chat) == before


async def test_a_room_without_days_covers_every_day_also_days_added_later(chat: Chat) -> None:
    await chat.say(ORGANIZER, ADD)
    await chat.say(
        HOST, "!room add name=Oslo org=UiO mode=in-person city=Oslo capacity=9 public=yes"
    )
    await chat.say(
        HOST,
        "!room add name=Bergen org=UiB mode=in-person city=Bergen capacity=9 public=yes days=2",
    )
    await chat.say(
        ORGANIZER,
        "!workshop edit 2027-spring days=2027-03-24,2027-03-25,2027-03-26,2027-03-29,2027-03-30",
    )
    every = await chat.say(ANA, "!room R1")
    assert "Days: 1-5" in every and "Day 5: Tue 30 Mar 08:00–13:00 UTC" in every
    # A room limited to some days keeps its dates, whatever their new numbers.
    limited = await chat.say(ANA, "!room R2")
    assert "Days: 3" in limited and "Day 3: Fri 26 Mar 09:00–14:00 UTC" in limited
    assert "Day 1:" not in limited


async def test_removing_days_rooms_met_on_says_so_naming_the_rooms(chat: Chat) -> None:
    await chat.say(ORGANIZER, ADD)
    await chat.say(HOST, "!room add name=Oslo org=UiO mode=online capacity=9 public=yes")
    await chat.say(HOST, "!room add name=Bergen org=UiB mode=online capacity=9 public=yes days=2")
    await chat.say(HOST, "!room add name=Tromsø org=UiT mode=online capacity=9 public=yes days=3")
    answer = await chat.say(ORGANIZER, "!workshop edit 2027-spring days=2027-03-25,2027-03-29")
    assert (
        "Rooms that met on a removed day: R1 Oslo (Fri 26 Mar); "
        "R2 Bergen (Fri 26 Mar; it now meets on no day)."
    ) in answer
    assert "R3" not in answer
    async with chat.app.sessions() as session:
        stored = {r.id: r.days for r in await session.scalars(select(LocalRoom))}
    assert stored == {1: None, 2: "", 3: "2"}
    assert "Days: none" in await chat.say(ANA, "!room R2")
    answer = await chat.say(ORGANIZER, "!workshop edit 2027-spring time=10:00-12:00")
    assert "removed day" not in answer
