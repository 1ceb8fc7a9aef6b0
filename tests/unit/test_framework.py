"""The command framework: tokenizing, binding, conversion, usage, lookup."""

from __future__ import annotations

from datetime import date, time
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

import pytest

from bot.commands.framework import (
    MAX_ARGUMENT_BYTES,
    Arg,
    CommandSet,
    Registry,
    Rest,
    UsageError,
    bind,
    tokenize,
)
from bot.services.roles import Role
from bot.values import RoomCode, UserId

demo = CommandSet()


@demo.command("room add", help="Register a room.", example='!room add name="A B" capacity=5')
async def room_add(
    ctx: object,
    *,
    name: str,
    mode: Literal["in-person", "online"] = "online",
    capacity: Annotated[int, Arg(min=1, max=500)] = 20,
    public: bool = False,
    for_: Literal["all", "online"] = "all",
) -> str:
    return "ok"


@demo.command("room", help="Show a room.", example="!room R7")
async def room_show(ctx: object, room: RoomCode) -> str:
    return "ok"


@demo.command("rooms", help="Find rooms.", example="!rooms oslo")
async def rooms(ctx: object, *words: str, lang: str | None = None) -> str:
    return "ok"


@demo.command("announce", help="Tell a group.", example="!announce all Hello", role=Role.ORGANIZER)
async def announce(ctx: object, group: Literal["all", "leads"], text: Annotated[str, Rest]) -> str:
    return "ok"


@demo.command("when", help="Dates.", example="!when 2026-03-17 10:00 Europe/Oslo @a:b.c")
async def when(ctx: object, day: date, at: time, zone: ZoneInfo, who: UserId) -> str:
    return "ok"


registry = Registry([demo])


def cmd(name: str):  # type: ignore[no-untyped-def]
    found = registry.get(name)
    assert found is not None
    return found


def test_tokenize_groups_quoted_words_and_keeps_key_value_pairs() -> None:
    assert tokenize('name="TU Delft classroom" city=Delft R7') == [
        "name=TU Delft classroom",
        "city=Delft",
        "R7",
    ]


def test_tokenize_accepts_typographic_quotes_from_phones() -> None:
    assert tokenize("name=“Ana’s room”") == ["name=Ana's room"]


def test_tokenize_reports_an_unclosed_quote() -> None:
    with pytest.raises(UsageError, match="quotation mark is not closed"):
        tokenize('name="unfinished')


def test_bind_options_with_defaults_and_conversion() -> None:
    args, kwargs = bind(cmd("room add"), 'name="A B" capacity=12 public=yes for=online')
    assert args == []
    assert kwargs == {
        "name": "A B",
        "mode": "online",
        "capacity": 12,
        "public": True,
        "for_": "online",
    }


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("capacity=5", "name= is missing"),
        ("name=x capacity=-3", "-3 is too small; the least accepted is 1"),
        ("name=x capacity=lots", "'lots' is not a whole number"),
        ("name=x mode=hybrid", "'hybrid' is not one of: in-person, online"),
        ("name=x colour=red", "colour= is not an option here"),
        ("name=x name=y", "name= is given twice"),
        ("name=x public=maybe", "'maybe' is not yes or no"),
        ("name=x extra", "I did not expect 'extra' here"),
        ('name=""', "name=: must not be empty"),
    ],
)
def test_bind_refuses_wrong_arguments_with_a_reason(text: str, problem: str) -> None:
    with pytest.raises(UsageError) as caught:
        bind(cmd("room add"), text)
    assert problem in caught.value.message


def test_bind_positional_converters() -> None:
    args, _ = bind(cmd("when"), "2026-03-17 10:00 europe/oslo @ana:uni.no")
    assert args == [date(2026, 3, 17), time(10, 0), ZoneInfo("Europe/Oslo"), "@ana:uni.no"]
    with pytest.raises(UsageError, match="YYYY-MM-DD"):
        bind(cmd("when"), "17.03.2026 10:00 UTC @a:b.c")
    with pytest.raises(UsageError, match="HH:MM"):
        bind(cmd("when"), "2026-03-17 25:00 UTC @a:b.c")
    with pytest.raises(UsageError, match="user ids look like"):
        bind(cmd("when"), "2026-03-17 10:00 UTC ana")
    with pytest.raises(UsageError, match="HH:MM is missing"):
        bind(cmd("when"), "2026-03-17")


def test_bind_words_and_rest_of_line() -> None:
    args, kwargs = bind(cmd("rooms"), "oslo python lang=de")
    assert (args, kwargs) == (["oslo", "python"], {"lang": "de"})
    args, _ = bind(cmd("announce"), "all  Don't forget: \"quotes\" stay as typed")
    assert args == ["all", "Don't forget: \"quotes\" stay as typed"]
    with pytest.raises(UsageError, match="text is missing"):
        bind(cmd("announce"), "all")


def test_bind_refuses_more_than_4_kb_of_arguments() -> None:
    bind(cmd("rooms"), "a" * MAX_ARGUMENT_BYTES)
    with pytest.raises(UsageError, match="at most 4 KB"):
        bind(cmd("rooms"), "a" * (MAX_ARGUMENT_BYTES + 1))


def test_usage_lines_are_generated_from_the_signature() -> None:
    assert cmd("room add").usage("!") == (
        "!room add name=name [mode=in-person|online] [capacity=capacity] "
        "[public=yes|no] [for=all|online]"
    )
    assert cmd("room").usage("!") == "!room R7"
    assert cmd("rooms").usage("!") == "!rooms [words…] [lang=lang]"
    assert cmd("announce").usage("!") == "!announce all|leads text…"


def test_registry_matches_the_longest_name_case_insensitively() -> None:
    matched = registry.match("Room ADD name=x")
    assert matched is not None and matched[0].name == "room add" and matched[1] == "name=x"
    matched = registry.match("room R7")
    assert matched is not None and matched[0].name == "room" and matched[1] == "R7"
    assert registry.match("nothing here") is None


def test_registry_lists_and_suggests_only_what_a_role_may_use() -> None:
    assert "announce" not in [c.name for c in registry.visible_to(Role.EVERYONE)]
    assert "announce" in [c.name for c in registry.visible_to(Role.ORGANIZER)]
    assert registry.suggest("anounce all hi", Role.ORGANIZER) == ["announce"]
    assert registry.suggest("anounce all hi", Role.EVERYONE) == []
    assert registry.suggest("romm add", Role.EVERYONE) == ["room add"]


def test_a_name_declared_twice_is_refused() -> None:
    twice = CommandSet()
    for _ in range(2):
        twice.command("x", help="x", example="!x")(room_show)
    with pytest.raises(ValueError, match="declared twice"):
        Registry([twice])
