"""Parsing what people type, and formatting what they read."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.text import clip, code, escape, span, when
from bot.values import (
    DaySet,
    Language,
    RoomCode,
    Slug,
    TimeRange,
    UserId,
    clean_line,
    fold,
    language_name,
    parse_int,
    parse_zone,
)


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
        parse_int("12x")


def test_a_huge_number_is_too_large_not_malformed() -> None:
    with pytest.raises(ValueError, match="too large; the most accepted is 500"):
        parse_int("1" * 30, 1, 500)
    with pytest.raises(ValueError, match="too small; the least accepted is 1"):
        parse_int("-" + "9" * 30, 1, 500)
    with pytest.raises(ValueError, match="too large a number"):
        parse_int("9" * 5000)
    assert parse_int("0007", 1, 10) == 7


def test_ranges_accept_typographic_dashes() -> None:
    assert TimeRange.parse("10:00–15:00") == TimeRange.parse("10:00-15:00")
    assert TimeRange.parse("10:00 — 15:00") == TimeRange.parse("10:00-15:00")
    assert DaySet.parse("1–3").numbers == frozenset({1, 2, 3})
    assert DaySet.parse("1—2,4").numbers == frozenset({1, 2, 4})


def test_reversed_ranges_are_called_reversed() -> None:
    with pytest.raises(ValueError, match="15:00-10:00 is reversed; did you mean 10:00-15:00"):
        TimeRange.parse("15:00-10:00")
    with pytest.raises(ValueError, match="is empty"):
        TimeRange.parse("10:00-10:00")
    with pytest.raises(ValueError, match="day range 3-1 is reversed; did you mean 1-3"):
        DaySet.parse("3–1")


def test_command_words_cannot_be_slugs() -> None:
    for word in ("add", "use", "edit"):
        with pytest.raises(ValueError, match="a word the commands use"):
            Slug.parse(word)
    assert Slug.parse("2026-spring") == "2026-spring"


def test_user_ids_have_the_length_matrix_allows() -> None:
    assert UserId.parse("@" + "a" * 240 + ":uni.no")
    with pytest.raises(ValueError, match="does not name a person"):
        UserId.parse("@" + "a" * 260 + ":uni.no")


def test_languages_are_iso_639_1_codes_with_names() -> None:
    assert Language.parse("DE") == "de"
    assert Language.parse("Norwegian") == "no"
    assert Language.parse("deu") == "de"
    for wrong in ("xx", "Klingon", "e", "e n"):
        with pytest.raises(ValueError, match="not an ISO 639-1 language code"):
            Language.parse(wrong)
    assert language_name("fi") == "Finnish (fi)"
    assert language_name("x-custom") == "x-custom"


def test_one_line_text_loses_invisible_characters_and_refuses_breaks() -> None:
    assert clean_line("Ana\u202e\u200b\u2066s room\ufeff") == "Anas room"
    assert clean_line("a\tb") == "a b"
    for broken in ("a\nb", "a\rb", "a\u2028b"):
        with pytest.raises(ValueError, match="one line"):
            clean_line(broken)
    with pytest.raises(ValueError, match="control characters"):
        clean_line("a\x00b")


def test_fold_ignores_accents_and_case() -> None:
    assert fold("Café Ångström") == fold("cafe angstrom") == "cafe angstrom"
    assert fold("Tromsø Łódź Straße Æsir") == "tromso lodz strasse aesir"


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
