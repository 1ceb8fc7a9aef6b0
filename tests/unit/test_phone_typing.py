"""Typing as phones type: guillemets and low-high quotes, stray words after a value
that should have been quoted, and dashes where a hyphen is meant."""

from __future__ import annotations

import pytest

from bot.commands.tokens import UnclosedQuote, tokenize
from tests.chat import Chat
from tests.unit.test_rooms import ANA, HOST

PAIRS = [
    ('"', '"'), ("“", "”"), ("„", "“"), ("„", "”"), ("”", "”"), ("«", "»"), ("»", "«"),
    ("»", "»"), ("‹", "›"), ("›", "‹"), ("'", "'"), ("‘", "’"), ("‚", "‘"), ("‚", "’"),
    ("’", "’"),
]


@pytest.mark.parametrize(("opens", "closes"), PAIRS)
def test_each_pair_of_quotes_groups_words(opens: str, closes: str) -> None:
    assert tokenize(f"name={opens}TU Delft room{closes} city=Delft") == [
        "name=TU Delft room", "city=Delft",
    ]
    assert tokenize(f"{opens}two words{closes} R7") == ["two words", "R7"]


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ('name=«the "Blue" room»', 'name=the "Blue" room'),
        ("name=„Anna’s «Blue» room“", "name=Anna's «Blue» room"),
        ("who=‚St Mary’s staff‘", "who=St Mary's staff"),
        ("name=‹a » b›", "name=a » b"),
    ],
)
def test_other_marks_inside_a_quoted_value_are_letters(typed: str, meant: str) -> None:
    assert tokenize(typed) == [meant]


@pytest.mark.parametrize(
    ("typed", "opened"),
    [('name=«Oslo"', "«"), ("name=„Oslo»", "„"), ("name=‹Oslo»", "‹"), ("name=“Oslo„", "“"),
     ('name="Oslo”', '"'), ("name=‚St Mary's", "‚")],
)
def test_a_value_opened_by_one_mark_is_not_closed_by_another(typed: str, opened: str) -> None:
    with pytest.raises(UnclosedQuote, match=f"not closed: {opened} opened a value"):
        tokenize(typed)


def test_french_spaces_inside_guillemets_are_not_part_of_the_value() -> None:
    assert tokenize("name=« Oslo room » city=‹\u202fOslo\u00a0›") == [
        "name=Oslo room", "city=Oslo",
    ]
    assert tokenize('name=" Oslo "') == ["name= Oslo "]  # straight quotes keep what is inside


def test_apostrophes_inside_words_stay_letters() -> None:
    assert tokenize("name=King’s who=Mary‘s R7") == ["name=King's", "who=Mary's", "R7"]


async def test_rooms_are_registered_with_names_in_any_quotes(room: Chat) -> None:
    answer = await room.say(
        HOST, "!room add name=«Salle „Curie“» org=„TU München“ mode=online capacity=5 "
        "public=no who=‹ tout le monde ›",
    )
    assert "Registered R2 Salle „Curie“" in answer
    shown = await room.say(ANA, "!room R2")
    assert "Organization: TU München" in shown and "Who may join: tout le monde" in shown
    unclosed = await room.say(HOST, "!room edit R2 name=«Salle Curie")
    assert "A quotation mark is not closed: « opened a value, » closes it." in unclosed
    assert "R2 changed" not in unclosed
