"""The parts of a summary counted apart: numbers kept as counts, what an answer counts
as (the items written with each response), and the chart drawn without a layout pass."""

from __future__ import annotations

import random
import statistics
import struct

from bot.forms.definitions import Kind, Question, load
from bot.services import answer_items, charts
from bot.services.summary import Tally, tally

FORMS = load()
SCALE = Question("s", Kind.SCALE, "Score", min=0, max=10)


def test_mean_median_and_nps_from_counts_equal_statistics_on_every_number() -> None:
    rng = random.Random(13)
    for size in (1, 2, 3, 10, 11, 250, 1001):
        numbers = [rng.randint(0, 10) for _ in range(size)]
        t = Tally.of(SCALE)
        for n in numbers:
            t.add(n, None)
        assert t.mean == statistics.fmean(numbers)
        assert t.median == statistics.median(numbers)
        promoters, detractors = sum(n >= 9 for n in numbers), sum(n <= 6 for n in numbers)
        assert t.nps == round(100 * (promoters - detractors) / size)
        assert sum(t.counts.values()) == size


def test_what_an_answer_counts_as() -> None:
    found = answer_items.items({
        "many": ["red", "blue"], "one": "x", "n": 7, "skipped": None, "none": [],
        "odd": [True, 1.5, {"a": 1}, ["b"], 2**40], "Bad": "y", "text": "a\x00b\ud800",
    })
    assert found == [
        answer_items.Item("many", 0, None, "red"), answer_items.Item("many", 1, None, "blue"),
        answer_items.Item("one", 0, None, "x"), answer_items.Item("n", 0, 7, None),
        *(answer_items.Item("odd", n, None, None) for n in range(5)),  # answered, nothing more
        answer_items.Item("text", 0, None, "a\ufffdb?"),  # storable on every database
    ]
    assert answer_items.items(["not", "an", "object"]) == [] and answer_items.items(None) == []


def test_the_stored_sort_key_orders_as_case_folded_text_and_is_bounded() -> None:
    texts = ["Zebra", "straße", "STRASSE", "Äpfel", "apple", "x" * 500, "ǅ", "dž"]
    by_key = sorted(texts, key=answer_items.sort_key)
    assert by_key == sorted(texts, key=str.casefold)
    assert len(answer_items.sort_key("ß" * 500).decode()) == answer_items.SORT
    row, = answer_items.rows(1, 2, "daily", 1, None, {"good": "y" * 300})
    assert row["label"] is None and row["text"] == "y" * 300  # too long to be a choice


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_chart_has_a_row_per_choice_and_nothing_without_choices() -> None:
    daily = tally(FORMS["daily"], [{"today": ["too fast"], "good": "x"}])
    final = tally(FORMS["final"], [{"recommend": 9, "attended": "by myself"}])
    one = charts.distributions("Daily", daily)
    two = charts.distributions("Final", final)
    assert one is not None and two is not None
    (w1, h1), (w2, h2) = png_size(one), png_size(two)
    assert w1 == w2 == int(charts.WIDTH * charts.DPI)
    rows = {"daily": 1 + 9, "final": 1 + 11 + 0.5 + 1 + 3}  # titles, choices, a gap
    for height, n in ((h1, rows["daily"]), (h2, rows["final"])):
        assert height == int((charts.TOP + charts.ROW * n + 0.15) * charts.DPI)
    assert charts.distributions("Texts", tally(FORMS["daily"], [{"good": "x"}])) is None
