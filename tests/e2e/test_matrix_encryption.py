"""Encrypted rooms and direct chats: the bot reads and answers them, as people's
encrypting clients (real nio clients with the e2e extra) see it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from tests.e2e.encrypted import EncryptedUser, MakeEncryptedUser, make_encrypted_user

if TYPE_CHECKING:
    from tests.e2e.bots import BotRunner

__all__ = ["make_encrypted_user"]  # the fixture

MakeBot = Callable[..., Awaitable["BotRunner"]]
Http = Callable[..., dict[str, Any]]


def on_the_wire(http: Http, user: EncryptedUser, room: str, sender: str) -> list[str]:
    """The types of `sender`'s timeline events as the homeserver holds them."""
    path = f"/_matrix/client/v3/rooms/{quote(room)}/messages?dir=b&limit=100"
    chunk = http(user.server, user.account.access_token, "GET", path)["chunk"]
    return [e["type"] for e in chunk if e["sender"] == sender and "state_key" not in e]


async def answered(user: EncryptedUser, room: str, bot: BotRunner, text: str) -> str:
    """Say something encrypted; the bot's answer, as the person's client decrypted it."""
    command = await user.say(room, text)
    reply = await user.expect_reply(room, command, sender=bot.user_id)
    assert reply["type"] == "m.room.message", reply
    return str(reply["content"]["body"])


async def test_an_encrypted_direct_chat_opened_by_the_learner_is_answered_encrypted(
    make_encrypted_user: MakeEncryptedUser, make_bot: MakeBot, http: Http
) -> None:
    bot = await make_bot(encryption=True)
    ana = await make_encrypted_user("ana")
    direct = await ana.create_room((bot.user_id,), direct=True)
    await ana.wait_for_membership(direct, bot.user_id, "join")

    body = await answered(ana, direct, bot, "help")  # a direct chat: no prefix needed
    assert "!tz" in body
    assert on_the_wire(http, ana, direct, bot.user_id) == ["m.room.encrypted"]
    assert bot.transport.rooms.is_direct(direct, ana.user_id)  # encrypted, still direct
