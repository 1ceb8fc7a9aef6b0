"""Times as people read them: zones named, ambiguous abbreviations with their offset,
and local times lost or doubled by a clock change refused."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.services.localtime import AmbiguousLocalTime, instant
from bot.text import span, when, zone_label

MARCH_17 = datetime(2026, 3, 17, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "shown"),
    [
        ("Europe/Stockholm", "Tue 17 Mar 10:00 CET"),
        ("America/New_York", "Tue 17 Mar 05:00 EDT"),
        ("UTC", "Tue 17 Mar 09:00 UTC"),
        # IST is India's, Ireland's and Israel's: the offset says which.
        ("Asia/Kolkata", "Tue 17 Mar 14:30 IST (UTC+05:30)"),
        ("Asia/Jerusalem", "Tue 17 Mar 11:00 IST (UTC+02:00)"),
        # CST is central America's, China's and Cuba's.
        ("America/Chicago", "Tue 17 Mar 04:00 CDT (UTC-05:00)"),
        ("America/Regina", "Tue 17 Mar 03:00 CST (UTC-06:00)"),
        ("Asia/Shanghai", "Tue 17 Mar 17:00 CST (UTC+08:00)"),
        # No abbreviation in the tz database: zoneinfo says "+03", people read an offset.
        ("Europe/Istanbul", "Tue 17 Mar 12:00 UTC+03:00"),
        ("America/Sao_Paulo", "Tue 17 Mar 06:00 UTC-03:00"),
        ("Asia/Kathmandu", "Tue 17 Mar 14:45 UTC+05:45"),
    ],
)
def test_every_time_names_its_zone_unambiguously(zone: str, shown: str) -> None:
    assert when(MARCH_17, ZoneInfo(zone)) == shown


def test_irish_summer_time_is_ist_with_its_offset() -> None:
    local = datetime(2026, 7, 1, 9, 0, tzinfo=UTC).astimezone(ZoneInfo("Europe/Dublin"))
    assert zone_label(local) == "IST (UTC+01:00)"


def test_a_span_names_the_zone_once_with_its_offset_when_needed() -> None:
    end = datetime(2026, 3, 17, 14, 0, tzinfo=UTC)
    assert span(MARCH_17, end, ZoneInfo("Asia/Kolkata")) == "Tue 17 Mar 14:30–19:30 IST (UTC+05:30)"
    assert span(MARCH_17, end, ZoneInfo("Asia/Dubai")) == "Tue 17 Mar 13:00–18:00 UTC+04:00"


def test_an_ordinary_local_time_becomes_its_instant() -> None:
    assert instant(date(2027, 3, 28), time(3, 0), ZoneInfo("Europe/Stockholm")) == datetime(
        2027, 3, 28, 1, 0, tzinfo=UTC
    )
    assert instant(date(2027, 10, 31), time(3, 0), ZoneInfo("Europe/Stockholm")) == datetime(
        2027, 10, 31, 2, 0, tzinfo=UTC
    )


def test_a_time_in_the_spring_forward_gap_is_refused_naming_day_and_change() -> None:
    with pytest.raises(AmbiguousLocalTime) as refused:
        instant(date(2027, 3, 28), time(2, 30), ZoneInfo("Europe/Stockholm"), "Day 2")
    assert refused.value.message == (
        "Day 2, Sun 28 Mar 2027: 02:30 does not exist in Europe/Stockholm; the clocks jump "
        "from 02:00 CET to 03:00 CEST that night. Choose a time outside 02:00–03:00"
    )


def test_a_time_in_the_autumn_fold_is_refused_naming_day_and_change() -> None:
    with pytest.raises(AmbiguousLocalTime) as refused:
        instant(date(2027, 11, 7), time(1, 30), ZoneInfo("America/New_York"))
    assert refused.value.message == (
        "Sun 7 Nov 2027: 01:30 happens twice in America/New_York; the clocks go back "
        "from 02:00 EDT to 01:00 EST that night. Choose a time outside 01:00–02:00"
    )


def test_half_hour_clock_changes_are_found_too() -> None:
    with pytest.raises(AmbiguousLocalTime, match="from 02:00 UTC\\+10:30 to 02:30 UTC\\+11:00"):
        instant(date(2027, 10, 3), time(2, 15), ZoneInfo("Australia/Lord_Howe"))
