"""A workshop's life: planned, running, finished, archived, derived from its days.

The state is never stored: it follows from the days' instants (each day's start
and end were turned from the workshop's zone into instants when the days were
set), the clock and `archived_at`. A workshop runs from its first day's start to
its last day's end, also between days far apart; from the last day's end on it
has ended. The stored `Workshop.state` counts only as an organizer's hand-made
end (`!workshop edit state=finished`), which the reminders and the rights of
hosts and team leads read too.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Workshop, WorkshopDay, WorkshopState
from bot.services.errors import DaysPassed, WorkshopEnded


class State(enum.StrEnum):
    PLANNED = "planned"
    RUNNING = "running"
    FINISHED = "finished"
    ARCHIVED = "archived"


def state_of(workshop: Workshop, now: datetime) -> State:
    """What a workshop is at `now`: the first day's start is running, the last day's
    end is finished (a day's end is not part of it)."""
    if workshop.archived_at is not None:
        return State.ARCHIVED
    if workshop.state is WorkshopState.FINISHED or (
        workshop.days and now >= workshop.days[-1].ends_at
    ):
        return State.FINISHED
    if workshop.days and now >= workshop.days[0].starts_at:
        return State.RUNNING
    return State.PLANNED


def has_ended(workshop: Workshop, now: datetime) -> bool:
    return state_of(workshop, now) in (State.FINISHED, State.ARCHIVED)


def require_not_ended(workshop: Workshop, now: datetime) -> None:
    """WorkshopEnded after the last day: no more seats or rooms."""
    if has_ended(workshop, now):
        last = workshop.days[-1].local_date if workshop.days else None
        raise WorkshopEnded(workshop.slug, last)


def today_in(zone: ZoneInfo, now: datetime) -> date:
    return now.astimezone(zone).date()


def require_days_ahead(dates: tuple[date, ...], zone: ZoneInfo, now: datetime) -> None:
    """DaysPassed when a day's date is before today in the workshop's zone.

    Today counts as ahead, even once its hours began (an organizer adding the
    workshop on its first morning). A day already past is refused even when
    later days are ahead: a workshop whose first day is behind it would start
    out running, and a mistyped year looks just like that.
    """
    today = today_in(zone, now)
    passed = tuple((number, day) for number, day in enumerate(dates, start=1) if day < today)
    if passed:
        raise DaysPassed(passed, len(passed) == len(dates), today, zone.key)



async def current_if_finished(
    session: AsyncSession, now: datetime
) -> tuple[int, str, date] | None:
    """The current workshop's id, slug and last date when it is finished (not archived).

    The rule of `state_of`, in one query: it is asked on every organizer's answer.
    """
    last_date = (
        select(func.max(WorkshopDay.local_date))
        .where(WorkshopDay.workshop_id == Workshop.id)
        .scalar_subquery()
    )
    day_to_come = exists().where(WorkshopDay.workshop_id == Workshop.id,
                                 WorkshopDay.ends_at > now)
    found = (await session.execute(
        select(Workshop.id, Workshop.slug, last_date).where(
            Workshop.is_current,
            Workshop.archived_at.is_(None),
            last_date.is_not(None),
            or_(Workshop.state == WorkshopState.FINISHED, ~day_to_come),
        )
    )).first()
    return (found[0], found[1], found[2]) if found else None
