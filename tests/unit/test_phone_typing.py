"""Typing as phones type: guillemets and low-high quotes, stray words after a value
that should have been quoted, and dashes where a hyphen is meant."""

from __future__ import annotations

from datetime import date

import pytest

from bot.commands.framework import Command, UsageError, bind
from bot.commands.params import Param
from bot.commands.registry import build_registry
from bot.commands.tokens import UnclosedQuote, tokenize
from bot.countries import Country
from bot.db.models import RoomMode
from bot.values import DateList, DaySet, Slug, TimeRange, parse_date
from tests.chat import ORGANIZER, Chat
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


TEXT_OPTIONS = [
    (command, param)
    for command in build_registry().commands
    if not any(p.kind == "rest" for p in command.params)
    for param in command.params
    if param.kind == "option" and param.text
]


def test_free_text_options_are_known() -> None:
    assert {(c.name, p.key) for c, p in TEXT_OPTIONS} >= {
        ("rooms", "city"), ("room add", "name"), ("room edit", "who"), ("workshop add", "title"),
    }


@pytest.mark.parametrize(("command", "param"), TEXT_OPTIONS,
                         ids=lambda x: getattr(x, "name", None) or getattr(x, "key", ""))
def test_every_free_text_option_followed_by_stray_words_gets_the_hint(
    command: Command, param: Param
) -> None:
    places = ["x"] * sum(p.kind == "positional" for p in command.params)
    with pytest.raises(UsageError) as caught:
        bind(command, " ".join([*places, f"{param.key}=new", "york", "city"]))
    assert f'as in `{param.key}="new york city"`' in caught.value.message
    # Quoted, the value is whole: the word after it is read as a word (or refused as one).
    refused = ""
    try:
        bind(command, " ".join([*places, f"{param.key}=«new york»", "city"]))
    except UsageError as exc:
        refused = exc.message
    assert "a value of several words" not in refused


async def test_an_unquoted_city_of_two_words_is_answered_with_the_quotes_it_needs(
    room: Chat,
) -> None:
    hint = await room.say(ANA, "!rooms city=new york")
    assert 'a value of several words goes in quotes, as in `city="new york"`' in hint
    assert "Words to search for go before the options." in hint
    assert "No local rooms match" not in hint
    assert "No local rooms match." in await room.say(ANA, "!rooms city=„new york“")
    # Words before the options, and options whose value is no free text, stay searches.
    for search in ("!rooms oslo lang=no", "!rooms lang=no oslo", "!rooms classroom city=oslo",
                   "!rooms mode=in-person classroom", '!rooms city="oslo" classroom'):
        assert "**R1**" in await room.say(ANA, search), search
    assert "as in `city=\"oslo classroom\"`" in await room.say(ANA, "!rooms city=oslo classroom")


async def test_a_value_that_reads_only_with_the_next_words_gets_the_quotes(room: Chat) -> None:
    edit = await room.say(HOST, "!room edit R1 country=new zealand")
    assert 'as in `country="new zealand"`' in edit and "R1 changed" not in edit
    assert "R1 changed: country" in await room.say(HOST, '!room edit R1 country="new zealand"')
    assert "Oslo, New Zealand (NZ)" in await room.say(ANA, "!room R1")
    named = await room.say(HOST, "!room edit R1 name=Blue room capacity=3")
    assert 'as in `name="Blue room"`' in named and "R1 changed" not in named
    empty = await room.say(HOST, "!room edit R1 venue= Blindern")
    assert 'is empty and \'Blindern\' follows: the value goes right after the =, as in ' \
        '`venue="Blindern"`' in empty
    spaced = await room.say(ORGANIZER, "!workshop add 2027-x title=Next tz=UTC "
                            "days=2027-03-16 time=10:00 - 15:00")
    assert 'as in `time="10:00 - 15:00"`' in spaced and "created" not in spaced
    # A value that reads alone leaves the next word to be what it is.
    assert "I did not expect 'sweden' here" in await room.say(
        HOST, "!room edit R1 country=norway sweden")


PHONE_DASHES = "—–‐‑−"


@pytest.mark.parametrize("dash", PHONE_DASHES)
def test_a_phones_dash_is_a_hyphen_where_a_hyphen_is_meant(dash: str) -> None:
    assert parse_date(f"2026{dash}03{dash}17") == date(2026, 3, 17)
    assert DateList.parse(f"2026{dash}03{dash}17,2026{dash}03{dash}18").dates[1] == date(
        2026, 3, 18)
    assert Slug.parse(f"2026{dash}spring") == "2026-spring"
    assert DaySet.parse(f"1{dash}3").numbers == frozenset({1, 2, 3})
    assert TimeRange.parse(f"10:00{dash}15:00") == TimeRange.parse("10:00-15:00")
    assert Country.parse(f"Timor{dash}Leste") == "TL"
    room_add = build_registry().get("room add")
    assert room_add is not None
    _, fields = bind(room_add, f"name=x org=y mode=in{dash}person capacity=1 public=no")
    assert fields["mode"] is RoomMode.IN_PERSON
    matched = build_registry().match(f"room step{dash}down R7")
    assert matched is not None and matched[0].name == "room step-down" and matched[1] == "R7"


async def test_dashes_typed_by_a_phone_work_and_free_text_keeps_its_own(room: Chat) -> None:
    created = await room.say(ORGANIZER, "!workshop add 2027—autumn title=Next tz=UTC "
                             "days=2027–03–16,2027–03–17 time=10:00–15:00")
    assert "Workshop `2027-autumn` created" in created
    assert "Next" in await room.say(ANA, "!workshop 2027‑autumn")
    added = await room.say(HOST, "!room add name=Oslo—Nord org=UiO mode=in—person city=Oslo "
                           "capacity=5 days=1–2 public=no")
    assert "Registered R2 Oslo—Nord" in added
    assert "Where: in person, Oslo" in await room.say(ANA, "!room R2")
    assert "forget-me" in await room.say(ANA, "!help forget—me")
    assert "step-down R7" in await room.say(HOST, "!help room step‑down")


async def test_the_next_page_hint_quotes_a_city_of_two_words(room: Chat) -> None:
    for n in range(21):
        added = await room.say(ORGANIZER, f'!room add name="NY {n}" org=NYU mode=in-person '
                               'city="New York" capacity=5 public=no')
        assert "Registered" in added, added
    first = await room.say(ANA, "!rooms city=«new york»")
    assert 'Next: `!rooms city="new york" page=2`' in first
    assert "**R22**" in await room.say(ANA, '!rooms city="new york" page=2')
