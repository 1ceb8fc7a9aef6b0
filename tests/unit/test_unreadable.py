"""A message the bot cannot read (encrypted) is answered through the outbox, once."""

from __future__ import annotations

from sqlalchemy import select

from bot.commands.unreadable import (
    OPENED_DIRECT,
    UNDECRYPTABLE,
    UNREADABLE,
    UNREADABLE_DIRECT,
)
from bot.db.models import OutboxMessage
from tests.chat import Chat

ANA = "@ana:example.org"


async def test_an_unreadable_direct_message_is_answered_there_and_moved(chat: Chat) -> None:
    answer = await chat.say(ANA, "", direct=True, unreadable=True, event_id="$secret")
    assert answer.reply == UNREADABLE_DIRECT
    assert answer.notices == {ANA: [OPENED_DIRECT]}
    async with chat.app.sessions() as session:
        keys = sorted(await session.scalars(select(OutboxMessage.dedupe_key)))
    assert keys == ["reply:test:$secret", "reply:test:$secret:notice:1"]


async def test_an_unreadable_room_message_is_answered_in_the_room_only(chat: Chat) -> None:
    answer = await chat.say(ANA, "", unreadable=True)
    assert answer.reply == UNREADABLE
    assert answer.notices == {}


async def test_an_unreadable_message_redelivered_is_answered_once(chat: Chat) -> None:
    first = await chat.say(ANA, "", direct=True, unreadable=True, event_id="$again")
    again = await chat.say(ANA, "", direct=True, unreadable=True, event_id="$again")
    assert first.reply and again.reply == "" and again.notices == {}


async def test_with_encryption_a_message_whose_key_never_came_says_what_to_do(
    chat: Chat,
) -> None:
    answer = await chat.say(ANA, "", direct=True, key_missing=True, event_id="$nokey")
    assert answer.reply == UNDECRYPTABLE
    assert answer.notices == {}  # the direct chat stays: no unencrypted one is opened
    assert "send it again" in UNDECRYPTABLE
