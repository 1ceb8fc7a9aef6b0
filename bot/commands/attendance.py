"""Daily attendance: a room's hosts and team leads report how many learners came
(`!attendance 12`), organizers see the totals and export them for funders. The
day-end question asking leads for it is the conversation kind in
bot/commands/attendance_ask.py; the counting is bot/services/attendance.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Self

from bot.commands.context import Context
from bot.commands.framework import Arg, CommandSet, Reply, UsageError
from bot.db.models import LocalRoom, Workshop
from bot.messages import Attachment
from bot.services import attendance, workshops
from bot.services.attendance import MARGIN
from bot.services.roles import Role
from bot.text import code, escape, quoted
from bot.values import RoomCode

commands = CommandSet()

DayNumber = Annotated[int, Arg(metavar="M", min=1, max=31, help="the workshop day; "
                               "default: today's, in the workshop's zone")]
# Ten digits and more are not a count of people: refused before any int is made.
_DIGITS = re.compile(r"[0-9]{1,9}")


@dataclass(frozen=True)
class Learners:
    """A count of learners as typed: the digits 0-9 only (no sign, no decimals, no
    other script's digits: `１２` is refused, not read as 12)."""

    number: int
    metavar = "N"
    what = "the number of learners"

    @classmethod
    def parse(cls, text: str) -> Self:
        typed = text.strip()
        if _DIGITS.fullmatch(typed):
            return cls(int(typed))
        if re.fullmatch(r"[0-9]{10,}", typed):
            raise ValueError(f"{escape(typed[:12])}… is far too many learners for one room")
        if re.fullmatch(r"-[0-9]+", typed):
            raise ValueError(f"{escape(typed[:12])} is below 0; a count is 0 or more")
        if re.fullmatch(r"\d+", typed):  # digits of another script
            raise ValueError(f"{quoted(typed, 20)} is not a number in the digits 0-9")
        raise ValueError(f"{quoted(typed, 20)} is not a whole number of learners")


def day_label(workshop: Workshop, number: int) -> str:
    on = next((d.local_date for d in workshop.days if d.number == number), None)
    return f"day {number} ({on:%a} {on.day} {on:%b})" if on else f"day {number}"


@contextmanager
def worded(workshop: Workshop) -> Iterator[None]:
    """The service's refusals of what was typed, in words, with the usage."""
    try:
        yield
    except attendance.OutOfRange as exc:
        raise UsageError(f"{exc.count} is not a count {exc.code} takes: 0 to {exc.most} "
                         f"(its seats plus {MARGIN})") from None
    except attendance.NotAWorkshopDay as exc:
        raise UsageError(f"day={exc.day}: {code(workshop.slug)} has days 1-{exc.days}") from None
    except attendance.DayNotYet as exc:
        raise UsageError(f"day={exc.day} is {exc.on:%a} {exc.on.day} {exc.on:%b}, which has "
                         f"not come yet (today is {exc.today:%a} {exc.today.day} "
                         f"{exc.today:%b} in {workshop.timezone})") from None
    except attendance.RoomNotMeeting as exc:
        raise UsageError(f"day={exc.day}: {exc.code} does not meet that day (its days: "
                         f"{exc.days})") from None
    except attendance.NoDayToday as exc:
        raise UsageError(f"today ({exc.today:%a} {exc.today.day} {exc.today:%b} in "
                         f"{workshop.timezone}) is no day of {code(workshop.slug)}: name "
                         "the day with day=") from None
    except attendance.RoomNeeded as exc:
        if not exc.codes:
            raise UsageError("room= is missing: name the room to report for") from None
        raise UsageError(f"room= is missing: you run {', '.join(exc.codes)}, so name the "
                         "room") from None


def reported_text(workshop: Workshop, done: attendance.Reported) -> str:
    room: LocalRoom = done.room
    learners = "learner" if done.count == 1 else "learners"
    text = (f"Attendance of {room.code} {escape(room.name)} on "
            f"{day_label(workshop, done.day)}: {done.count} {learners}.")
    if done.previous is not None and done.previous != done.count:
        text += f" It replaces the {done.previous} reported before."
    return text


@commands.command(
    "attendance",
    help="Report how many learners came to your room on a workshop day (the newest "
    "report of a room and day counts); organizers name the room. Alone (organizers): "
    "every day's totals and the rooms that have not reported.",
    example="!attendance 12 day=2 room=R7",
    role=Role.LEAD,
)
async def report(
    ctx: Context, count: Learners | None = None, *, day: DayNumber | None = None,
    room: RoomCode | None = None,
) -> Reply:
    workshop = await workshops.require_current(ctx.session)
    organizer = ctx.role >= Role.ORGANIZER
    if count is None:
        if not organizer:
            raise UsageError("the number of learners is missing, e.g. 12 (every room's "
                             "totals are for organizers)")
        if day is not None or room is not None:
            raise UsageError("the number of learners is missing, e.g. 12")
        return Reply(overview_text(ctx, workshop,
                                   await attendance.overview(ctx.session, workshop, ctx.now())))
    with worded(workshop):
        chosen = await attendance.room_for(ctx.session, workshop, ctx.person, organizer, room)
        number = attendance.resolve_day(workshop, day, ctx.now())
        done = await attendance.report(ctx.session, chosen, number, count.number,
                                       await ctx.me(), attendance.VIA_COMMAND, ctx.now())
    return Reply(reported_text(workshop, done))


def overview_text(ctx: Context, workshop: Workshop, found: attendance.Overview) -> str:
    lines = [f"**Attendance in {code(workshop.slug)}**: {found.learner_days} learner-days "
             f"in {found.reports} report{'s' if found.reports != 1 else ''}."]
    for day in found.days:
        counts = ", ".join(f"{room} {n}" for room, n in day.counts.items())
        line = (f"- {_upper(day_label(workshop, day.number))}: {day.total} "
                f"({counts})" if counts else
                f"- {_upper(day_label(workshop, day.number))}: nothing reported")
        if day.missing:
            line += "; not reported: " + ", ".join(day.missing)
        lines.append(line)
    if not found.days:
        lines.append("No workshop day has come yet.")
    lines.append(f"{code(ctx.prefix + 'attendance export')} gives them as a CSV file.")
    return "\n".join(lines)


def in_brief(found: attendance.Overview, room: str | None = None) -> str:
    """One line for `!stats` and the debrief summary: learner-days, per day, and the
    room-days not reported (only `room`'s, when given)."""
    days = [(d.number, d.counts.get(room, 0) if room else d.total,
             (room in d.missing) if room else len(d.missing)) for d in found.days]
    reports = sum(1 for d in found.days for r in d.counts if room in (None, r))
    total = sum(n for _, n, _ in days)
    per_day = ", ".join(f"day {number}: {n}" for number, n, _ in days)
    missing = sum(int(m) for *_, m in days)
    line = f"{total} learner-days in {reports} report{'s' if reports != 1 else ''}"
    if per_day:
        line += f" ({per_day})"
    return line + (f"; not reported yet: {missing} room-day{'s' if missing != 1 else ''}"
                   if missing else "")


def _upper(text: str) -> str:
    return text[:1].upper() + text[1:]


@commands.command(
    "attendance export",
    help="Every room's reported attendance per day as a CSV file, for funders.",
    example="!attendance export",
    role=Role.ORGANIZER,
    read_only=True,
)
async def export(ctx: Context) -> Reply:
    workshop = await workshops.require_current(ctx.session)
    found = await attendance.overview(ctx.session, workshop, ctx.now())
    return Reply(
        f"{found.reports} attendance report{'s' if found.reports != 1 else ''}, "
        f"{found.learner_days} learner-days.",
        attachment=Attachment(f"attendance-{workshop.slug}.csv", "text/csv",
                              attendance.to_csv(workshop, found)),
    )
