"""Nothing typed to the bot is met with silence; a room's excitement is left alone.

`Dispatcher.recognize` alone (which text a message is taken as), then the same
cases as transcripts, in a room and in a direct chat.
"""

from __future__ import annotations

import copy
import dataclasses

import pytest

from bot.commands.dispatcher import Dispatcher, Request
from bot.messages import Incoming
from tests.chat import Chat

ANA = "@ana:example.org"
HINT = "Commands start with `!`: `!help` lists the commands you can use."
# body -> (taken as in a room, taken as in a direct chat); None: not for the bot.
CASES = {
    "! rooms": ("rooms", "rooms"),
    "!  help tz": ("help tz", "help tz"),
    "!\thelp tz ": ("help tz", "help tz"),
    "!!rooms": ("rooms", "rooms"),
    "!!!help": ("help", "help"),
    "  !rooms": ("rooms", "rooms"),
    "!": ("", ""),
    "! ": ("", ""),
    "!!!": (None, ""),
    "!!": (None, ""),
    "!!! wow": (None, "wow"),
    "!! rooms": (None, "rooms"),
    "! ! rooms": (None, "rooms"),
    "! !": (None, ""),
    "!2": (None, "2"),
    "!?": (None, "?"),
    "!🎉": (None, "🎉"),
    "🎉": (None, "🎉"),
    "rooms": (None, "rooms"),
    "wow, rooms!": (None, "wow, rooms!"),
    "   ": (None, ""),
}


def message(body: str, direct: bool) -> Incoming:
    return Incoming(network="test", sender=ANA, room="!r", body=body, is_direct=direct)


def taken(dispatcher: Dispatcher, body: str, direct: bool) -> str | None:
    request = dispatcher.recognize(message(body, direct))
    return None if request is None else request.text


@pytest.mark.parametrize("body", CASES)
def test_what_a_message_is_taken_as(chat: Chat, body: str) -> None:
    in_room, in_direct = CASES[body]
    assert taken(chat.app.dispatcher, body, direct=False) == in_room
    assert taken(chat.app.dispatcher, body, direct=True) == in_direct


def test_a_prefix_of_two_symbols_repeats_and_spaces_the_same_way(chat: Chat) -> None:
    dispatcher = copy.copy(chat.app.dispatcher)
    bot = dataclasses.replace(dispatcher.settings.bot, prefix="?!")
    dispatcher.settings = dataclasses.replace(dispatcher.settings, bot=bot)
    assert taken(dispatcher, "?! rooms", direct=False) == "rooms"
    assert taken(dispatcher, "?!?!rooms", direct=False) == "rooms"
    assert taken(dispatcher, "?!", direct=False) == ""
    assert taken(dispatcher, "!rooms", direct=False) is None
    assert taken(dispatcher, "?!?!", direct=False) is None
    assert dispatcher.recognize(message("?!!rooms", False)) is None  # "!rooms" is not a word
    assert dispatcher.recognize(message("?! rooms", True)) == Request("rooms")


@pytest.mark.parametrize("direct", [False, True], ids=["room", "direct"])
@pytest.mark.parametrize("body", ["! rooms", "!!rooms"])
async def test_rooms_with_a_space_or_twice_the_prefix(chat: Chat, body: str, direct: bool) -> None:
    answer = (await chat.say(ANA, body, direct=direct)).reply
    assert answer == (await chat.say(ANA, "!rooms", direct=direct)).reply
    assert "No workshop is set up yet" in answer


@pytest.mark.parametrize("direct", [False, True], ids=["room", "direct"])
async def test_help_for_a_command_after_spaces(chat: Chat, direct: bool) -> None:
    answer = await chat.say(ANA, "!  help tz", direct=direct)
    assert "Example: `!tz Europe/Oslo`" in answer and "Did you mean" not in answer


@pytest.mark.parametrize("direct", [False, True], ids=["room", "direct"])
@pytest.mark.parametrize("body", ["!", "! ", " ! "])
async def test_a_lone_prefix_gets_the_help_hint(chat: Chat, body: str, direct: bool) -> None:
    answer = await chat.say(ANA, body, direct=direct)
    assert answer.reply == HINT
    assert len(answer.messages) == 1


@pytest.mark.parametrize("body", ["!!!", "!!! wow", "!! so good", "!2", "!?", "🎉", "wow"])
async def test_excitement_and_chat_in_a_room_stay_unanswered(chat: Chat, body: str) -> None:
    assert (await chat.say(ANA, body)).messages == []


@pytest.mark.parametrize("body", ["!!!", "!!", "   ", "! ! !"])
async def test_in_a_direct_chat_no_command_at_all_gets_the_hint(chat: Chat, body: str) -> None:
    assert (await chat.say(ANA, body, direct=True)).reply == HINT


@pytest.mark.parametrize("body", ["!!! wow", "🎉", "👍🏽", "!2", "“rooms”", "thanks!",
                                  "\u200b"])
async def test_in_a_direct_chat_every_message_is_answered(chat: Chat, body: str) -> None:
    answer = await chat.say(ANA, body, direct=True)
    assert "I don't know the command" in answer and "Did you mean `!" in answer
