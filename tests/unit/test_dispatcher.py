"""The dispatcher, as a person meets it: transcripts against the whole bot."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.commands.context import Context
from bot.commands.framework import CommandSet, Registry, UsageError
from bot.commands.registry import build_registry
from bot.config import LimitSettings
from bot.db.models import HandledEvent, Person
from bot.messages import Incoming
from bot.services import people
from bot.services.roles import Role
from tests.chat import ORGANIZER, Chat

ANA = "@ana:example.org"
INTERNAL = "went wrong on my side"


async def count(chat: Chat, model: type) -> int:
    async with chat.app.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_help_lists_the_commands_with_usage(chat: Chat) -> None:
    answer = await chat.say(ANA, "!help")
    assert "`!tz [Area/City]`" in answer
    assert "`!help [command…]`" in answer


async def test_help_for_one_command_shows_usage_and_example(chat: Chat) -> None:
    answer = await chat.say(ANA, "!help tz")
    assert "Example: `!tz Europe/Oslo`" in answer
    answer = await chat.say(ANA, "!help tzz")
    assert "There is no command `!tzz`" in answer and "Did you mean `!tz`?" in answer


async def test_unknown_command_gets_did_you_mean(chat: Chat) -> None:
    assert "Did you mean `!help`?" in await chat.say(ANA, "!hlep")
    assert "Did you mean `!tz`?" in await chat.say(ANA, "!tzz Europe/Oslo")
    answer = await chat.say(ANA, "!nope")
    assert "I don't know the command `!nope`" in answer and "Did you mean" in answer


async def test_rooms_need_the_prefix_direct_chats_do_not(chat: Chat) -> None:
    assert (await chat.say(ANA, "help")).messages == []
    assert "`!tz [Area/City]`" in await chat.say(ANA, "help", direct=True)
    for noise in ("!!!", "!!! wow", "   ", "!2"):  # a lone "!" gets the hint (test_recognize)
        assert (await chat.say(ANA, noise)).messages == []


async def test_a_redelivered_event_is_not_handled_twice(chat: Chat) -> None:
    first = await chat.say(ANA, "!tz Europe/Oslo", event_id="$same")
    again = await chat.say(ANA, "!tz Asia/Tokyo", event_id="$same")
    assert "Europe/Oslo" in first and again.messages == []
    refused = await chat.say(ANA, "!tz Mars/Olympus", event_id="$bad")
    assert "not a time zone" in refused
    assert (await chat.say(ANA, "!tz Mars/Olympus", event_id="$bad")).messages == []
    assert await count(chat, HandledEvent) == 2


async def test_usage_errors_say_usage_and_example_and_change_nothing(chat: Chat) -> None:
    answer = await chat.say(ANA, "!tz Mars/Olympus")
    assert "'Mars/Olympus' is not a time zone I know" in answer
    assert "Usage: `!tz [Area/City]`" in answer and "Example: `!tz Europe/Oslo`" in answer
    assert await count(chat, Person) == 0


async def test_a_refused_command_undoes_what_it_wrote(chat: Chat) -> None:
    """Handlers may write before they find a problem; the refusal must undo it."""
    writes_then_refuses = CommandSet()

    @writes_then_refuses.command("oops", help="Writes, then refuses.", example="!oops")
    async def oops(ctx: Context) -> str:
        await people.ensure(ctx.session, ctx.message.network, ctx.sender, ctx.now())
        raise UsageError("changed my mind")

    chat.app.dispatcher.registry = Registry([writes_then_refuses])
    assert "Changed my mind." in await chat.say(ANA, "!oops")
    assert await count(chat, Person) == 0


async def test_an_unexpected_error_is_logged_with_a_reference_the_person_sees(
    chat: Chat, caplog: pytest.LogCaptureFixture
) -> None:
    broken = CommandSet()

    @broken.command("boom", help="Fails.", example="!boom")
    async def boom(ctx: Context) -> str:
        await people.ensure(ctx.session, ctx.message.network, ctx.sender, ctx.now())
        raise RuntimeError("bug")

    chat.app.dispatcher.registry = Registry([broken])
    with caplog.at_level(logging.ERROR):
        answer = await chat.say(ANA, "!boom")
    reference = answer.reply.split("reference `")[1].split("`")[0]
    assert len(reference) == 6
    assert f"[ref {reference}]" in caplog.text and "RuntimeError: bug" in caplog.text
    assert await count(chat, Person) == 0
    chat.app.dispatcher.registry = build_registry()
    assert "Your time zone is now" in await chat.say(ANA, "!tz UTC")


async def test_commands_above_a_persons_role_are_hidden_and_refused(chat: Chat) -> None:
    restricted = CommandSet()

    @restricted.command("secret", help="For organizers.", example="!secret", role=Role.ORGANIZER)
    async def secret(ctx: Context) -> str:
        return "the secret"

    chat.app.dispatcher.registry = build_registry(restricted)
    refused = await chat.say(ANA, "!secret")
    assert "`!secret` is for an organizer" in refused
    listing = await chat.say(ANA, "!help")
    assert "`!tz [Area/City]`" in listing and "!secret" not in listing
    assert "the secret" in await chat.say(ORGANIZER, "!secret")
    assert "`!secret`" in await chat.say(ORGANIZER, "!help")


async def test_organizers_can_come_from_a_power_level(tmp_path: Path) -> None:
    from bot.config import BotSettings, DatabaseSettings, Settings

    room = "!organizers:example.org"
    configured = Settings(
        bot=BotSettings(organizers_room=room, organizers_power_level=50),
        database=DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path / 'p.db'}"),
    )
    chat = await Chat.open(tmp_path, settings=configured)
    try:
        restricted = CommandSet()

        @restricted.command("secret", help="x", example="!secret", role=Role.ORGANIZER)
        async def secret(ctx: Context) -> str:
            return "the secret"

        chat.app.dispatcher.registry = build_registry(restricted)
        chat.transport.joined[room] = {ANA, "@low:example.org"}
        chat.transport.power_levels[(room, ANA)] = 50
        chat.transport.power_levels[(room, "@low:example.org")] = 49
        assert "the secret" in await chat.say(ANA, "!secret")
        assert "is for an organizer" in await chat.say("@low:example.org", "!secret")
    finally:
        await chat.close()


command_like = st.builds(
    lambda name, rest: f"!{name} {rest}",
    st.sampled_from(["help", "tz", "help tz", "tz tz", "Help", "TZ"]),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
)


def test_no_input_raises_or_fails_inside_the_dispatcher(tmp_path: Path) -> None:
    """Whatever is typed, the answer is a reply, never an internal error."""
    loop = asyncio.new_event_loop()
    # Without the per-person limit: 300 messages from one person on a clock that
    # stands still would be dropped unread after the first 30, and check nothing.
    chat = loop.run_until_complete(
        Chat.open(tmp_path, limits=LimitSettings(commands_per_minute=0)))
    try:

        @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(body=st.one_of(st.text(), command_like), direct=st.booleans())
        def check(body: str, direct: bool) -> None:
            message = Incoming("test", ANA, "!r:x", body, is_direct=direct, event_id=None)
            sent = loop.run_until_complete(chat.app.dispatcher.handle(message))
            assert all(INTERNAL not in out.message.text for out in sent), (body, sent)

        check()
    finally:
        loop.run_until_complete(chat.close())
        loop.close()
