"""Daily attendance by command: who may report, for which room and day, what is
refused (with the usage, changing nothing), and what organizers see and export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.db.models import Attendance, RoomDayStatus
from tests.chat import ORGANIZER, Chat
from tests.unit.test_rooms import ANA, HOST, LEAD, ROOM, STRANGER

# Spring's days are 17-19 March, 10:00-15:00 Oslo time (CET: UTC+1).
DAY_1 = datetime(2026, 3, 17, 13, tzinfo=UTC)
DAY_2 = datetime(2026, 3, 18, 13, tzinfo=UTC)
TENTH = "@tenth:uni.no"


@pytest.fixture
async def rooms(room: Chat) -> Chat:
    """R1 (HOST, capacity 1, days 1-2) and R2 to R10, R10 hosted by TENTH."""
    for number in range(2, 11):
        host = TENTH if number == 10 else f"@host{number}:uni.no"
        added = await room.say(host, ROOM.replace("Oslo classroom", f"Room {number}")
                               .replace("capacity=1", "capacity=20"))
        assert f"Registered R{number}" in added
    return room


async def counts(chat: Chat) -> list[tuple[str, int, int, str]]:
    async with chat.app.sessions() as session:
        return [(f"R{room}", day, count, via) for room, day, count, via in await session.execute(
            select(Attendance.room_id, Attendance.day, Attendance.count, Attendance.via)
            .order_by(Attendance.room_id, Attendance.day))]


async def test_a_host_reports_today_for_their_room_and_the_newest_report_wins(
    rooms: Chat,
) -> None:
    chat = rooms
    chat.clock.set(DAY_1)
    said = await chat.say(HOST, "!attendance 3")
    assert "Attendance of R1 Oslo classroom on day 1 (Tue 17 Mar): 3 learners." in said
    again = await chat.say(HOST, "!attendance 2 day=1")
    assert "2 learners. It replaces the 3 reported before." in again
    assert await counts(chat) == [("R1", 1, 2, "command")]


async def test_learners_and_strangers_are_refused_with_the_role_needed(rooms: Chat) -> None:
    chat = rooms
    chat.clock.set(DAY_1)
    await chat.say(ANA, "!join R1")
    for who in (ANA, STRANGER):
        refused = await chat.say(who, "!attendance 3 room=R1")
        assert "`!attendance` is for a team lead or host of a local room" in refused, who
    assert await counts(chat) == []


async def test_a_lead_reports_only_for_their_own_room_not_a_prefix_of_it(rooms: Chat) -> None:
    chat = rooms
    chat.clock.set(DAY_1)
    refused = await chat.say(TENTH, "!attendance 5 room=R1")
    assert "Only R1's hosts and team leads, or an organizer, may do that." in refused
    assert "Attendance of R10 Room 10 on day 1" in await chat.say(TENTH, "!attendance 5")
    assert "Attendance of R1 " in await chat.say(HOST, "!attendance 1 room=R1")
    assert await counts(chat) == [("R1", 1, 1, "command"), ("R10", 1, 5, "command")]


async def test_a_lead_of_several_rooms_and_an_organizer_name_the_room(rooms: Chat) -> None:
    chat = rooms
    chat.clock.set(DAY_1)
    await chat.say(HOST, f"!room lead add R1 {LEAD}")
    await chat.say(TENTH, f"!room lead add R10 {LEAD}")
    several = await chat.say(LEAD, "!attendance 4")
    assert "room= is missing: you run R1, R10, so name the room" in several
    assert "Usage: `!attendance [N] [day=M] [room=R7]`" in several
    assert "room= is missing" in await chat.say(ORGANIZER, "!attendance 4")
    assert "R10 Room 10 on day 1" in await chat.say(LEAD, "!attendance 4 room=R10")
    assert "R2 Room 2 on day 1" in await chat.say(ORGANIZER, "!attendance 7 room=R2")
    assert await counts(chat) == [("R2", 1, 7, "command"), ("R10", 1, 4, "command")]


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("!attendance 12.5", "'12.5' is not a whole number of learners"),
        ("!attendance -1", "-1 is below 0; a count is 0 or more"),
        ("!attendance １２", "'１２' is not a number in the digits 0-9"),
        ("!attendance twelve", "'twelve' is not a whole number of learners"),
        ("!attendance 99999999999999999999", "is far too many learners for one room"),
        # Phone quotes are quotes: the 12 inside is read, and is too many for R1.
        ("!attendance “12”", "12 is not a count R1 takes"),
        ("!attendance 12 day=0", "day=: 0 is too small; the least accepted is 1"),
        ("!attendance 12 day=two", "day=: 'two' is not a whole number"),
        ("!attendance 12 day=4", "day=4: `2026-spring` has days 1-3"),
        ("!attendance 12 day=3", "day=3 is Thu 19 Mar, which has not come yet"),
        ("!attendance 12 room=R", "is not a room id"),
        ("!attendance 12 colour=red", "colour= is not an option here"),
        ("!attendance 12 13", "I did not expect"),
        ("!attendance 31", "31 is not a count R1 takes: 0 to 11 (its seats plus 10)"),
    ],
)
async def test_bad_input_is_refused_with_the_usage_and_changes_nothing(
    room: Chat, typed: str, problem: str
) -> None:
    room.clock.set(DAY_2)
    await room.say(HOST, "!attendance 1 day=1")
    refused = await room.say(HOST, typed)
    assert problem in refused, refused.reply
    assert "Usage: `!attendance [N] [day=M] [room=R7]`" in refused
    assert await counts(room) == [("R1", 1, 1, "command")]


async def test_the_default_day_is_the_workshops_date_not_the_leads(room: Chat) -> None:
    # At 22:30 UTC on 17 March it is 04:00 on 18 March in Kolkata, the lead's zone,
    # and still 23:30 on 17 March in Oslo, the workshop's: day 1. An hour later, day 2.
    await room.say(HOST, "!tz Asia/Kolkata")
    room.clock.set(datetime(2026, 3, 17, 22, 30, tzinfo=UTC))
    assert "on day 1 (Tue 17 Mar)" in await room.say(HOST, "!attendance 1")
    room.clock.set(datetime(2026, 3, 17, 23, 30, tzinfo=UTC))
    assert "on day 2 (Wed 18 Mar)" in await room.say(HOST, "!attendance 0")
    room.clock.set(datetime(2026, 3, 19, 12, tzinfo=UTC))  # day 3: R1 meets on 1-2
    assert "day=3: R1 does not meet that day (its days: 1-2)" in await room.say(
        HOST, "!attendance 1")
    room.clock.set(datetime(2026, 3, 16, 12, tzinfo=UTC))
    refused = await room.say(HOST, "!attendance 1")
    assert "Today (Mon 16 Mar in Europe/Oslo) is no day of `2026-spring`" in refused
    assert await counts(room) == [("R1", 1, 1, "command"), ("R1", 2, 0, "command")]


async def test_organizers_see_totals_learner_days_and_rooms_that_did_not_report(
    rooms: Chat,
) -> None:
    chat = rooms
    chat.clock.set(DAY_2)
    await chat.say(HOST, "!attendance 1 day=1")
    await chat.say(TENTH, "!attendance 15 day=1")
    await chat.say(TENTH, "!attendance 14")
    await chat.say("@host2:uni.no", "!room withdraw R2")
    shown = await chat.say(ORGANIZER, "!attendance")
    assert "**Attendance in `2026-spring`**: 30 learner-days in 3 reports." in shown
    assert ("- Day 1 (Tue 17 Mar): 16 (R1 1, R10 15); not reported: R3, R4, R5, R6, R7, "
            "R8, R9") in shown
    assert "- Day 2 (Wed 18 Mar): 14 (R10 14); not reported: R1, R3," in shown
    assert "Day 3" not in shown.reply, "a day not come yet"
    assert "The number of learners is missing" in await chat.say(HOST, "!attendance")


async def test_the_export_is_a_formula_safe_csv(rooms: Chat) -> None:
    chat = rooms
    chat.clock.set(DAY_1)
    await chat.say(TENTH, '!room edit R10 name="=HYPERLINK(""http://127.0.0.1/x"")"')
    await chat.say(TENTH, "!attendance 15")
    await chat.say(HOST, "!attendance 1")
    assert "is for an organizer" in await chat.say(HOST, "!attendance export")
    exported = await chat.say(ORGANIZER, "!attendance export")
    assert "2 attendance reports, 16 learner-days." in exported
    (message,) = [m for m in exported.messages if m.attachment is not None]
    assert message.attachment is not None
    assert message.attachment.filename == "attendance-2026-spring.csv"
    table = list(csv.DictReader(io.StringIO(message.attachment.data.decode())))
    assert [(r["room"], r["day"], r["learners"]) for r in table] == [
        ("R1", "1", "1"), ("R10", "1", "15")]
    assert table[1]["room_name"].startswith("'=HYPERLINK(")
    assert table[0]["date"] == "2026-03-17"


async def test_a_forgotten_reporter_leaves_the_count_without_them(room: Chat) -> None:
    room.clock.set(DAY_1)
    await room.say(HOST, f"!room lead add R1 {LEAD}")
    await room.say(LEAD, "!attendance 1")
    await room.say(LEAD, "!forget-me", direct=True)
    assert "Done" in await room.say(LEAD, "yes", direct=True)
    async with room.app.sessions() as session:
        (row,) = await session.scalars(select(Attendance))
        assert (row.count, row.reported_by) == (1, None)


async def test_stats_and_the_debrief_summary_include_attendance(rooms: Chat) -> None:
    chat = rooms
    chat.clock.set(DAY_2)
    await chat.say(HOST, "!attendance 1 day=1")
    await chat.say(TENTH, "!attendance 15 day=1")
    await chat.say(TENTH, "!attendance 14")
    stats = await chat.say(ORGANIZER, "!stats")
    assert ("- Attendance: 30 learner-days in 3 reports (day 1: 16, day 2: 14); not "
            "reported yet: 17 room-days") in stats
    debrief = await chat.say(ORGANIZER, "!feedback summary debrief")
    assert "Attendance reported: 30 learner-days in 3 reports" in debrief
    one = await chat.say(ORGANIZER, "!feedback summary debrief room=R10")
    assert "Attendance reported: 29 learner-days in 2 reports (day 1: 15, day 2: 14)" in one
    assert "Attendance reported" not in (await chat.say(ORGANIZER, "!feedback summary")).reply


async def test_a_change_of_days_keeps_reports_and_statuses_with_their_dates(
    rooms: Chat,
) -> None:
    chat = rooms
    chat.clock.set(DAY_2)
    await chat.say(HOST, "!attendance 4 day=1")  # R1, 17 March
    await chat.say(HOST, "!attendance 5")  # R1, 18 March
    await chat.say(TENTH, "!attendance 7")  # R10, 18 March
    assert "R10 is now ✅ done on day 2" in await chat.say(TENTH, "!status done", direct=True)
    # 16 March comes first: 17, 18 and 19 March become days 2, 3 and 4.
    await chat.say(ORGANIZER, "!workshop edit 2026-spring "
                              "days=2026-03-16,2026-03-17,2026-03-18,2026-03-19")
    assert await counts(chat) == [("R1", 2, 4, "command"), ("R1", 3, 5, "command"),
                                  ("R10", 3, 7, "command")]
    async with chat.app.sessions() as session:
        assert list(await session.execute(select(RoomDayStatus.room_id, RoomDayStatus.day))) == [
            (10, 3)]
    # 17 March goes: what was reported for it goes with it; 18 March is day 2 again.
    await chat.say(ORGANIZER, "!workshop edit 2026-spring days=2026-03-16,2026-03-18,2026-03-19")
    assert await counts(chat) == [("R1", 2, 5, "command"), ("R10", 2, 7, "command")]
    assert "R1 Oslo classroom on day 2 (Wed 18 Mar): 5" in await chat.say(HOST, "!attendance 5")
