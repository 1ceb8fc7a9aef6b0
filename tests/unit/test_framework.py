"""The command framework: tokenizing, binding, conversion, usage, lookup."""

from __future__ import annotations

from datetime import date, time
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import pytest

from bot.commands.framework import (
    MAX_ARGUMENT_BYTES,
    Arg,
    CommandSet,
    Option,
    Options,
    Registry,
    Rest,
    UsageError,
    bind,
)
from bot.commands.tokens import tokenize
from bot.db.models import LocalRoom
from bot.services.roles import Role
from bot.transport.matrix_network import NETWORK as MATRIX
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
    with pytest.raises(ValueError, match="quotation mark is not closed"):
        tokenize('name="unfinished')
    with pytest.raises(UsageError, match="quotation mark is not closed"):
        bind(cmd("room add"), 'name="unfinished')


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
        ("name=x extra", 'a value of several words goes in quotes, as in `name="x extra"`'),
        ('name="x" extra', "I did not expect 'extra' here"),
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
    with pytest.raises(UsageError, match="does not name a person"):
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
    assert cmd("room add").usage("!", MATRIX) == (
        "!room add name=name [mode=in-person|online] [capacity=capacity] "
        "[public=yes|no] [for=all|online]"
    )
    assert cmd("room").usage("!", MATRIX) == "!room R7"
    assert cmd("rooms").usage("!", MATRIX) == "!rooms [words…] [lang=lang]"
    assert cmd("announce").usage("!", MATRIX) == "!announce all|leads text…"


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


def test_apostrophes_inside_words_are_letters_and_quotes_still_group() -> None:
    assert tokenize("name=King’s city=St Mary's") == ["name=King's", "city=St", "Mary's"]
    assert tokenize("who='St Mary's staff' R7") == ["who=St Mary's staff", "R7"]
    assert tokenize("'St Mary's' students'") == ["St Mary's", "students'"]
    assert tokenize('name="Ana’s room" x=""') == ["name=Ana's room", "x="]
    with pytest.raises(ValueError, match="not closed"):
        tokenize("who='St Mary")


options_demo = CommandSet()


@options_demo.command("say", help="Say.", example="!say all day=2 Hello")
async def say(
    ctx: object,
    group: Literal["all", "leads"],
    text: Annotated[str, Rest],
    *,
    day: Annotated[int, Arg(min=1, max=9)] | None = None,
) -> str:
    return "ok"


def test_a_rest_of_the_line_may_follow_leading_options() -> None:
    say_cmd = Registry([options_demo]).get("say")
    assert say_cmd is not None
    assert bind(say_cmd, "all day=2  Hello: x=1 'quotes' stay") == (
        ["all", "Hello: x=1 'quotes' stay"],
        {"day": 2},
    )
    assert bind(say_cmd, 'leads Don\'t "forget"') == (["leads", 'Don\'t "forget"'], {"day": None})
    with pytest.raises(UsageError, match="colour= is not an option here; accepted: day="):
        bind(say_cmd, "all colour=red Hello")
    with pytest.raises(UsageError, match="day=: 12 is too large"):
        bind(say_cmd, "all day=12 Hello")
    with pytest.raises(UsageError, match="text is missing"):
        bind(say_cmd, "all day=2")
    with pytest.raises(UsageError, match="day= comes before the text"):
        bind(say_cmd, "all Hello day=2")
    assert bind(say_cmd, "all Hello x=1") == (["all", "Hello x=1"], {"day": None})
    assert say_cmd.usage("!", MATRIX) == "!say all|leads [day=day] text…"


def test_a_rest_of_the_line_may_be_limited_by_its_column() -> None:
    limited = CommandSet()

    @limited.command("note", help="x", example="!note hi")
    async def note(
        ctx: object, text: Annotated[str, Rest, Arg(column=LocalRoom.who_may_join)]
    ) -> str:
        return "ok"

    command = Registry([limited]).get("note")
    assert command is not None
    assert bind(command, "two\nlines") == (["two\nlines"], {})
    with pytest.raises(UsageError, match="is 501 characters long; at most 500 fit"):
        bind(command, "a" * 501)


def test_declarations_that_cannot_be_read_one_way_are_refused_at_import() -> None:
    refused = CommandSet()

    async def rest_and_words(ctx: object, *words: str, text: Annotated[str, Rest]) -> str:
        return "ok"

    async def rest_not_last(ctx: object, text: Annotated[str, Rest], room: RoomCode) -> str:
        return "ok"

    async def two_keys(ctx: object, *, name: str, **more: Annotated[Any, SHARED]) -> str:
        return "ok"

    async def untyped_set(ctx: object, **more: Any) -> str:
        return "ok"

    for handler, problem in (
        (rest_and_words, "Rest parameter must be positional"),
        (rest_not_last, "must be the last positional"),
        (two_keys, "declared twice"),
        (untyped_set, "needs Annotated"),
    ):
        with pytest.raises(TypeError, match=problem):
            refused.command("x", help="x", example="!x")(handler)


def test_text_is_limited_by_its_column_and_kept_on_one_line() -> None:
    limited = CommandSet()

    @limited.command("name", help="x", example="!name x")
    async def name(ctx: object, *, name: Annotated[str, Arg(column=LocalRoom.name)]) -> str:
        return "ok"

    command = Registry([limited]).get("name")
    assert command is not None
    assert bind(command, "name=" + "a" * 200)[1] == {"name": "a" * 200}
    with pytest.raises(UsageError, match="name=: is 201 characters long; at most 200 fit"):
        bind(command, "name=" + "a" * 201)
    with pytest.raises(UsageError, match="name=: must be on one line"):
        bind(command, 'name="two\nlines"')
    assert bind(command, "name=\u202eevil\u200b")[1] == {"name": "evil"}
    with pytest.raises(UsageError, match="must not be empty"):
        bind(command, "name=\u200b")


def test_a_missing_word_is_named_for_what_it_is() -> None:
    with pytest.raises(UsageError, match=r"the room id is missing, e\.g\. R7"):
        bind(cmd("room"), "")


SHARED = Options(
    (
        Option("name", "name", Annotated[str, Arg(help="what learners see")], required=True),
        Option("org", "organization", str),
        Option("size", "capacity", Annotated[int, Arg(min=1)]),
    )
)
shared_demo = CommandSet()


@shared_demo.command("thing add", help="Add.", example="!thing add name=x")
async def thing_add(ctx: object, **fields: Annotated[Any, SHARED]) -> str:
    return "ok"


@shared_demo.command("thing edit", help="Edit.", example="!thing edit 1 org=")
async def thing_edit(
    ctx: object, number: int, **fields: Annotated[Any, SHARED.for_changes()]
) -> str:
    return "ok"


def test_options_declared_once_serve_adding_and_changing() -> None:
    shared = Registry([shared_demo])
    adding, changing = shared.get("thing add"), shared.get("thing edit")
    assert adding is not None and changing is not None
    assert bind(adding, "name=x size=3") == ([], {"name": "x", "capacity": 3})
    with pytest.raises(UsageError, match="name= is missing"):
        bind(adding, "org=y")
    with pytest.raises(UsageError, match="org=: must not be empty"):
        bind(adding, "name=x org=")
    assert bind(changing, '1 org= name="y"') == ([1], {"organization": None, "name": "y"})
    with pytest.raises(UsageError, match="name=: must not be empty"):
        bind(changing, "1 name=")
    with pytest.raises(UsageError, match="size=: 0 is too small"):
        bind(changing, "1 size=0")
    assert adding.usage("!", MATRIX) == "!thing add name=name [org=org] [size=size]"
    described = changing.describe("!", MATRIX)
    assert "- `name=name`: what learners see" in described
    assert "Clear an optional field by leaving it empty" in described
    assert "Clear an optional field" not in adding.describe("!", MATRIX)


def test_every_word_after_a_command_name_is_kept_from_slugs() -> None:
    from bot.commands.registry import build_registry
    from bot.values import COMMAND_WORDS

    words = {w for c in build_registry().commands for w in c.name.split()[1:]}
    assert words and words <= COMMAND_WORDS, words - COMMAND_WORDS


def test_room_add_and_room_edit_take_the_same_declared_options() -> None:
    from bot.commands.registry import build_registry

    built = build_registry()
    adding, changing = built.get("room add"), built.get("room edit")
    assert adding is not None and changing is not None
    add_keys = {p.key: p.help for p in adding.params if p.kind == "option"}
    edit_keys = {p.key: p.help for p in changing.params if p.kind == "option"}
    assert "full" in (edit_keys.pop("status") or "")
    assert add_keys == edit_keys
    assert "signup" in add_keys and "link" not in add_keys
