"""Keeping the reminder before a window closes out of the recipient's night, in any zone:
half-hour and 45-minute offsets, zones west of UTC, and clock changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.scheduling.night import EVENING, NIGHT_ENDS, is_night, out_of_night

ZONES = ["Asia/Kolkata", "Pacific/Chatham", "America/St_Johns", "Europe/Oslo",
         "America/New_York", "Australia/Lord_Howe", "Pacific/Kiritimati", "UTC"]
KOLKATA = ZoneInfo("Asia/Kolkata")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def test_a_reminder_in_the_night_comes_at_eight_the_evening_before() -> None:
    # 02:00 UTC is 07:30 in Kolkata: the night; 20:00 there the evening before.
    moved = out_of_night(utc(2027, 3, 23, 2), KOLKATA, utc(2027, 3, 16, 15), utc(2027, 3, 23, 14))
    assert moved == utc(2027, 3, 22, 14, 30)
    # 15:30 UTC is 21:00 there: the same evening's 20:00, an hour earlier.
    moved = out_of_night(utc(2027, 3, 23, 15, 30), KOLKATA, utc(2027, 3, 16, 15),
                         utc(2027, 3, 24, 3, 30))
    assert moved == utc(2027, 3, 23, 14, 30)


def test_a_reminder_in_the_day_stays() -> None:
    due = utc(2027, 3, 23, 2, 30)  # 08:00 in Kolkata, the night just over
    assert out_of_night(due, KOLKATA, utc(2027, 3, 16), utc(2027, 3, 24)) == due


def test_never_before_the_form_was_asked_then_the_morning_after() -> None:
    # The form was asked at 21:30 Kolkata, the reminder is due at 02:00 that night: the
    # evening before is earlier than the form, so 08:00 the morning after, before close.
    asked, due, closes = utc(2027, 3, 22, 16), utc(2027, 3, 22, 20, 30), utc(2027, 3, 23, 12)
    assert out_of_night(due, KOLKATA, asked, closes) == utc(2027, 3, 23, 2, 30)
    # With the window closing at 07:00 there, neither: it stays in the night.
    early_close = utc(2027, 3, 23, 1, 30)
    assert out_of_night(due, KOLKATA, asked, early_close) == due


@pytest.mark.parametrize("zone", ["Europe/Oslo", "America/St_Johns"])
def test_the_evening_before_a_clock_change_is_eight_local_time(zone: str) -> None:
    tz = ZoneInfo(zone)
    # The night the clocks change (Oslo: 28 Mar 2027; St John's: 14 Mar 2027).
    day = 28 if zone == "Europe/Oslo" else 14
    due = datetime(2027, 3, day, 4, tzinfo=tz).astimezone(UTC)
    moved = out_of_night(due, tz, due - timedelta(days=3), due + timedelta(hours=12))
    local = moved.astimezone(tz)
    assert (local.date(), local.time()) == (date(2027, 3, day - 1), EVENING)


# Hypothesis takes naive bounds and makes aware instants from them.
instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)


@settings(max_examples=400, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    due=instants,
    since=st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(days=8)),
    until=st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(days=8)),
)
def test_the_moved_reminder_keeps_to_its_bounds_and_out_of_the_night(
    zone: str, due: datetime, since: timedelta, until: timedelta
) -> None:
    tz = ZoneInfo(zone)
    asked, closes = due - since, due + until
    moved = out_of_night(due, tz, asked, closes)
    # Never with or before the form, never after the window closed.
    assert asked < moved < closes
    if not is_night(due, tz):
        assert moved == due
        return
    # The evening that night began, and the morning it ends, in local time.
    local = due.astimezone(tz)
    start = local.date() if local.hour >= 12 else local.date() - timedelta(days=1)
    evening = datetime.combine(start, EVENING, tzinfo=tz).astimezone(UTC)
    morning = datetime.combine(start + timedelta(days=1), NIGHT_ENDS, tzinfo=tz).astimezone(UTC)
    assert not is_night(evening, tz) and not is_night(morning, tz)
    if evening > asked:
        assert moved == evening  # earlier, at 20:00, when the form was asked by then
    elif morning < closes:
        assert moved == morning  # else 08:00 after, when the window is still open
    else:
        assert moved == due  # else left where it was
