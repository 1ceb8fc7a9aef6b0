"""Daily attendance: how many learners each local room had on each workshop day.

A room's hosts and team leads (or an organizer) report a count per workshop day,
by command or by answering the day-end question; one row per (room, day), and a
new report replaces it: the newest report wins. A count is 0 to the room's
capacity plus `MARGIN` (learners without a seat who came anyway). A day is given
by its number; by default it is today's workshop day in the workshop's zone, and
a day that has not come yet is refused. What is asked about a day stays about
that day: the day-end question answered after midnight counts for the day asked.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.locks import lock_rooms
from bot.db.models import Attendance, LocalRoom, Person, RoomStatus, Workshop
from bot.services import rooms, seats, team
from bot.services.cells import spreadsheet_cell
from bot.services.errors import NotAllowed, RoomWithdrawn, UserError
from bot.services.lifecycle import today_in
from bot.values import RoomCode, format_days

# Learners more than the room's seats a count may name: people who came without
# a seat (a colleague, a learner from the waitlist).
MARGIN = 10
# The conversation kind asking a room's leads at the end of a day.
KIND = "attendance"
VIA_COMMAND = "command"
VIA_CONVERSATION = "conversation"


class OutOfRange(UserError):
    """A count outside 0 to the room's capacity plus MARGIN."""

    def __init__(self, code: str, count: int, most: int) -> None:
        super().__init__(f"{count} is not a count for {code}: it takes 0 to {most}.")
        self.code = code
        self.count = count
        self.most = most


class NotAWorkshopDay(UserError):
    """A day number the workshop does not have (`days`: how many it has)."""

    def __init__(self, day: int, days: int) -> None:
        super().__init__(f"There is no day {day}: the workshop has days 1-{days}.")
        self.day = day
        self.days = days


class DayNotYet(UserError):
    """A day that has not come yet in the workshop's zone."""

    def __init__(self, day: int, on: date, today: date) -> None:
        super().__init__(f"Day {day} is {on.isoformat()}, after today ({today.isoformat()}).")
        self.day = day
        self.on = on
        self.today = today


class RoomNotMeeting(UserError):
    """A day the room does not meet on (`days`: the ones it does, `1-2`)."""

    def __init__(self, code: str, day: int, days: str) -> None:
        super().__init__(f"{code} does not meet on day {day}.")
        self.code = code
        self.day = day
        self.days = days


class NoDayToday(UserError):
    """No day given, and today (in the workshop's zone) is no workshop day."""

    def __init__(self, today: date) -> None:
        super().__init__(f"Today ({today.isoformat()}) is not a workshop day.")
        self.today = today


class RoomNeeded(UserError):
    """The asker may report for several rooms (`codes`; none: any, an organizer)."""

    def __init__(self, codes: list[str]) -> None:
        super().__init__("Name the room.")
        self.codes = codes


def most(room: LocalRoom) -> int:
    return room.capacity + MARGIN


def zone_of(workshop: Workshop) -> ZoneInfo:
    return ZoneInfo(workshop.timezone)


def resolve_day(workshop: Workshop, day: int | None, now: datetime) -> int:
    """The workshop day a report is about: `day`, or today's in the workshop's zone."""
    today = today_in(zone_of(workshop), now)
    if day is None:
        found = next((d.number for d in workshop.days if d.local_date == today), None)
        if found is None:
            raise NoDayToday(today)
        return found
    chosen = next((d for d in workshop.days if d.number == day), None)
    if chosen is None:
        raise NotAWorkshopDay(day, len(workshop.days))
    if chosen.local_date > today:
        raise DayNotYet(day, chosen.local_date, today)
    return day


async def led_rooms(session: AsyncSession, workshop: Workshop, person: Person | None
                    ) -> list[LocalRoom]:
    """The workshop's rooms, not withdrawn, that the person hosts or leads."""
    if person is None:
        return []
    mine = await seats.my_memberships(session, workshop, person)
    found = {m.room.id: m.room for m in mine
             if m.role in seats.STAFF and m.room.status is not RoomStatus.WITHDRAWN}
    return [found[key] for key in sorted(found)]


async def room_for(
    session: AsyncSession, workshop: Workshop, person: Person | None, organizer: bool,
    code: RoomCode | None,
) -> LocalRoom:
    """The room a report is for: the one named (which the asker must run, unless an
    organizer), or the asker's only room."""
    if code is not None:
        room = await rooms.get(session, code)
        if room.workshop_id != workshop.id:
            raise NotAllowed(f"{room.code} is not a room of {workshop.slug}.")
        await team.require_manager(session, room, person, organizer)
        return room
    if organizer:
        raise RoomNeeded([])
    mine = await led_rooms(session, workshop, person)
    if len(mine) != 1:
        raise RoomNeeded([room.code for room in mine])
    return mine[0]


@dataclass(frozen=True)
class Reported:
    room: LocalRoom
    day: int
    count: int
    previous: int | None  # the count it replaced


async def report(
    session: AsyncSession, room: LocalRoom, day: int, count: int, person: Person | None,
    via: str, now: datetime,
) -> Reported:
    """Record `count` for the room and day, replacing an earlier report. The room's row
    is locked first, so two reports at once are one after the other: the later wins."""
    if room.status is RoomStatus.WITHDRAWN:
        raise RoomWithdrawn(room.code)
    if day not in (covered := rooms.covered_days(room)):
        raise RoomNotMeeting(room.code, day, format_days(covered) or "none")
    if not 0 <= count <= most(room):
        raise OutOfRange(room.code, count, most(room))
    await lock_rooms(session, [room])
    row = await session.scalar(
        select(Attendance).where(Attendance.room_id == room.id, Attendance.day == day))
    previous = row.count if row is not None else None
    if row is None:
        row = Attendance(workshop_id=room.workshop_id, room_id=room.id, day=day)
        session.add(row)
    row.count, row.via, row.reported_at = count, via, now
    row.reported_by = person.id if person is not None else None
    await session.flush()
    return Reported(room, day, count, previous)


async def reported(session: AsyncSession, room_id: int, day: int) -> Attendance | None:
    return await session.scalar(
        select(Attendance).where(Attendance.room_id == room_id, Attendance.day == day))


@dataclass
class DayTotal:
    number: int
    on: date
    counts: dict[str, int] = field(default_factory=dict)  # room code -> count
    missing: list[str] = field(default_factory=list)  # rooms that met and did not report

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Overview:
    days: list[DayTotal]
    rows: list[tuple[Attendance, LocalRoom]]

    @property
    def learner_days(self) -> int:
        return sum(day.total for day in self.days)

    @property
    def reports(self) -> int:
        return len(self.rows)


async def overview(session: AsyncSession, workshop: Workshop, now: datetime) -> Overview:
    """Every day up to today (in the workshop's zone): the counts per room and the rooms
    not withdrawn that met that day and have not reported; reports of later days (none
    can be made) and of withdrawn rooms are kept."""
    found = list((await session.execute(
        select(Attendance, LocalRoom).join(LocalRoom, Attendance.room_id == LocalRoom.id)
        .where(Attendance.workshop_id == workshop.id)
        .order_by(Attendance.day, Attendance.room_id))).all())
    live = list(await session.scalars(select(LocalRoom).where(
        LocalRoom.workshop_id == workshop.id, LocalRoom.status != RoomStatus.WITHDRAWN)
        .order_by(LocalRoom.id)))
    today = today_in(zone_of(workshop), now)
    days = {d.number: DayTotal(d.number, d.local_date) for d in workshop.days
            if d.local_date <= today}
    for row, room in found:
        days.setdefault(row.day, DayTotal(row.day, today)).counts[room.code] = row.count
    for room in live:
        for number in sorted(rooms.covered_days(room)):
            if number in days and room.code not in days[number].counts:
                days[number].missing.append(room.code)
    return Overview([days[n] for n in sorted(days)], [(a, r) for a, r in found])


CSV_FIELDS = ("workshop", "day", "date", "room", "room_name", "organization", "city",
              "country", "mode", "learners", "reported_at")


def to_csv(workshop: Workshop, found: Overview) -> bytes:
    """One line per report, for funders: every text cell quoted, and one that a
    spreadsheet would run as a formula made inert (bot/services/cells.py)."""
    dates = {d.number: d.local_date.isoformat() for d in workshop.days}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
    writer.writerow(CSV_FIELDS)
    for row, room in found.rows:
        cells = (workshop.slug, row.day, dates.get(row.day, ""), room.code, room.name,
                 room.organization, room.city or "", room.country or "", room.mode.value,
                 row.count, row.reported_at.isoformat(timespec="seconds"))
        writer.writerow([spreadsheet_cell(cell) for cell in cells])
    return out.getvalue().encode("utf-8")
