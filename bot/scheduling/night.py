"""Keeping a reminder out of its recipient's night: a pure function of instants and a zone.

The reminder before a form's window closes (bot/scheduling/planner.py) falls
where the window's arithmetic puts it, which for a learner far from the
workshop's zone is often the middle of their night: 12 hours before a window
that closes at 03:30 in Kolkata is 15:30 there, but 12 hours before one that
closes at 21:00 is 09:00, and one before 09:00 is 21:00 the evening before.
A reminder due in the night (`NIGHT_STARTS` to `NIGHT_ENDS`, local time) moves
to `EVENING` local time the evening before, so it is read before the person
sleeps. It never moves to or before the instant the form was asked (it would
come with, or ahead of, the form itself); then, the morning after at
`NIGHT_ENDS`, when that is still before the window closes; failing both, it
stays where it was.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

NIGHT_STARTS = time(21)
NIGHT_ENDS = time(8)
EVENING = time(20)


def is_night(instant: datetime, zone: ZoneInfo) -> bool:
    """Whether `instant` is in the night of someone living in `zone`."""
    local = instant.astimezone(zone).time()
    return local >= NIGHT_STARTS or local < NIGHT_ENDS


def _at(day: date, at: time, zone: ZoneInfo) -> datetime | None:
    """The UTC instant of `at` local time on `day`, None when the clocks skip it there."""
    local = datetime.combine(day, at, tzinfo=zone)
    found = local.astimezone(UTC)
    return found if found.astimezone(zone).replace(tzinfo=None) == local.replace(
        tzinfo=None) else None


def out_of_night(due: datetime, zone: ZoneInfo, asked: datetime, closes: datetime) -> datetime:
    """`due`, or the nearest waking instant the reminder may move to (see the module).

    `asked` < `due` < `closes` are expected; the result keeps to the same bounds.
    """
    if not is_night(due, zone):
        return due
    local = due.astimezone(zone)
    # The night that holds `due` began on this (local) date.
    night_of = local.date() if local.time() >= NIGHT_STARTS else local.date() - timedelta(days=1)
    evening = _at(night_of, EVENING, zone)
    if evening is not None and asked < evening < due and not is_night(evening, zone):
        return evening
    morning = _at(night_of + timedelta(days=1), NIGHT_ENDS, zone)
    if morning is not None and due < morning < closes and not is_night(morning, zone):
        return morning
    return due
