"""Local wall-clock times to UTC instants: the one place where that happens.

A local time can be missing (the spring-forward gap: 02:30 in Europe/Stockholm
on 2027-03-28 never happens) or happen twice (the autumn fold). Python would
silently pick an instant for both; here both are refused with a message that
names the day and the clock change, so what is stored is what was typed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.services.errors import UserError
from bot.text import zone_label


class AmbiguousLocalTime(UserError):
    """A local time that does not exist, or exists twice, on that day in that zone."""


def instant(day: date, at: time, zone: ZoneInfo, label: str = "") -> datetime:
    """The UTC instant of `at` on `day` in `zone`; AmbiguousLocalTime in a gap or fold.

    `label` (e.g. "Day 2") leads the message, so the person knows which day is meant.
    """
    local = datetime.combine(day, at, tzinfo=zone)
    round_trip = local.astimezone(UTC).astimezone(zone)
    is_gap = round_trip.replace(tzinfo=None) != local.replace(tzinfo=None)
    if not is_gap and local.utcoffset() == local.replace(fold=1).utcoffset():
        return local.astimezone(UTC)
    before, after = _clock_change(local)
    lead = f"{label}, " if label else ""
    when = f"{lead}{day:%a} {day.day} {day:%b %Y}"
    # `before` is the last second of the old offset: its wall clock plus that second.
    wall_before = f"{before.replace(tzinfo=None) + timedelta(seconds=1):%H:%M}"
    wall_after = f"{after:%H:%M}"
    clocks = f"{wall_before} {zone_label(before)} to {wall_after} {zone_label(after)}"
    if is_gap:
        problem = (
            f"{when}: {at:%H:%M} does not exist in {zone.key}; "
            f"the clocks jump from {clocks} that night"
        )
        avoid = f"{wall_before}–{wall_after}"
    else:
        problem = (
            f"{when}: {at:%H:%M} happens twice in {zone.key}; "
            f"the clocks go back from {clocks} that night"
        )
        avoid = f"{wall_after}–{wall_before}"
    raise AmbiguousLocalTime(f"{problem}. Choose a time outside {avoid}")


def _clock_change(local: datetime) -> tuple[datetime, datetime]:
    """The zone's clock change next to `local`: its last second before, and its moment.

    A gap or fold lies within hours of the change, so the change is the one
    instant in the two days around `local` where the UTC offset changes; found by
    halving that interval down to a second.
    """
    zone = local.tzinfo
    assert isinstance(zone, ZoneInfo)
    guess = local.replace(tzinfo=UTC)
    low, high = guess - timedelta(days=1), guess + timedelta(days=1)
    offset_before = low.astimezone(zone).utcoffset()
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == offset_before:
            low = middle
        else:
            high = middle
    change = high.replace(microsecond=0)
    return (change - timedelta(seconds=1)).astimezone(zone), change.astimezone(zone)
