"""A chart's file name: its own per workshop, form, day, room and minute, and a file
name on every system."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from bot.services.charts import file_name

KOLKATA = timezone(timedelta(hours=5, minutes=30))
SAFE = re.compile(r"[A-Za-z0-9_-]+\.png")


def test_the_name_says_what_the_chart_shows_and_when_in_utc() -> None:
    made = datetime(2027, 3, 16, 21, 0, 59, tzinfo=KOLKATA)  # 15:30 UTC
    assert (file_name("spring", "daily", 2, ["R7"], made)
            == "feedback-spring-daily-day2-R7-20270316T1530Z.png")
    assert (file_name("spring", "final", None, [], made)
            == "feedback-spring-final-20270316T1530Z.png")


def test_names_differ_where_the_charts_do() -> None:
    at = datetime(2027, 3, 16, 15, 30, tzinfo=KOLKATA)
    names = {file_name("s", form, day, rooms, when) for form, day, rooms, when in (
        ("daily", 1, ["R1"], at), ("daily", 1, ["R12"], at), ("daily", 12, ["R1"], at),
        ("daily", None, ["R1"], at), ("final", 1, ["R1"], at),
        ("daily", 1, ["R1"], at + timedelta(minutes=1)), ("daily", 1, ["R1", "R2"], at))}
    assert len(names) == 7


def test_odd_parts_make_no_path_or_drive_and_many_rooms_a_count() -> None:
    at = datetime(2027, 3, 16, 15, 30, tzinfo=KOLKATA)
    odd = file_name("a/b:c\\d", "../x y", 3, ["R1", "R2", "R3", "R4"], at)
    assert SAFE.fullmatch(odd), odd
    assert odd == "feedback-a_b_c_d-x_y-day3-4rooms-20270316T1000Z.png"
    assert SAFE.fullmatch(file_name(":::", "“daily”", None, [], at))
