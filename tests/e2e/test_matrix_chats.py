"""A chat room per local room on the real Synapse: made inside the workshop's Space,
its people invited at their power levels, a learner who leaves removed; and a bot
killed while it creates one leaves one room, not two."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.error import HTTPError
from urllib.parse import quote

from nio import RoomGetStateEventResponse
from sqlalchemy import select

from bot.config_sections import ChatSettings
from bot.db.engine import writing
from bot.db.models import ChatState, DeliveryStatus, RoomChat
from bot.services import chats
from tests.e2e.conftest import unique
from tests.e2e.homeserver import Homeserver
from tests.e2e.process import BotProcess

if TYPE_CHECKING:
    from tests.e2e.bots import BotRunner
    from tests.e2e.conftest import ChatUser

MakeUser = Callable[..., Awaitable["ChatUser"]]
MakeBot = Callable[..., Awaitable["BotRunner"]]
Http = Callable[..., dict[str, Any]]

ROOM = ('!room add name="Oslo classroom" org="University of Oslo" mode=in-person city=Oslo '
        'country=NO lang=no capacity=1 public=yes who="UiO staff and students"')


def workshop(slug: str) -> str:
    first = (datetime.now(UTC) + timedelta(days=30)).date()
    return (f"!workshop add {slug} title=“Spring tools” tz=Europe/Oslo "
            f"days={first},{first + timedelta(days=1)} time=10:00-15:00")


async def state(user: ChatUser, room: str, kind: str, key: str = "") -> dict[str, Any]:
    response = await user.client.room_get_state_event(room, kind, key)
    assert isinstance(response, RoomGetStateEventResponse), response
    return dict(response.content)


async def ask(user: ChatUser, room: str, bot: str, text: str) -> str:
    event = await user.say(room, text)
    reply = await user.expect_reply(room, event, sender=bot)
    return str(reply["content"]["body"])


def invited_by(user: ChatUser, bot: str, name: str) -> str | None:
    """The room the bot invited `user` to whose name is `name`."""
    for room, events in user.invites.items():
        names = [e["content"].get("name") for e in events if e.get("type") == "m.room.name"]
        if name in names and any(e.get("sender") == bot for e in events):
            return room
    return None


def resolve(server: Homeserver, token: str, alias: str, http: Http) -> str | None:
    try:
        found = http(server, token, "GET", f"/_matrix/client/v3/directory/room/{quote(alias)}")
    except HTTPError as error:
        if error.code == 404:
            return None
        raise
    return str(found["room_id"])


async def test_a_rooms_chat_in_the_space_with_its_people(
    make_user: MakeUser, make_bot: MakeBot, homeserver: Homeserver, http: Http
) -> None:
    organizer, host = await make_user("organizer"), await make_user("host")
    ana, bo = await make_user("ana"), await make_user("bo")
    bot = await make_bot(organizers=(organizer.user_id,))
    slug = unique("w")
    where = await organizer.create_room((bot.user_id,), public=True)
    await organizer.wait_for_membership(where, bot.user_id, "join")
    assert "created" in await ask(organizer, where, bot.user_id, workshop(slug))
    assert "gets a chat room" in await ask(
        organizer, where, bot.user_id, f"!workshop edit {slug} chats=yes")
    for person in (host, ana, bo):
        await person.join(where)
    assert "Registered R1" in await ask(host, where, bot.user_id, ROOM)

    chat = await host.wait_until(
        lambda: invited_by(host, bot.user_id, "R1 Oslo classroom"), "the chat's invite")
    await host.join(chat)
    assert (await state(host, chat, "m.room.topic"))["topic"].startswith("Spring tools")
    assert (await state(host, chat, "m.room.join_rules"))["join_rule"] == "invite"
    levels = await state(host, chat, "m.room.power_levels")
    assert levels["users"].get(host.user_id) == 50
    history = await host.history(chat)
    create = next(e for e in history if e.get("type") == "m.room.create")
    # The bot at 100; from room version 12 on, as the room's creator, above every level.
    assert levels["users"].get(bot.user_id) == 100 or (
        create["content"].get("room_version") == "12" and create["sender"] == bot.user_id)
    space = next(e["state_key"] for e in history if e.get("type") == "m.space.parent")
    token = bot.account.access_token
    space_create = http(homeserver, token, "GET",
                        f"/_matrix/client/v3/rooms/{quote(space)}/state/m.room.create")
    assert space_create["type"] == "m.space"
    child = http(homeserver, token, "GET",
                 f"/_matrix/client/v3/rooms/{quote(space)}/state/m.space.child/{quote(chat)}")
    assert child["via"]

    # A seat brings an invite and a word in the learner's direct chat; the waitlist none.
    assert "seat" in await ask(ana, where, bot.user_id, "!join R1")
    ana_chat = await ana.wait_until(
        lambda: invited_by(ana, bot.user_id, "R1 Oslo classroom"), "the learner's invite")
    assert ana_chat == chat
    await ana.join(chat)
    assert "waitlist" in await ask(bo, where, bot.user_id, "!join R1")
    levels = await state(ana, chat, "m.room.power_levels")
    assert ana.user_id not in levels["users"] and levels["users"][host.user_id] == 50
    await bo.sync(timeout_ms=0)
    assert invited_by(bo, bot.user_id, "R1 Oslo classroom") is None

    # Ana leaves: removed from the chat; Bo moves up and is invited.
    await ask(ana, where, bot.user_id, "!leave")
    await host.wait_for_membership(chat, ana.user_id, "leave")
    assert await bo.wait_until(
        lambda: invited_by(bo, bot.user_id, "R1 Oslo classroom"), "the next learner's invite")

    async with bot.app.sessions() as session:
        recorded = list(await session.scalars(select(RoomChat)))
    assert [(c.network_room, c.state) for c in recorded] == [(chat, ChatState.CREATED)]

    # Archived (as the hourly job does, its day come): read-only for all but the
    # leads, the topic says so, out of the Space's listing.
    async with writing(bot.app.sessions) as session:
        written = await chats.archive_due(session, ChatSettings(),
                                          datetime.now(UTC) + timedelta(days=60))
    # Due now, whatever day the job thought it was.
    await bot.app.worker.hand([replace(d, not_before=datetime.now(UTC)) for d in written]).wait()
    assert (await state(host, chat, "m.room.topic"))["topic"].startswith("Archived: Spring")
    assert (await state(host, chat, "m.room.power_levels"))["events_default"] == 50
    assert http(homeserver, token, "GET", f"/_matrix/client/v3/rooms/{quote(space)}/state/"
                f"m.space.child/{quote(chat)}") == {}


async def test_a_bot_killed_while_creating_a_chat_makes_one_room(
    make_user: MakeUser, homeserver: Homeserver, tmp_path: Path, http: Http
) -> None:
    organizer, host = await make_user("organizer"), await make_user("host")
    name = unique("killbot")
    bot = BotProcess(homeserver, tmp_path, name, organizers=(organizer.user_id,))
    try:
        await bot.start()
        await bot.ready()
        where = await organizer.create_room((bot.user_id,), public=True)
        await organizer.wait_for_membership(where, bot.user_id, "join", within=30)
        await host.join(where)
        slug = unique("k")
        await ask(organizer, where, bot.user_id, workshop(slug))
        await ask(organizer, where, bot.user_id, f"!workshop edit {slug} chats=yes")
        alias = f"#{name}.chat.{slug}-r1:{homeserver.server_name}"
        token = host.account.access_token
        await host.say(where, ROOM)
        # Killed the moment the room exists: before the bot records it.
        deadline = time.monotonic() + 30
        while resolve(homeserver, token, alias, http) is None:
            assert time.monotonic() < deadline, "the chat was never created"
            await asyncio.sleep(0.002)  # the polling interval, not a wait for the result
        await bot.kill()
        rows = [r for r in await bot.rows() if r.action == "chat-create"]
        killed_before_recording = rows[0].status is DeliveryStatus.PENDING

        await bot.start()
        await bot.ready()
        done = await bot.wait_for_rows(
            lambda found: all(r.status is DeliveryStatus.SENT for r in found
                              if r.action and r.action.startswith("chat-")), "the chat's actions")
        created = next(r for r in done if r.action == "chat-create")
        room = resolve(homeserver, token, alias, http)
        assert created.network_message_id is not None
        assert created.network_message_id.split("\n")[0] == room
        admin = homeserver.register(unique("admin"), admin=True)
        found = http(homeserver, admin.access_token, "GET",
                     "/_synapse/admin/v1/rooms?search_term=" + quote("R1 Oslo classroom"))
        ours = [r for r in found["rooms"] if r.get("creator") == bot.user_id]
        assert len(ours) == 1, (killed_before_recording, ours)
        chat = await host.wait_until(
            lambda: invited_by(host, bot.user_id, "R1 Oslo classroom"), "the host's invite")
        assert chat == room
    finally:
        await bot.close()
