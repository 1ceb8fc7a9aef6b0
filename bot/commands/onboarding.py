"""Onboarding sessions: list, calendar, join and leave; the organizers' add, edit and remove."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from bot.commands.context import Context
from bot.commands.framework import Arg, CommandSet, Notice, Reply, UsageError
from bot.commands.workshops import usage_on_clock_change
from bot.db.models import Audience, OnboardingSession, Person, Workshop
from bot.messages import Attachment
from bot.services import calendars, changes, localtime, onboarding, people, workshops
from bot.services.onboarding import SessionCode
from bot.services.roles import Role
from bot.text import code, default_zone_note, escape, link, span
from bot.values import Url

commands = CommandSet()

Seats = Annotated[int, Arg(metavar="N", min=1, max=10000)]
Minutes = Annotated[int, Arg(metavar="N", min=5, max=24 * 60)]
For = Literal["all", "in-person", "online"]


NOT_SHOWN = "the link is shared with those signed up"


def _describe(row: OnboardingSession, zone: ZoneInfo, taken: int, *, shown: bool = True) -> str:
    """One session; its video link only when `shown` (see `onboarding.LinkReader`)."""
    end = row.starts_at + timedelta(minutes=row.minutes)
    seats = (
        f"{row.capacity - taken} of {row.capacity} seats left" if row.capacity is not None
        else f"{taken} signed up"
    )
    audience = "" if row.audience is Audience.ALL else f", for {row.audience.value} rooms"
    where = "" if not row.link else f", {link(row.link)}" if shown else f", {NOT_SHOWN}"
    return f"{row.code}: {span(row.starts_at, end, zone)}{audience}, {seats}{where}"


async def _reader(ctx: Context, workshop: Workshop) -> onboarding.LinkReader:
    return await onboarding.link_reader(
        ctx.session, workshop, ctx.person, organizer=ctx.role >= Role.ORGANIZER
    )


def _zone_for(ctx: Context, workshop: Workshop, tz: ZoneInfo | None) -> ZoneInfo:
    """Times typed without tz= are in the asker's zone if they set one, else the workshop's."""
    if tz is not None:
        return tz
    return ctx.zone if ctx.has_own_zone else ZoneInfo(workshop.timezone)


@commands.command(
    "onboarding",
    help="The onboarding sessions of the current workshop in your zone, with seats left; "
    "yours is marked.",
    example="!onboarding",
    read_only=True,
)
async def show(ctx: Context) -> str:
    workshop = await workshops.require_current(ctx.session)
    rows = await onboarding.sessions_of(ctx.session, workshop)
    if not rows:
        return f"{code(workshop.slug)} has no onboarding sessions yet."
    taken = await onboarding.counts(ctx.session, workshop)
    reader = await _reader(ctx, workshop)
    lines = [f"**Onboarding sessions of {code(workshop.slug)}**"]
    for row in rows:
        own = " ← yours" if reader.signed_up_for == row.id else ""
        described = _describe(row, ctx.zone, taken.get(row.id, 0), shown=reader.sees(row))
        lines.append(f"- {described}{own}")
    lines.append(
        f"Sign up with {code(ctx.prefix + 'onboarding join O1')}; "
        f"{code(ctx.prefix + 'onboarding ics')} gives a calendar file."
    )
    return ctx.showing_times("\n".join(lines))


@commands.command(
    "onboarding ics",
    help="The onboarding sessions as an iCalendar file for your calendar program; yours marked.",
    example="!onboarding ics",
    read_only=True,
)
async def ics(ctx: Context) -> Reply:
    workshop = await workshops.require_current(ctx.session)
    rows = await onboarding.sessions_of(ctx.session, workshop)
    if not rows:
        return Reply(f"{code(workshop.slug)} has no onboarding sessions yet.")
    reader = await _reader(ctx, workshop)
    data = calendars.onboarding_calendar(
        workshop, rows, reader.signed_up_for, ctx.now(),
        linked={row.id for row in rows if reader.sees(row)},
    )
    name = f"onboarding-{workshop.slug}.ics"
    return Reply(
        f"The {len(rows)} onboarding sessions of {code(workshop.slug)} as a calendar file.",
        attachment=Attachment(name, "text/calendar", data),
    )


@commands.command(
    "onboarding add",
    help="Add an onboarding session. Without tz= the time is in your zone (or the "
    "workshop's if you have not set yours). for= limits it to in-person or online teams.",
    example="!onboarding add 2026-03-10 14:00 link=https://meet.example.org/onb capacity=30",
    role=Role.ORGANIZER,
)
async def add(
    ctx: Context,
    day: date,
    at: time,
    *,
    tz: ZoneInfo | None = None,
    link: Url | None = None,
    capacity: Seats | None = None,
    for_: For = "all",
    minutes: Minutes = 60,
) -> str:
    workshop = await workshops.require_current(ctx.session)
    with usage_on_clock_change():
        starts_at = localtime.instant(day, at, _zone_for(ctx, workshop, tz))
    if starts_at <= ctx.now():
        raise UsageError("that time has already passed")
    row = await onboarding.add(
        ctx.session, workshop, starts_at=starts_at, minutes=minutes, link=link,
        capacity=capacity, audience=Audience(for_), now=ctx.now(),
    )
    return ctx.showing_times(f"Onboarding session added: {_describe(row, ctx.zone, 0)}")


@commands.command(
    "onboarding edit",
    help="Move or change an onboarding session: date=, time=, tz=, link=, capacity=, for=, "
    "minutes=. Those signed up are told, and their reminders move.",
    example="!onboarding edit O2 time=15:00",
    role=Role.ORGANIZER,
)
async def edit(
    ctx: Context,
    number: SessionCode,
    *,
    date_: date | None = None,
    time_: time | None = None,
    tz: ZoneInfo | None = None,
    link: Url | None = None,
    capacity: Seats | None = None,
    for_: For | None = None,
    minutes: Minutes | None = None,
) -> Reply:
    given = (date_, time_, tz, link, capacity, for_, minutes)
    if all(value is None for value in given):
        raise UsageError("give at least one key=value to change")
    workshop = await workshops.require_current(ctx.session)
    row = await onboarding.get(ctx.session, workshop, number)
    before = (row.starts_at, row.minutes, row.link)
    was = changes.columns(row)
    starts_at = None
    if date_ is not None or time_ is not None or tz is not None:
        zone = _zone_for(ctx, workshop, tz)
        local = row.starts_at.astimezone(zone)
        with usage_on_clock_change():
            starts_at = localtime.instant(date_ or local.date(), time_ or local.time(), zone)
        if starts_at <= ctx.now():
            raise UsageError("that time has already passed")
    await onboarding.edit(
        ctx.session, row, starts_at=starts_at, minutes=minutes, link=link, capacity=capacity,
        audience=None if for_ is None else Audience(for_),
    )
    notices: tuple[Notice, ...] = ()
    if (row.starts_at, row.minutes, row.link) != before:
        notices = _tell(
            await onboarding.signed_up(ctx.session, row), ctx,
            lambda zone: f"Your onboarding session has changed: {_describe_short(row, zone)}",
        )
    taken = (await onboarding.counts(ctx.session, workshop)).get(row.id, 0)
    told = f" {len(notices)} signed up told." if notices else ""
    what = "Changed" if changes.changed(was, row) else "Nothing changed"
    return Reply(
        ctx.showing_times(f"{what}: {_describe(row, ctx.zone, taken)}.{told}"), notices=notices
    )


def _describe_short(row: OnboardingSession, zone: ZoneInfo) -> str:
    end = row.starts_at + timedelta(minutes=row.minutes)
    where = f", {link(row.link)}" if row.link else ""
    return f"{row.code} on {span(row.starts_at, end, zone)}{where}."


def _tell(
    persons: list[Person], ctx: Context, text: Callable[[ZoneInfo], str]
) -> tuple[Notice, ...]:
    """`text` in each person's zone, with how to set one to whoever has not."""
    default = ctx.settings.bot.default_timezone
    notices = []
    for person in persons:
        if person.network != ctx.message.network:
            continue
        zone = people.zone_of(person, default)
        note = "" if person.timezone else "\n" + default_zone_note(zone, ctx.prefix)
        notices.append(Notice(person.user_id, text(zone) + note))
    return tuple(notices)


@commands.command(
    "onboarding remove",
    help="Cancel an onboarding session; those signed up are told.",
    example="!onboarding remove O2",
    role=Role.ORGANIZER,
)
async def remove(ctx: Context, number: SessionCode) -> Reply:
    workshop = await workshops.require_current(ctx.session)
    row = await onboarding.get(ctx.session, workshop, number)
    end = row.starts_at + timedelta(minutes=row.minutes)
    gone = await onboarding.remove(ctx.session, row)
    # No video link: it leads to a meeting that will not take place.
    notices = _tell(
        gone, ctx,
        lambda zone: f"Your onboarding session {row.code} for {escape(workshop.title)}, "
        f"{span(row.starts_at, end, zone)}, is cancelled, and you are no longer signed up "
        f"for it. Please pick another one: {code(ctx.prefix + 'onboarding')} lists them.",
    )
    told = f" {len(notices)} signed up told." if notices else ""
    return Reply(f"Onboarding session {row.code} removed.{told}", notices=notices)


@commands.command(
    "onboarding join",
    help="Sign up for an onboarding session (one per workshop; joining another moves you).",
    example="!onboarding join O2",
    role=Role.LEAD,
)
async def join(ctx: Context, number: SessionCode) -> str:
    workshop = await workshops.require_current(ctx.session)
    row = await onboarding.get(ctx.session, workshop, number)
    joined = await onboarding.join(ctx.session, workshop, row, await ctx.me(), ctx.now())
    moved = f" You are no longer signed up for {joined.left.code}." if joined.left else ""
    return ctx.showing_times(
        f"You are signed up for the onboarding session {_describe_short(row, ctx.zone)}{moved} "
        "You will be reminded before it starts."
    )


@commands.command(
    "onboarding leave",
    help="Leave the onboarding session you signed up for.",
    example="!onboarding leave",
    role=Role.LEAD,
)
async def leave(ctx: Context) -> str:
    workshop = await workshops.require_current(ctx.session)
    left = await onboarding.leave(ctx.session, workshop, ctx.person)
    return (
        f"You are no longer signed up for {left.code}. "
        f"{code(ctx.prefix + 'onboarding')} lists the sessions."
    )
