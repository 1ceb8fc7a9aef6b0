"""Workshops: `!workshops`, `!workshop [slug]`, and the organizers' add / use / edit / stats."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from bot.commands.attendance import in_brief
from bot.commands.context import Context
from bot.commands.framework import Arg, CommandSet, Reply, UsageError
from bot.commands.notify import change_notices, told
from bot.db.models import Workshop, WorkshopState
from bot.services import attendance, lifecycle, localtime, onboarding, rooms, windows, workshops
from bot.services import changes as snapshots
from bot.services import chats as chat_rooms
from bot.services.errors import UserError
from bot.services.roles import Role
from bot.text import code, escape, link, span, when
from bot.values import DateList, Slug, TimeRange, Url

commands = CommandSet()

Title = Annotated[str, Arg(metavar='"…"', column=Workshop.title)]
DayNumber = Annotated[int, Arg(metavar="N", min=1, max=31)]


def describe(workshop: Workshop, ctx: Context) -> str:
    """A workshop's days (in the reader's zone) and links."""
    zone = ctx.zone
    state = lifecycle.state_of(workshop, ctx.now())
    lines = [f"**{escape(workshop.title)}** ({code(workshop.slug)}, {state})"]
    lines += [
        f"- Day {day.number}: {span(day.starts_at, day.ends_at, zone)}" for day in workshop.days
    ]
    lines += [f"{label}: {link(url)}" for label, url in workshops.links(workshop)]
    if not ctx.has_own_zone:
        return ctx.showing_times("\n".join(lines))
    if zone.key != workshop.timezone:
        lines.append(
            f"Times are in your zone, {zone.key}; the organizers are in {workshop.timezone}."
        )
    else:
        lines.append(f"Times are in your zone, {zone.key}.")
    return "\n".join(lines)


@commands.command(
    "workshops", help="List the workshops.", example="!workshops", read_only=True
)
async def list_workshops(ctx: Context) -> str:
    found = await workshops.all_workshops(ctx.session)
    if not found:
        return "There are no workshops yet."
    lines, archived = [], 0
    for workshop in found:
        state = lifecycle.state_of(workshop, ctx.now())
        if state is lifecycle.State.ARCHIVED:
            archived += 1
            continue
        first, last = workshop.days[0].local_date, workshop.days[-1].local_date
        mark = " ← current" if workshop.is_current else ""
        lines.append(
            f"- {code(workshop.slug)} {escape(workshop.title)}: {first:%d %b} – {last:%d %b %Y},"
            f" {state}{mark}"
        )
    if archived:
        lines.append(f"({archived} archived, not listed)")
    return "\n".join(["**Workshops**", *lines, f"Details: {code(ctx.prefix + 'workshop slug')}"])


@commands.command(
    "workshop",
    help="Show a workshop's days and links in your time zone (the current one by default).",
    example="!workshop 2026-spring",
    read_only=True,
)
async def show(ctx: Context, slug: Slug | None = None) -> str:
    if slug is None:
        workshop = await workshops.require_current(ctx.session)
    else:
        workshop = await workshops.by_slug(ctx.session, slug)
    return describe(workshop, ctx)


@commands.command(
    "workshop add",
    help="Create a workshop; it becomes the current one if there is none. setup= is the "
    "address of the installation instructions, shown to learners.",
    example='!workshop add 2026-spring title="Tools for research software" '
    "tz=Europe/Stockholm days=2026-03-17,2026-03-18 time=10:00-15:00",
    role=Role.ORGANIZER,
)
async def add(
    ctx: Context,
    slug: Slug,
    *,
    title: Title,
    tz: ZoneInfo,
    days: DateList,
    time: TimeRange,
    stream: Url | None = None,
    notes: Url | None = None,
    registration: Url | None = None,
    setup: Url | None = None,
) -> str:
    with usage_on_clock_change():
        workshop = await workshops.add(
            ctx.session,
            slug=slug,
            title=title,
            zone=tz,
            dates=days.dates,
            hours=time,
            stream_url=stream,
            notes_url=notes,
            registration_url=registration,
            now=ctx.now(),
            setup_url=setup,
        )
    current = (
        "It is the current workshop."
        if workshop.is_current
        else f"Make it current with {code(ctx.prefix + 'workshop use ' + slug)}."
    )
    return f"Workshop {code(slug)} created. {current}\n\n" + describe(workshop, ctx)


@commands.command(
    "workshop use",
    help="Make a workshop the current one; commands act on it.",
    example="!workshop use 2026-spring",
    role=Role.ORGANIZER,
)
async def use(ctx: Context, slug: Slug) -> str:
    workshop = await workshops.use(ctx.session, slug)
    return f"The current workshop is now {code(workshop.slug)} ({escape(workshop.title)})."


@commands.command(
    "workshop archive",
    help="Hide a finished workshop from the listings; its data stays for summaries and "
    "exports.",
    example="!workshop archive 2026-spring",
    role=Role.ORGANIZER,
)
async def archive(ctx: Context, slug: Slug) -> str:
    workshop = await workshops.archive(ctx.session, slug, ctx.now())
    still = (
        f" It is still the current workshop: choose the next with "
        f"{code(ctx.prefix + 'workshop use SLUG')}." if workshop.is_current else ""
    )
    return (
        f"Workshop {code(slug)} archived: {code(ctx.prefix + 'workshops')} and the web page "
        f"no longer list it; {code(ctx.prefix + 'workshop ' + slug)} still shows it.{still}"
    )


@commands.command(
    "workshop edit",
    help="Change a workshop: title, tz, days, time, stream, notes, registration, setup "
    "(the installation instructions' address), state. "
    "time= sets every day's hours, or with day=N only that day's. A new tz= keeps each "
    "day's local hours; with days=, kept dates keep their hours and a new date takes "
    "those of the day before it. The state follows the days and the clock; state=finished "
    "ends the workshop before its last day's end (state=planned undoes that). "
    "chats=yes gives each room not withdrawn a chat room, its people invited; chats=no "
    "makes no more (the default is in the configuration). "
    "The people of the rooms concerned are told what changed.",
    example="!workshop edit 2026-spring time=09:00-14:00 stream=https://example.org/live",
    role=Role.ORGANIZER,
)
async def edit(
    ctx: Context,
    slug: Slug,
    *,
    title: Title | None = None,
    tz: ZoneInfo | None = None,
    days: DateList | None = None,
    time: TimeRange | None = None,
    day: DayNumber | None = None,
    stream: Url | None = None,
    notes: Url | None = None,
    registration: Url | None = None,
    setup: Url | None = None,
    state: Literal["planned", "running", "finished"] | None = None,
    chats: Annotated[bool | None, Arg(help="yes: a chat room per local room")] = None,
) -> Reply:
    changes = workshops.WorkshopChanges(
        title=title,
        zone=tz,
        dates=days.dates if days else None,
        hours=time,
        day=day,
        stream_url=stream,
        notes_url=notes,
        registration_url=registration,
        state=WorkshopState(state) if state else None,
        setup_url=setup,
    )
    if changes.is_empty() and chats is None:
        raise UsageError("give at least one key=value to change")
    workshop = await workshops.by_slug(ctx.session, slug)
    chats_changed = chats is not None and await chat_rooms.set_enabled(
        ctx.session, workshop, chats)
    if day is not None and (time is None or days is not None):
        raise UsageError("day= goes with time= (that day's new hours), and not with days=")
    if day is not None and day > len(workshop.days):
        raise UsageError(f"day={day}: {slug} has days 1-{len(workshop.days)}")
    before = await snapshots.snapshot(ctx.session, workshop)
    was = snapshots.columns(workshop)
    kept = windows.closed_ends(ctx.settings.feedback, workshop, ctx.now())
    with usage_on_clock_change():
        workshop = await workshops.edit(ctx.session, slug, changes)
    try:
        windows.require_kept(ctx.settings.feedback, workshop, kept)
    except windows.ClosedDayMoved as moved:
        what, which = (f"about day {moved.day}", f"day {moved.day}") if moved.day else (
            "of the forms not about one day (final, debrief)", "the last day")
        raise UserError(ctx.showing_times(
            f"Feedback {what} closed at {when(moved.closed_at, ctx.zone)}, so {which} keeps "
            "its number, date and end (team leads may have seen its summary; a change "
            "would move its responses or open its form again).")) from None
    after = await snapshots.again(ctx.session, before)
    notices = change_notices(ctx, before, after)
    if snapshots.changed(was, workshop) or before.days != after.days or chats_changed:
        text = f"Workshop {code(slug)} changed.{told(notices)}"
    else:
        text = f"Nothing changed: workshop {code(slug)} is already as given."
    if chats_changed:
        text += ("\nEach room not withdrawn gets a chat room; its people are invited." if chats
                 else "\nNo more chat rooms are made; those made so far stay.")
    if lost := snapshots.removed_coverage(before, after):
        text += "\nRooms that met on a removed day: " + "; ".join(lost) + "."
    return Reply(text + "\n\n" + describe(workshop, ctx), notices=notices)


@contextmanager
def usage_on_clock_change() -> Iterator[None]:
    """A time lost or doubled by a clock change is bad input: answered with the usage."""
    try:
        yield
    except localtime.AmbiguousLocalTime as exc:
        raise UsageError(exc.message) from None


@commands.command(
    "stats",
    help="Rooms, seats, learners, waitlists, leads without onboarding and the attendance "
    "reported of the current workshop.",
    example="!stats",
    role=Role.ORGANIZER,
)
async def stats(ctx: Context) -> str:
    workshop = await workshops.require_current(ctx.session)
    numbers = await rooms.statistics(ctx.session, workshop)
    without = await onboarding.staff_without_session(ctx.session, workshop)
    return "\n".join(
        [
            f"**{code(workshop.slug)} in numbers**",
            f"- Rooms: {numbers.open_rooms} open ({numbers.in_person} in person, "
            f"{numbers.online} online), {numbers.withdrawn} withdrawn",
            f"- Seats in open rooms: {numbers.seats}, {numbers.learners} taken, "
            f"{numbers.seats_left} left",
            f"- Learners: {numbers.learners} with a seat, {numbers.waiting} waiting",
            f"- Team leads and hosts: {numbers.staff} {_people(numbers.staff)}; "
            f"rooms without a team lead: {numbers.rooms_without_lead}",
            f"- Team leads and hosts without an onboarding session: {without}",
            "- Attendance: " + in_brief(
                await attendance.overview(ctx.session, workshop, ctx.now())),
        ]
    )


def _people(count: int) -> str:
    return "person" if count == 1 else "people"
