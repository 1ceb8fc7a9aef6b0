"""What a saved answer counts as, item by item, for feedback summaries.

A response's answers are JSON (the source of truth); when it is saved they are
also written as `feedback_item` rows (bot/db/models/feedback.py), one per answered
item, so a summary is counted by the database (bot/services/tallies.py). The
same `items` feeds the pure `summary.tally`, so both count alike:

- an answer that is missing, null or an empty list is not answered;
- a list is one item per entry (a multiple choice), anything else one item;
- a whole number is a number (it also counts as the point of a scale it names);
- a string is a text: a free-text answer, or the choice it names;
- anything else the bot never writes (true/false, fractions, objects, lists in
  lists, numbers beyond 32 bits, keys that are no question id) counts as answered
  and as nothing more, so a summary never fails on a hand-edited database.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from bot.forms.definitions import NAME

# A text up to this many characters can be a choice (an indexed column).
LABEL = 200
# Case-folded characters of a text kept to order free-text answers by.
SORT = 100
NUMBERS = range(-(2**31), 2**31)


class Item(NamedTuple):
    question: str
    position: int  # 0: the first (or only) item; it marks the question as answered
    number: int | None
    text: str | None


def items(answers: object) -> list[Item]:
    """The answered items of one response's decoded answers."""
    if not isinstance(answers, dict):
        return []
    found = []
    for question, value in answers.items():
        if not (isinstance(question, str) and NAME.fullmatch(question)):
            continue
        if value is None or value == []:
            continue
        for position, item in enumerate(value if isinstance(value, list) else [value]):
            number = item if type(item) is int and item in NUMBERS else None
            text = clean(item) if isinstance(item, str) else None
            found.append(Item(question, position, number, text))
    return found


def clean(text: str) -> str:
    """A text any database stores: NUL and lone surrogates replaced."""
    return text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")


def sort_key(text: str) -> bytes:
    """How free-text answers are ordered (code point order of the case-folded text),
    as bytes that compare alike on SQLite and PostgreSQL; cut to SORT characters."""
    return text.casefold()[:SORT].encode("utf-8")


def rows(
    response_id: int, workshop_id: int, form: str, day: int, room_id: int | None,
    answers: object,
) -> list[dict[str, Any]]:
    """The `feedback_item` rows of one response."""
    return [
        {"response_id": response_id, "workshop_id": workshop_id, "form": form, "day": day,
         "room_id": room_id, "question": item.question, "position": item.position,
         "number": item.number, **text_columns(item.text)}
        for item in items(answers)
    ]


def text_columns(text: str | None) -> dict[str, Any]:
    """An item's text, with its label (when it can be a choice) and sort key."""
    if text is None:
        return {"text": None, "label": None, "sort_key": None}
    return {"text": text, "label": text if len(text) <= LABEL else None,
            "sort_key": sort_key(text)}
