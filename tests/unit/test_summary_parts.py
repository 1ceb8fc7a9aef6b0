"""The parts of a summary counted apart: numbers kept as counts, what an answer counts
as (the items written with each response)."""

from __future__ import annotations

import random
import statistics

from bot.forms.definitions import Kind, Question
from bot.services import answer_items
from bot.services.summary import Tally

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
