"""A workshop's state, derived from its days and the clock, at the edges."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.db.models import Workshop, WorkshopState
from bot.services import lifecycle
from bot.services.errors import DaysPassed
from bot.services.lifecycle import State, state_of
from bot.services.workshops import build_days
from bot.values import TimeRange

KOLKATA = ZoneInfo("Asia/Kolkata")  # UTC+05:30, no clock changes
HOURS = TimeRange(time(10, 0), time(15, 0))
TICK = timedelta(microseconds=1)


def workshop(zone: ZoneInfo, *days: date) -> Workshop:
    return Workshop(
        slug="w", title="W", timezone=zone.key, state=WorkshopState.PLANNED,
        archived_at=None, days=build_days(zone, [(day, HOURS) for day in days]),
    )


def test_running_from_the_first_days_start_in_the_workshops_zone() -> None:
    w = workshop(KOLKATA, date(2026, 3, 17), date(2026, 3, 18))
    start = datetime(2026, 3, 17, 4, 30, tzinfo=UTC)  # 10:00 in Kolkata
    assert state_of(w, start - TICK) is State.PLANNED
    assert state_of(w, start) is State.RUNNING


def test_finished_from_the_last_days_end_which_is_not_part_of_it() -> None:
    w = workshop(KOLKATA, date(2026, 3, 17), date(2026, 3, 18))
    end = datetime(2026, 3, 18, 9, 30, tzinfo=UTC)  # 15:00 in Kolkata
    assert state_of(w, end - TICK) is State.RUNNING
    assert state_of(w, end) is State.FINISHED
    assert lifecycle.has_ended(w, end) and not lifecycle.has_ended(w, end - TICK)


def test_days_far_apart_run_in_between_and_end_with_the_last() -> None:
    w = workshop(KOLKATA, date(2026, 3, 17), date(2026, 9, 1))
    after_first = datetime(2026, 3, 17, 9, 30, tzinfo=UTC)  # day 1 is over
    assert state_of(w, after_first) is State.RUNNING
    assert state_of(w, datetime(2026, 6, 1, tzinfo=UTC)) is State.RUNNING
    assert state_of(w, datetime(2026, 9, 1, 9, 30, tzinfo=UTC)) is State.FINISHED


def test_archived_wins_and_a_hand_made_end_counts() -> None:
    w = workshop(KOLKATA, date(2026, 3, 17))
    early = datetime(2026, 3, 1, tzinfo=UTC)
    w.state = WorkshopState.FINISHED
    assert state_of(w, early) is State.FINISHED
    w.archived_at = early
    assert state_of(w, early) is State.ARCHIVED
    assert lifecycle.has_ended(w, early)


def test_a_day_before_today_in_the_zone_is_refused_today_is_not() -> None:
    # 20:00 UTC on the 16th is already the 17th in Kolkata.
    now = datetime(2026, 3, 16, 20, 0, tzinfo=UTC)
    lifecycle.require_days_ahead((date(2026, 3, 17),), KOLKATA, now)
    with pytest.raises(DaysPassed) as refused:
        lifecycle.require_days_ahead((date(2026, 3, 16), date(2026, 3, 17)), KOLKATA, now)
    assert refused.value.passed == ((1, date(2026, 3, 16)),)
    assert not refused.value.every and refused.value.today == date(2026, 3, 17)
    # In UTC it is still the 16th: that day is ahead.
    lifecycle.require_days_ahead((date(2026, 3, 16),), ZoneInfo("UTC"), now)
