"""The chart image of a summary: its size, each bar's length, labels that fit, and a
font with the letters of the names our users write."""

from __future__ import annotations

import io

from PIL import Image

from bot.forms.definitions import Kind, Question, load
from bot.services import charts
from bot.services.summary import Tally, tally

FORMS = load()
PACE = Question("pace", Kind.CHOICE, "How was the pace?",
                choices=("too slow", "right", "too fast", "lost"))


def picture(data: bytes | None) -> Image.Image:
    assert data is not None and data.startswith(b"\x89PNG\r\n\x1a\n")
    return Image.open(io.BytesIO(data)).convert("RGB")


def test_the_chart_has_a_row_per_choice_and_nothing_without_choices() -> None:
    daily = picture(charts.distributions("Daily", tally(FORMS["daily"], [
        {"today": ["too fast"], "good": "x"}])))
    final = picture(charts.distributions("Final", tally(FORMS["final"], [
        {"recommend": 9, "attended": "by myself"}])))
    assert daily.width == final.width == charts.WIDTH
    # the title, then a row for each question's title and each of its choices
    assert daily.height == charts.TOP + charts.ROW * (1 + 9) + charts.BOTTOM
    assert final.height == (charts.TOP + charts.ROW * (1 + 11 + 1 + 3) + charts.ROW // 2
                            + charts.BOTTOM)  # two questions: half a row between them
    assert charts.distributions("Texts", tally(FORMS["daily"], [{"good": "x"}])) is None


def bar_length(image: Image.Image, row: int) -> int:
    """How far the bar of the `row`-th choice of the first question reaches, in pixels,
    read on its top line (above its label's letters)."""
    y = charts.TOP + charts.ROW * (1 + row) + charts.INSET
    run = 0
    while image.getpixel((charts.MARGIN + run, y)) == charts.BAR:
        run += 1
    return run


def test_each_bar_is_as_long_as_its_share_of_the_largest_count() -> None:
    t = Tally.of(PACE)
    for choice, times in (("too slow", 3), ("right", 8), ("too fast", 1)):
        t.add(None, choice, times)
    t.answered = 12
    image = picture(charts.distributions("Pace", [t]))
    lengths = [bar_length(image, row) for row in range(4)]
    assert lengths == [round(charts.SPAN * n / 8) for n in (3, 8, 1, 0)]
    assert lengths[1] == charts.SPAN and lengths[3] == 0  # "lost": no bar at all


def test_a_chart_of_zero_counts_draws_no_bar() -> None:
    t = Tally.of(PACE)
    t.answered = 1  # answered, but with none of the choices (a skipped item)
    image = picture(charts.distributions("Pace", [t]))
    assert [bar_length(image, row) for row in range(4)] == [0, 0, 0, 0]


def test_a_long_text_is_cut_to_its_width_and_a_short_one_kept() -> None:
    face = charts.font("label")
    assert charts.fitted("right level", face, 300) == "right level"
    # a phone's text: line breaks and runs of spaces become one space each
    assert charts.fitted("right\n\nlevel  ok", face, 300) == "right level ok"
    for text in ("word " * 60, "x" * 400, "Åsa’s “room” " * 30, "😀" * 100):
        for width in (40.0, 133.5, 500.0):
            cut = charts.fitted(text, face, width)
            assert cut.endswith(charts.ELLIPSIS) and face.getlength(cut) <= width
            assert text.startswith(cut[:-1])
            longer = text[:len(cut)].rstrip() + charts.ELLIPSIS  # one letter more
            assert face.getlength(longer) > width or len(longer) <= len(cut)


def test_the_labels_leave_the_count_its_column() -> None:
    t = Tally.of(Question("q", Kind.CHOICE, "Q", choices=("a long label " * 20, "b")))
    t.add(None, "b", 123456)
    t.answered = 1
    image = picture(charts.distributions("Q", [t]))
    count = charts.font("label").getlength("0")
    middle = charts.TOP + charts.ROW + charts.ROW // 2
    gap = range(int(charts.WIDTH - charts.MARGIN - count - charts.PAD + 1),
                int(charts.WIDTH - charts.MARGIN - count))
    assert all(image.getpixel((x, y)) == (255, 255, 255)
               for x in gap for y in range(middle - 6, middle + 6))


def test_the_font_has_the_letters_users_write() -> None:
    for part in ("title", "question", "label"):
        face = charts.font(part)
        missing = bytes(face.getmask("\ue000"))  # a private-use code point: no glyph
        for letter in "åøæäöüßéłŁşŽЖΩ–“”’…":
            assert bytes(face.getmask(letter)) != missing, (part, letter)
