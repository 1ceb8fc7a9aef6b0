"""Parsing what people type, and formatting what they read."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.text import clip, code, escape, span, when
from bot.values import RoomCode, parse_int, parse_zone


def test_zones_are_found_case_insensitively() -> None:
    assert parse_zone("europe/oslo").key == "Europe/Oslo"
    assert parse_zone("UTC").key == "UTC"


def test_an_unknown_zone_says_what_form_is_accepted_and_suggests() -> None:
    with pytest.raises(ValueError, match="Area/City") as caught:
        parse_zone("Mars/Olympus")
    assert "Europe/Oslo" in str(caught.value)
    with pytest.raises(ValueError, match="Did you mean Europe/Stockholm"):
        parse_zone("Europe/Stokholm")
    for hostile in ("", "../../etc/passwd", "\x00", "a" * 5000):
        with pytest.raises(ValueError):
            parse_zone(hostile)


def test_room_codes() -> None:
    assert RoomCode.parse("R7") == RoomCode(7)
    assert RoomCode.parse("r12").number == 12
    assert str(RoomCode(3)) == "R3"
    with pytest.raises(ValueError, match="room ids look like R7"):
        RoomCode.parse("room7")


def test_numbers_have_bounds() -> None:
    assert parse_int("+5", minimum=0) == 5
    with pytest.raises(ValueError, match="too large"):
        parse_int("501", maximum=500)
    with pytest.raises(ValueError, match="not a whole number"):
        parse_int("1" * 30)


def test_times_are_shown_in_the_persons_zone_with_the_zone_named() -> None:
    instant = datetime(2026, 3, 17, 9, 0, tzinfo=UTC)
    assert when(instant, parse_zone("Europe/Stockholm")) == "Tue 17 Mar 10:00 CET"
    assert when(instant, parse_zone("America/New_York")) == "Tue 17 Mar 05:00 EDT"


def test_escape_makes_markdown_and_html_literal() -> None:
    assert escape("*bold* <b>x</b> [link](http://x) uni-oslo.no") == (
        r"\*bold\* \<b\>x\</b\> \[link\](http://x) uni-oslo.no"
    )


def test_spans_show_one_date_or_both() -> None:
    start = datetime(2026, 3, 17, 9, 0, tzinfo=UTC)
    end = datetime(2026, 3, 17, 14, 0, tzinfo=UTC)
    assert span(start, end, parse_zone("Europe/Stockholm")) == "Tue 17 Mar 10:00–15:00 CET"
    assert span(start, end, parse_zone("Pacific/Auckland")) == (
        "Tue 17 Mar 22:00 NZDT – Wed 18 Mar 03:00 NZDT"
    )


def test_code_spans_survive_backticks() -> None:
    assert code("a") == "`a`"
    assert code("a`b") == "``a`b``"
    assert code("`x") == "`` `x ``"


def test_clip_shortens_long_text() -> None:
    assert clip("short") == "short"
    assert clip("x" * 200, 10) == "x" * 9 + "…"
