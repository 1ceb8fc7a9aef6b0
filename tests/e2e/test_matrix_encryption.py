"""Encrypted rooms and direct chats: the bot reads and answers them, as people's
encrypting clients (real nio clients with the e2e extra) see it."""

from __future__ import annotations

import shutil
import stat
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from bot.commands.unreadable import UNDECRYPTABLE
from bot.messages import BOARD_ROOM, POLL_ROOM, Outgoing, Poll, Vote
from bot.transport.matrix import STATE_ACCESS_TOKEN, STATE_DEVICE_ID
from bot.transport.matrix_keys import STATE_WAITING
from tests.e2e.conftest import poll_until
from tests.e2e.encrypted import EncryptedUser, MakeEncryptedUser, make_encrypted_user
from tests.e2e.test_matrix_direct import from_bot

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


async def direct_chat(person: EncryptedUser, bot: BotRunner) -> str:
    """An encrypted direct chat the person opens with the bot (as Element does), joined."""
    direct = await person.create_room((bot.user_id,), direct=True)
    await person.wait_for_membership(direct, bot.user_id, "join")
    return direct


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
    direct = await direct_chat(ana, bot)

    body = await answered(ana, direct, bot, "help")  # a direct chat: no prefix needed
    assert "!tz" in body
    assert on_the_wire(http, ana, direct, bot.user_id) == ["m.room.encrypted"]
    assert bot.transport.rooms.is_direct(direct, ana.user_id)  # encrypted, still direct


async def test_an_encrypted_room_of_three_people_is_answered_for_everyone_in_it(
    make_encrypted_user: MakeEncryptedUser, make_bot: MakeBot, http: Http
) -> None:
    olga = await make_encrypted_user("olga")
    bot = await make_bot(encryption=True, organizers=(olga.user_id,))
    ana = await make_encrypted_user("ana")
    room = await olga.create_room((bot.user_id, ana.user_id))
    await ana.join(room)
    await olga.wait_for_membership(room, bot.user_id, "join")
    await olga.wait_for_membership(room, ana.user_id, "join")

    command = await ana.say(room, "!tz")
    for person in (ana, olga):  # both decrypt the answer to Ana
        reply = await person.expect_reply(room, command, sender=bot.user_id)
        assert reply["type"] == "m.room.message", reply
    assert "Europe" in await answered(olga, room, bot, "!help tz")
    assert set(on_the_wire(http, olga, room, bot.user_id)) == {"m.room.encrypted"}


async def test_the_bot_opens_its_direct_chats_encrypted(
    make_encrypted_user: MakeEncryptedUser, make_bot: MakeBot, http: Http
) -> None:
    bot = await make_bot(encryption=True)
    ana = await make_encrypted_user("ana")
    await bot.transport.deliver(Outgoing(text="only for you", user=ana.user_id, key="k-1"))
    direct = await ana.wait_until(lambda: next(iter(ana.invites), None), "an invitation")
    await ana.join(direct)
    told = await ana.wait_until(lambda: from_bot(ana, direct, bot), "the private message")
    assert told[0]["content"]["body"] == "only for you"
    assert ana.client.rooms[direct].encrypted
    assert on_the_wire(http, ana, direct, bot.user_id) == ["m.room.encrypted"]
    assert bot.transport.rooms.is_direct(direct, ana.user_id)
    assert await answered(ana, direct, bot, "tz")  # and it reads her answers there


async def test_a_restart_is_the_same_device_and_reads_what_came_meanwhile(
    make_encrypted_user: MakeEncryptedUser, make_bot: MakeBot, http: Http
) -> None:
    bot = await make_bot(encryption=True)
    ana = await make_encrypted_user("ana")
    direct = await direct_chat(ana, bot)
    await answered(ana, direct, bot, "tz")
    device = await bot.state(STATE_DEVICE_ID)
    token = await bot.state(STATE_ACCESS_TOKEN)
    path = "/_matrix/client/v3/devices"
    before = {d["device_id"] for d in http(bot.server, token, "GET", path)["devices"]}

    await bot.stop()
    missed = await ana.say(direct, "help")  # encrypted with the session the bot holds
    await bot.start()
    reply = await ana.expect_reply(direct, missed, sender=bot.user_id)
    assert reply["type"] == "m.room.message" and "!tz" in reply["content"]["body"]
    await answered(ana, direct, bot, "tz")
    assert await bot.state(STATE_DEVICE_ID) == device
    after = {d["device_id"] for d in http(bot.server, token, "GET", path)["devices"]}
    assert device in after and after == before  # no trail of new devices
    assert stat.S_IMODE(bot.transport.session.crypto.store.stat().st_mode) == 0o700


async def test_a_second_device_of_the_learner_reads_the_answers_to_it(
    make_encrypted_user: MakeEncryptedUser, make_bot: MakeBot, tmp_path: Path
) -> None:
    bot = await make_bot(encryption=True)
    ana = await make_encrypted_user("ana")
    direct = await direct_chat(ana, bot)
    await answered(ana, direct, bot, "tz")

    phone = await ana.second_device(tmp_path / "ana-phone")
    await phone.wait_until(lambda: direct in phone.client.rooms, "the direct chat")
    assert "!tz" in await answered(phone, direct, bot, "help")
    assert await answered(ana, direct, bot, "tz")  # and the first device still reads


async def test_a_message_the_bot_cannot_decrypt_is_answered_once_with_what_to_do(
    make_encrypted_user: MakeEncryptedUser, make_bot: MakeBot
) -> None:
    bot = await make_bot(encryption=True)
    bot.transport.sync.keys.key_wait_s = 1.0  # a key that has not come in a second won't
    ana = await make_encrypted_user("ana")
    direct = await direct_chat(ana, bot)
    # Ana's app keeps the room key from the bot's device (as an app that sends only to
    # devices it trusts would).
    await ana.wait_until(lambda: ana.client.device_store.active_user_devices(bot.user_id),
                         "the bot's device")
    for device in ana.client.device_store.active_user_devices(bot.user_id):
        ana.client.blacklist_device(device)
    await ana.say(direct, "help")
    await ana.say(direct, "tz")

    told = await ana.wait_until(lambda: from_bot(ana, direct, bot), "the bot's answer")
    assert told[0]["content"]["body"] == UNDECRYPTABLE
    assert ana.undecrypted(direct, bot.user_id) == []  # its answer she can read
    for device in ana.client.device_store.active_user_devices(bot.user_id):
        ana.client.unblacklist_device(device)
    await answered(ana, direct, bot, "tz")  # with the key, the next one is read
    assert [e["content"]["body"] for e in from_bot(ana, direct, bot)].count(UNDECRYPTABLE) == 1


async def waiting_for_its_key(
    ana: EncryptedUser, bot: BotRunner
) -> tuple[str, str, dict[str, str]]:
    """A direct chat where Ana said `help` and held its key back, once the bot waits for
    the key: the room, the message and the key."""
    direct = await direct_chat(ana, bot)
    await answered(ana, direct, bot, "tz")
    late, key = await ana.say_with_key_held_back(direct, "help", bot.user_id)

    async def waiting() -> bool:
        return late in (await bot.state(STATE_WAITING) or "")

    await poll_until(waiting, "the message waiting for its key")
    return direct, late, key


async def test_a_message_waiting_for_its_key_is_answered_when_it_comes_after_a_restart(
    make_encrypted_user: MakeEncryptedUser, make_bot: MakeBot
) -> None:
    bot = await make_bot(encryption=True)
    ana = await make_encrypted_user("ana")
    direct, late, key = await waiting_for_its_key(ana, bot)
    await bot.stop()
    await ana.give_key(bot.user_id, key)  # comes while the bot is down
    await bot.start()
    reply = await ana.expect_reply(direct, late, sender=bot.user_id)
    assert "!tz" in reply["content"]["body"]
    assert all(e["content"]["body"] != UNDECRYPTABLE for e in from_bot(ana, direct, bot))
    assert await bot.state(STATE_WAITING) is None


async def test_a_message_whose_key_comes_late_is_answered_when_it_comes(
    make_encrypted_user: MakeEncryptedUser, make_bot: MakeBot
) -> None:
    bot = await make_bot(encryption=True)
    ana = await make_encrypted_user("ana")
    direct, late, key = await waiting_for_its_key(ana, bot)
    await ana.give_key(bot.user_id, key)
    reply = await ana.expect_reply(direct, late, sender=bot.user_id)
    assert "!tz" in reply["content"]["body"]


async def test_a_device_logged_out_logs_in_again_with_its_keys_uploaded_anew(
    make_encrypted_user: MakeEncryptedUser, make_bot: MakeBot, http: Http
) -> None:
    bot = await make_bot(encryption=True)
    ana = await make_encrypted_user("ana")
    direct = await direct_chat(ana, bot)
    await answered(ana, direct, bot, "tz")
    token, device = await bot.state(STATE_ACCESS_TOKEN), await bot.state(STATE_DEVICE_ID)
    # A logout deletes the device and its keys; the password login makes it again.
    http(bot.server, token, "POST", "/_matrix/client/v3/logout", {})

    async def keys_back() -> bool:
        query = {"device_keys": {bot.user_id: []}}
        found = http(ana.server, ana.account.access_token, "POST",
                     "/_matrix/client/v3/keys/query", query)["device_keys"]
        return device in found.get(bot.user_id, {})

    await poll_until(keys_back, "the bot's device keys on the homeserver again")
    assert await bot.state(STATE_DEVICE_ID) == device
    assert "!tz" in await answered(ana, direct, bot, "help")


async def test_polls_their_votes_and_board_edits_in_an_encrypted_room(
    make_encrypted_user: MakeEncryptedUser, make_bot: MakeBot, http: Http
) -> None:
    olga = await make_encrypted_user("olga")
    bot = await make_bot(encryption=True, organizers=(olga.user_id,))
    room = await olga.create_room((bot.user_id,))
    await olga.wait_for_membership(room, bot.user_id, "join")
    await bot.stop()
    bot.configure(poll_room=room, status_room=room)
    await bot.start()
    votes: list[Vote] = []

    async def record(vote: Vote) -> None:
        votes.append(vote)

    bot.transport.sync.on_vote = record
    poll = await bot.transport.deliver(Outgoing(
        text="Today was: 1. good 2. bad", poll=Poll("Today was", ("good", "bad")),
        room=POLL_ROOM, key="poll-1"))
    board = await bot.transport.deliver(Outgoing(text="Board: 0 seats", room=BOARD_ROOM,
                                                 key="board-1"))
    assert poll is not None and board is not None
    await bot.transport.edit(Outgoing(text="Board: 1 seat", room=BOARD_ROOM, key="board-2",
                                      replaces=board))

    def seen(kind: str) -> list[dict[str, Any]]:
        return [e for e in olga.events[room] if e.get("type") == kind
                and e.get("sender") == bot.user_id]

    [start] = await olga.wait_until(lambda: seen("m.poll.start"), "the poll, decrypted")
    assert start["content"]["m.poll"]["question"]["m.text"][0]["body"] == "Today was"
    edits = await olga.wait_until(
        lambda: [e for e in seen("m.room.message") if "m.new_content" in e["content"]],
        "the board's edit, decrypted")
    assert edits[0]["content"]["m.new_content"]["body"] == "Board: 1 seat"
    assert edits[0]["content"]["m.relates_to"] == {"rel_type": "m.replace", "event_id": board}
    assert set(on_the_wire(http, olga, room, bot.user_id)) == {"m.room.encrypted"}

    await olga.send_raw(room, {"m.relates_to": {"rel_type": "m.reference", "event_id": poll},
                               "m.selections": ["c1"]}, event_type="m.poll.response")
    await answered(olga, room, bot, "!tz")  # the vote came in the batch before
    assert [(v.voter, v.poll, v.choices) for v in votes] == [(olga.user_id, poll, (1,))]


async def test_a_lost_key_folder_moves_the_bot_to_a_new_device(
    make_encrypted_user: MakeEncryptedUser, make_bot: MakeBot, http: Http
) -> None:
    bot = await make_bot(encryption=True)
    ana = await make_encrypted_user("ana")
    direct = await direct_chat(ana, bot)
    await answered(ana, direct, bot, "tz")
    lost = await bot.state(STATE_DEVICE_ID)
    await bot.stop()
    shutil.rmtree(bot.transport.session.crypto.store)  # the database kept, the keys not

    await bot.start()
    device = await bot.state(STATE_DEVICE_ID)
    assert device and device != lost
    # Her app learns of the new device (what it sent before could not be read by it).
    await ana.wait_until(lambda: device in {
        d.id for d in ana.client.device_store.active_user_devices(bot.user_id)},
        "the bot's new device")
    assert "!tz" in await answered(ana, direct, bot, "help")
    token = await bot.state(STATE_ACCESS_TOKEN)
    devices = {d["device_id"] for d in http(bot.server, token, "GET",
                                             "/_matrix/client/v3/devices")["devices"]}
    assert device in devices and lost not in devices  # the lost one logged out
