"""What a summary is counted into: a question's tally, a form's counted responses,
a question's poll votes. Shared by the counting (bot/services/tallies.py, polls.py),
the text (summary.py) and the charts (charts.py), so none of those imports another
for its types.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.forms.definitions import Kind, Question

# Free-text answers shown per question in a chat summary; the export has them all.
TEXTS_SHOWN = 30


@dataclass
class Tally:
    question: Question
    answered: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    numbers: dict[int, int] = field(default_factory=dict)  # each whole number: how often
    texts: list[str] = field(default_factory=list)  # the first TEXTS_SHOWN, sorted
    text_count: int = 0  # all free-text answers

    @classmethod
    def of(cls, question: Question) -> Tally:
        """Nothing counted yet: every choice (every point of a scale) at 0."""
        if question.kind is Kind.SCALE and question.min is not None and question.max is not None:
            return cls(question, counts={str(n): 0 for n in range(question.min, question.max + 1)})
        return cls(question, counts=dict.fromkeys(question.choices, 0))

    def add(self, number: int | None, text: str | None, times: int = 1) -> None:
        """An answered item, `times` times: a number counts as a number (and as the point
        of a scale it names), a text as a free-text answer or as the choice it names."""
        if number is not None:
            self.numbers[number] = self.numbers.get(number, 0) + times
            if str(number) in self.counts:
                self.counts[str(number)] += times
        elif text is not None:
            if self.question.kind is Kind.TEXT:
                self.text_count += times
            elif text in self.counts:
                self.counts[text] += times

    def share(self, choice: str) -> float:
        return self.counts[choice] / self.answered if self.answered else 0.0

    @property
    def mean(self) -> float | None:
        if not self.numbers:
            return None
        return statistics.fmean(list(self.numbers), weights=list(self.numbers.values()))

    @property
    def median(self) -> float | None:
        """As `statistics.median` of every number given, from their counts."""
        total = sum(self.numbers.values())
        if not total:
            return None
        wanted = [(total - 1) // 2, total // 2]  # the middle one, or the middle two
        found: list[int] = []
        seen = 0
        for n in sorted(self.numbers):
            seen += self.numbers[n]
            while wanted and wanted[0] < seen:
                found.append(n)
                wanted.pop(0)
        return found[0] if total % 2 else (found[0] + found[1]) / 2

    @property
    def nps(self) -> int | None:
        """Net promoter score for a 0-10 scale: % of 9-10 minus % of 0-6."""
        q = self.question
        if not (q.kind is Kind.SCALE and q.min == 0 and q.max == 10 and self.numbers):
            return None
        total = sum(self.numbers.values())
        promoters = sum(c for n, c in self.numbers.items() if n >= 9)
        detractors = sum(c for n, c in self.numbers.items() if n <= 6)
        return round(100 * (promoters - detractors) / total)


def first_texts(texts: Iterable[str]) -> list[str]:
    """The first TEXTS_SHOWN in alphabetical order (not the order they came in): by
    their case-folded text, then in the order given."""
    return sorted(texts, key=str.casefold)[:TEXTS_SHOWN]


@dataclass
class Counted:
    """A form's responses (for a day, a room), counted."""

    tallies: list[Tally]
    responses: int = 0
    by_room: dict[int | None, int] = field(default_factory=dict)
    days: set[int] = field(default_factory=set)


@dataclass
class PollCount:
    """The votes on a question's polls: voters, and votes per choice."""

    voters: int = 0
    counts: dict[str, int] = field(default_factory=dict)
