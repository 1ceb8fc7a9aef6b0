"""Talking to the bot on a real homeserver: rooms, direct chats, threads, pills, bad input.

Each test is a short transcript: a person types, the bot answers (or rightly
does not), and the answer's Matrix shape is checked.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import pytest
from nio import RoomRedactResponse

from bot.messages import Outgoing, PermanentDeliveryError
from bot.transport.matrix_policy import CREATOR_POWER_LEVEL

if TYPE_CHECKING:
    from tests.e2e.bots import BotRunner
    from tests.e2e.conftest import ChatUser

MakeUser = Callable[..., Awaitable["ChatUser"]]
MakeBot = Callable[..., Awaitable["BotRunner"]]
RoomWith = Callable[..., Awaitable[str]]


async def group_room(make_user: MakeUser, bot: BotRunner) -> tuple[ChatUser, ChatUser, str]:
    """Ana's room with Bob and the bot in it: three members, so not a direct chat."""
    ana, bob = await make_user("ana"), await make_user("bob")
    room = await ana.create_room((bot.user_id, bob.user_id))
    await bob.join(room)
    await ana.wait_for_membership(room, bot.user_id, "join")
    await ana.wait_for_membership(room, bob.user_id, "join")
    return ana, bob, room


async def test_help_in_a_room_is_a_notice_replying_to_the_command(
    make_user: MakeUser, make_bot: MakeBot, timing: Callable[[str, float], None]
) -> None:
    bot = await make_bot()
    ana, _bob, room = await group_room(make_user, bot)

    started = time.monotonic()
    command = await ana.say(room, "!help")
    reply = await ana.expect_reply(room, command, sender=bot.user_id)
    timing("!help answered (s)", time.monotonic() - started)

    content = reply["content"]
    assert content["msgtype"] == "m.notice"
    assert content["m.relates_to"] == {"m.in_reply_to": {"event_id": command}}
    # Nobody is pinged: no name of a member in the text, so no m.mentions is needed
    # (tests/e2e/test_matrix_mentions.py shows the other case).
    assert content.get("m.mentions", {}) == {}
    assert content["format"] == "org.matrix.custom.html"
    assert "!tz" in content["body"]
    assert "<strong>Everyone</strong>" in content["formatted_body"]
    # Three people in the room: not a direct chat, so no "prefix is optional" hint.
    assert "prefix is optional" not in content["body"]


async def test_without_the_prefix_only_a_direct_chat_gets_an_answer(
    make_user: MakeUser, make_bot: MakeBot, room_with: RoomWith
) -> None:
    bot = await make_bot()
    ana, _bob, group = await group_room(make_user, bot)
    ignored = await ana.say(group, "help")
    answered = await ana.say(group, "!tz")
    await ana.expect_reply(group, answered, sender=bot.user_id)
    # Replies in a room keep the order of the commands: an answer to "help" would be here.
    assert await ana.replies_in_history(group, ignored, bot.user_id) == []

    direct = await room_with(ana, bot, direct=True)
    command = await ana.say(direct, "help")
    reply = await ana.expect_reply(direct, command, sender=bot.user_id)
    assert "!tz" in reply["content"]["body"]
    assert "prefix is optional" in reply["content"]["body"]


async def test_a_command_in_a_thread_is_answered_in_that_thread(
    make_user: MakeUser, make_bot: MakeBot
) -> None:
    bot = await make_bot()
    ana, _bob, room = await group_room(make_user, bot)
    root = await ana.say(room, "Questions about time zones go here")
    command = await ana.say(room, "!tz", thread_root=root)
    reply = await ana.expect_reply(room, command, sender=bot.user_id)
    assert reply["content"]["m.relates_to"] == {
        "rel_type": "m.thread",
        "event_id": root,
        "is_falling_back": False,
        "m.in_reply_to": {"event_id": command},
    }


async def test_a_pill_reaches_the_command_as_the_user_id(
    make_user: MakeUser, make_bot: MakeBot
) -> None:
    bot = await make_bot()
    ana, bob, room = await group_room(make_user, bot)
    # What Element sends for "!help <pill of Bob>": the display name in the body,
    # the user id only in the link.
    command = await ana.say(
        room,
        "!help Bob",
        html=f'!help <a href="https://matrix.to/#/{bob.user_id}">Bob</a>',
    )
    reply = await ana.expect_reply(room, command, sender=bot.user_id)
    # `!help @bob…` answers that there is no such command, quoting what it was given.
    assert bob.user_id in reply["content"]["body"]
    assert "Bob`" not in reply["content"]["body"]


async def test_html_typed_by_a_person_comes_back_escaped(
    make_user: MakeUser, make_bot: MakeBot
) -> None:
    bot = await make_bot()
    ana, _bob, room = await group_room(make_user, bot)
    command = await ana.say(room, "!tz <b>x</b>")
    reply = await ana.expect_reply(room, command, sender=bot.user_id)
    content = reply["content"]
    assert "<b>x</b>" in content["body"]  # the Markdown source quotes it as typed
    assert "&lt;b&gt;x&lt;/b&gt;" in content["formatted_body"]
    assert "<b>" not in content["formatted_body"]


async def test_huge_and_malformed_messages_do_not_stop_the_bot(
    make_user: MakeUser, make_bot: MakeBot
) -> None:
    bot = await make_bot()
    ana, _bob, room = await group_room(make_user, bot)

    # Synapse refuses events over 64 KiB as a whole; this body is as large as it takes.
    huge = await ana.say(room, "!tz " + "x" * (63 * 1024))
    reply = await ana.expect_reply(room, huge, sender=bot.user_id)
    assert "4 KB" in reply["content"]["body"]

    # Commands with broken parts Synapse lets through: answered from their plain body.
    odd_commands: list[dict[str, Any]] = [
        {"msgtype": "m.text", "body": "!help", "m.relates_to": "not an object"},
        {"msgtype": "m.text", "body": "!help", "m.relates_to": {"rel_type": 5}},
        {"msgtype": "m.text", "body": "!help", "m.relates_to": {"m.in_reply_to": "x"}},
        {"msgtype": "m.text", "body": "!help",
         "m.relates_to": {"rel_type": "m.thread", "event_id": 5}},
        {"msgtype": "m.text", "body": "!tz", "format": "org.matrix.custom.html",
         "formatted_body": 7},
        {"msgtype": "m.text", "body": "!tz", "format": "org.matrix.custom.html",
         "formatted_body": '<a href="https://matrix.to/#/@">x</a><mx-reply><p>'},
    ]
    for content in odd_commands:
        event_id = await ana.send_raw(room, content)
        answer = await ana.expect_reply(room, event_id, sender=bot.user_id)
        assert answer["content"]["m.relates_to"] == {"m.in_reply_to": {"event_id": event_id}}
    await ana.send_raw(room, {"whatever": True}, event_type="org.example.custom")

    # Synapse refuses to *send* an m.room.message without a string body (400), but a
    # redacted message reaches the bot with empty content: the same thing, for real.
    await bot.stop()
    gone = await ana.say(room, "!help")
    redacted = await ana.client.room_redact(room, gone, reason="test")
    assert isinstance(redacted, RoomRedactResponse), redacted
    await bot.start()

    command = await ana.say(room, "!help")
    await ana.expect_reply(room, command, sender=bot.user_id)
    assert bot.running
    assert await ana.replies_in_history(room, gone, bot.user_id) == []


async def test_a_retried_send_lands_once(
    make_user: MakeUser, make_bot: MakeBot, room_with: RoomWith
) -> None:
    bot = await make_bot()
    dana = await make_user("dana")
    room = await room_with(dana, bot)
    message = Outgoing(text="exactly once, please", room=room, key="reply:matrix:$once")
    await bot.transport.deliver(message)
    await bot.transport.deliver(message)  # as a retry after a lost answer would
    await bot.transport.deliver(Outgoing(text="after", room=room, key="reply:matrix:$after"))
    history = await dana.history(room)
    bodies = [e["content"].get("body") for e in history if e.get("sender") == bot.user_id]
    assert bodies.count("exactly once, please") == 1
    assert bodies.count("after") == 1


async def test_a_message_that_cannot_be_sent_is_a_permanent_failure(
    make_user: MakeUser, make_bot: MakeBot, room_with: RoomWith
) -> None:
    bot = await make_bot()
    ivy = await make_user("ivy")
    room = await room_with(ivy, bot)
    elsewhere = await ivy.create_room()  # the bot is not in this room
    with pytest.raises(PermanentDeliveryError, match="M_FORBIDDEN"):
        await bot.transport.deliver(Outgoing(text="lost", room=elsewhere, key="k-lost"))
    await bot.transport.deliver(Outgoing(text="fine", room=room, key="k-fine"))


async def test_power_levels_come_from_the_room_state(
    make_user: MakeUser, make_bot: MakeBot, room_with: RoomWith
) -> None:
    bot = await make_bot()
    erin = await make_user("erin")
    room = await room_with(erin, bot)
    # Once the bot answered here, it has synced the room's state.
    command = await erin.say(room, "!tz")
    await erin.expect_reply(room, command, sender=bot.user_id)
    # Synapse 1.163 creates version 12 rooms, whose creator outranks every level.
    assert await bot.transport.power_level(room, erin.user_id) == CREATOR_POWER_LEVEL
    assert await bot.transport.power_level(room, bot.user_id) == 0
    assert await bot.transport.power_level("!unknown:test.local", erin.user_id) is None

    moderator = await make_user("mod")
    await erin.client.room_invite(room, moderator.user_id)
    await moderator.join(room)
    levels = await erin.client.room_get_state_event(room, "m.room.power_levels")
    content = dict(levels.content)
    content["users"] = {**content.get("users", {}), moderator.user_id: 50}
    await erin.client.room_put_state(room, "m.room.power_levels", content)
    command = await erin.say(room, "!tz")
    await erin.expect_reply(room, command, sender=bot.user_id)
    assert await bot.transport.power_level(room, moderator.user_id) == 50
