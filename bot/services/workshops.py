"""Workshops: creating and changing them, their days, and which one is current."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    Attendance,
    LocalRoom,
    RoomDayStatus,
    StatusBoard,
    Workshop,
    WorkshopDay,
    WorkshopState,
)
from bot.services import lifecycle, localtime, rooms
from bot.services.errors import NoCurrentWorkshop, NotFinished, UserError
from bot.values import TimeRange, format_days


def build_days(zone: ZoneInfo, plan: Sequence[tuple[date, TimeRange]]) -> list[WorkshopDay]:
    """Day rows for local dates, each with its own local hours, as UTC instants.

    A start or end that falls in a clock change's gap or fold is refused here
    (AmbiguousLocalTime names the day), never shifted.
    """
    days = []
    for number, (day, hours) in enumerate(plan, start=1):
        label = f"Day {number}"
        days.append(
            WorkshopDay(
                number=number,
                local_date=day,
                starts_at=localtime.instant(day, hours.start, zone, label),
                ends_at=localtime.instant(day, hours.end, zone, label),
            )
        )
    return days


def day_hours(day: WorkshopDay, zone: ZoneInfo) -> TimeRange:
    """A day's local hours in a zone (the workshop's zone gives back what was typed)."""
    return TimeRange(
        day.starts_at.astimezone(zone).time().replace(tzinfo=None),
        day.ends_at.astimezone(zone).time().replace(tzinfo=None),
    )


def links(workshop: Workshop, *, registration: bool = True) -> list[tuple[str, str]]:
    """The workshop's addresses that are set, labelled, in the order people need them.

    The chat, the calendar feed and the web page show the same labels in this order.
    """
    labelled = (("Setup instructions", workshop.setup_url), ("Stream", workshop.stream_url),
                ("Shared notes", workshop.notes_url),
                ("Registration", workshop.registration_url if registration else None))
    return [(label, url) for label, url in labelled if url]


# Built once: most commands ask for it.
_CURRENT = select(Workshop).where(Workshop.is_current)


async def current(session: AsyncSession) -> Workshop | None:
    return await session.scalar(_CURRENT)


async def require_current(session: AsyncSession) -> Workshop:
    workshop = await current(session)
    if workshop is None:
        raise NoCurrentWorkshop()
    return workshop


async def all_workshops(session: AsyncSession) -> list[Workshop]:
    found = await session.scalars(select(Workshop).order_by(Workshop.created_at, Workshop.id))
    return list(found)


async def by_slug(session: AsyncSession, slug: str) -> Workshop:
    workshop = await session.scalar(select(Workshop).where(Workshop.slug == slug))
    if workshop is None:
        known = ", ".join(w.slug for w in await all_workshops(session)) or "none yet"
        raise UserError(f"There is no workshop `{slug}`. Known workshops: {known}.")
    return workshop


async def add(
    session: AsyncSession,
    *,
    slug: str,
    title: str,
    zone: ZoneInfo,
    dates: tuple[date, ...],
    hours: TimeRange,
    stream_url: str | None,
    notes_url: str | None,
    registration_url: str | None,
    now: datetime,
    setup_url: str | None = None,
) -> Workshop:
    """Create a workshop; it becomes the current one when there is none. DaysPassed
    when a day is before today in its zone."""
    lifecycle.require_days_ahead(dates, zone, now)
    if await session.scalar(select(Workshop.id).where(Workshop.slug == slug)) is not None:
        raise UserError(f"A workshop `{slug}` exists already; change it with `workshop edit`.")
    workshop = Workshop(
        slug=slug,
        title=title,
        timezone=zone.key,
        stream_url=stream_url,
        notes_url=notes_url,
        registration_url=registration_url,
        setup_url=setup_url,
        state=WorkshopState.PLANNED,
        is_current=await current(session) is None,
        created_at=now,
        days=build_days(zone, [(day, hours) for day in dates]),
    )
    session.add(workshop)
    await session.flush()
    return workshop


async def use(session: AsyncSession, slug: str) -> Workshop:
    workshop = await by_slug(session, slug)
    await session.execute(update(Workshop).values(is_current=False))
    workshop.is_current = True
    await session.flush()
    return workshop


async def archive(session: AsyncSession, slug: str, now: datetime) -> Workshop:
    """Hide a finished workshop from the listings; its rows stay, for summaries and
    exports by slug. NotFinished for one not ended yet, or archived already."""
    workshop = await by_slug(session, slug)
    state = lifecycle.state_of(workshop, now)
    if state is not lifecycle.State.FINISHED:
        raise NotFinished(slug, state, workshop.days[-1].ends_at if workshop.days else None,
                          workshop.timezone)
    workshop.archived_at = now
    await session.flush()
    return workshop


@dataclass(frozen=True)
class WorkshopChanges:
    title: str | None = None
    zone: ZoneInfo | None = None
    dates: tuple[date, ...] | None = None
    hours: TimeRange | None = None
    day: int | None = None  # `hours` for this day number only
    stream_url: str | None = None
    notes_url: str | None = None
    registration_url: str | None = None
    state: WorkshopState | None = None
    setup_url: str | None = None  # the installation instructions' address

    def is_empty(self) -> bool:
        return all(value is None for value in vars(self).values())


def _plan(workshop: Workshop, changes: WorkshopChanges) -> list[tuple[date, TimeRange]]:
    """Each day's local date and hours after `changes`.

    `hours` applies to every day, or to day number `day` alone. Otherwise a kept
    date keeps its own hours, and a new date takes those of the closest earlier
    old day (the first day's, for a date before all of them).
    """
    zone = ZoneInfo(workshop.timezone)
    old = {day.local_date: day_hours(day, zone) for day in workshop.days}
    if changes.day is not None:
        if not 1 <= changes.day <= len(workshop.days):
            raise UserError(f"day={changes.day}: {workshop.slug} has days 1-{len(workshop.days)}.")
        target = workshop.days[changes.day - 1].local_date
        return [
            (day, changes.hours if day == target and changes.hours else hours)
            for day, hours in old.items()
        ]
    plan = []
    for day in changes.dates or tuple(old):
        if changes.hours is not None:
            plan.append((day, changes.hours))
        elif day in old:
            plan.append((day, old[day]))
        else:
            earlier = [d for d in old if d < day]
            plan.append((day, old[max(earlier)] if earlier else old[min(old)]))
    return plan


async def edit(session: AsyncSession, slug: str, changes: WorkshopChanges) -> Workshop:
    """Change a workshop. Each day keeps its own local date and hours unless those change.

    A new `zone` keeps every day's local wall-clock hours, now in the new zone. Rooms
    limited to some days keep covering the same dates, whatever their new numbers, and
    so do the attendance reported and the exercise statuses; a removed date is no
    longer covered by anyone, and what was reported for it goes.
    """
    workshop = await by_slug(session, slug)
    if changes.zone or changes.dates or changes.hours:
        zone = changes.zone or ZoneInfo(workshop.timezone)
        new_days = build_days(zone, _plan(workshop, changes))
        await _renumber_room_days(session, workshop, new_days)
        await _renumber_day_rows(session, workshop, new_days)
        workshop.days.clear()
        await session.flush()  # the old day numbers are free before the new rows come
        workshop.days.extend(new_days)
        workshop.timezone = zone.key
    for name in ("title", "stream_url", "notes_url", "registration_url", "setup_url",
                 "state"):
        value = getattr(changes, name)
        if value is not None:
            setattr(workshop, name, value)
    await session.flush()
    return workshop


async def _renumber_room_days(
    session: AsyncSession, workshop: Workshop, new_days: list[WorkshopDay]
) -> None:
    """Rooms limited to some days cover the same dates under the days' new numbers."""
    number_of = {day.local_date: day.number for day in new_days}
    limited = await session.scalars(
        select(LocalRoom).where(LocalRoom.workshop_id == workshop.id, LocalRoom.days.is_not(None))
    )
    for room in limited:
        dates = {d.local_date for d in workshop.days if d.number in rooms.covered_days(room)}
        room.days = format_days({number_of[d] for d in dates if d in number_of})


# Rows of a workshop that name a day by its number (the model and its workshop column).
_BY_DAY_NUMBER = ((Attendance, Attendance.workshop_id), (RoomDayStatus, RoomDayStatus.workshop_id),
                  (StatusBoard, StatusBoard.workshop_id))


async def _renumber_day_rows(
    session: AsyncSession, workshop: Workshop, new_days: list[WorkshopDay]
) -> None:
    """Attendance and statuses stay with their dates under the days' new numbers; those
    of a removed date are deleted. Moved through negative numbers first, so that no
    two rows meet on a number that is still taken."""
    number_of = {day.local_date: day.number for day in new_days}
    moves = {day.number: number_of.get(day.local_date) for day in workshop.days}
    if all(old == new for old, new in moves.items()):
        return
    gone = [old for old, new in moves.items() if new is None]
    moved = {old: new for old, new in moves.items() if new is not None and new != old}
    for model, workshop_id in _BY_DAY_NUMBER:
        ours = workshop_id == workshop.id
        if gone:
            await session.execute(delete(model).where(ours, model.day.in_(gone)))
        if moved:
            await session.execute(update(model).where(ours, model.day.in_(moved))
                                  .values(day=-model.day))
            for old, new in moved.items():
                await session.execute(update(model).where(ours, model.day == -old)
                                      .values(day=new))
