"""Workshops: creating and changing them, their days, and which one is current."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Workshop, WorkshopDay, WorkshopState
from bot.services.errors import UserError
from bot.values import TimeRange


def build_days(zone: ZoneInfo, dates: tuple[date, ...], hours: TimeRange) -> list[WorkshopDay]:
    """Day rows for local dates and hours in the workshop's zone, as UTC instants."""
    return [
        WorkshopDay(
            number=number,
            local_date=day,
            starts_at=_instant(day, hours.start, zone),
            ends_at=_instant(day, hours.end, zone),
        )
        for number, day in enumerate(dates, start=1)
    ]


def _instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=zone)


def local_hours(workshop: Workshop) -> TimeRange:
    """The workshop's daily hours in its own zone (every day has the same hours)."""
    zone, first = ZoneInfo(workshop.timezone), workshop.days[0]
    return TimeRange(
        first.starts_at.astimezone(zone).time().replace(tzinfo=None),
        first.ends_at.astimezone(zone).time().replace(tzinfo=None),
    )


async def current(session: AsyncSession) -> Workshop | None:
    return await session.scalar(select(Workshop).where(Workshop.is_current))


async def require_current(session: AsyncSession, prefix: str = "!") -> Workshop:
    workshop = await current(session)
    if workshop is None:
        raise UserError(
            f"No workshop is set up yet. An organizer adds one with `{prefix}workshop add`."
        )
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
) -> Workshop:
    """Create a workshop; it becomes the current one when there is none."""
    if await session.scalar(select(Workshop.id).where(Workshop.slug == slug)) is not None:
        raise UserError(f"A workshop `{slug}` exists already; change it with `workshop edit`.")
    workshop = Workshop(
        slug=slug,
        title=title,
        timezone=zone.key,
        stream_url=stream_url,
        notes_url=notes_url,
        registration_url=registration_url,
        state=WorkshopState.PLANNED,
        is_current=await current(session) is None,
        created_at=now,
        days=build_days(zone, dates, hours),
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


@dataclass(frozen=True)
class WorkshopChanges:
    title: str | None = None
    zone: ZoneInfo | None = None
    dates: tuple[date, ...] | None = None
    hours: TimeRange | None = None
    stream_url: str | None = None
    notes_url: str | None = None
    registration_url: str | None = None
    state: WorkshopState | None = None

    def is_empty(self) -> bool:
        return all(value is None for value in vars(self).values())


async def edit(session: AsyncSession, slug: str, changes: WorkshopChanges) -> Workshop:
    """Change a workshop. Days keep their local dates and hours unless those change."""
    workshop = await by_slug(session, slug)
    if changes.zone or changes.dates or changes.hours:
        old_zone = ZoneInfo(workshop.timezone)
        zone = changes.zone or old_zone
        dates = changes.dates or tuple(day.local_date for day in workshop.days)
        hours = changes.hours or local_hours(workshop)
        workshop.days.clear()
        await session.flush()  # the old day numbers are free before the new rows come
        workshop.days.extend(build_days(zone, dates, hours))
        workshop.timezone = zone.key
    for name in ("title", "stream_url", "notes_url", "registration_url", "state"):
        value = getattr(changes, name)
        if value is not None:
            setattr(workshop, name, value)
    await session.flush()
    return workshop
