"""A chat room per local room: the outbox actions written as people come and go."""

from __future__ import annotations

import dataclasses
import secrets
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.config_sections import ChatSettings
from bot.db.models import (
    ChatMember,
    ChatState,
    DeliveryStatus,
    OutboxMessage,
    RoomChat,
    WorkshopChats,
)
from bot.messages import CHAT_ACTIONS, CHAT_CREATE, ChatOrder, Incoming, Outgoing
from bot.outbox.worker import OutboxWorker
from tests.chat import ORGANIZER, START, Chat
from tests.chat import ROOM as CHAT_ROOM

HOST = "@host:uni.no"
LEAD = "@lead:uni.no"
ANA, BO = "@ana:uni.no", "@bo:uni.no"
WORKSHOP = ("!workshop add 2026-spring title=“Spring tools” tz=Asia/Kolkata "
            "days=2026-03-17,2026-03-18 time=10:00-15:00")
ROOM = ('!room add name="Oslo classroom" org="University of Oslo" mode=in-person city=Oslo '
        'country=NO lang=no capacity=1 days=1-2 public=yes who="UiO staff and students"')


async def actions(chat: Chat) -> list[tuple[str, str, str, ChatOrder]]:
    """(action, target, whom, order) of every chat action written, in order."""
    async with chat.app.sessions() as session:
        found = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.action.in_(CHAT_ACTIONS))
            .order_by(OutboxMessage.id))
        return [(row.action or "", row.room or "", row.mentions or "", ChatOrder.read(row.text))
                for row in found]


async def members(chat: Chat) -> set[tuple[int, int]]:
    async with chat.app.sessions() as session:
        return {(m.person_id, m.power) for m in await session.scalars(select(ChatMember))}


@pytest.fixture
async def chats_on(chat: Chat) -> Chat:
    await chat.say(ORGANIZER, WORKSHOP)
    answer = await chat.say(ORGANIZER, "!workshop edit 2026-spring chats=yes")
    assert "Each room not withdrawn gets a chat room" in answer.reply
    return chat


async def test_chats_are_off_by_default_and_a_room_gets_none(chat: Chat) -> None:
    await chat.say(ORGANIZER, WORKSHOP)
    await chat.say(HOST, ROOM)
    await chat.say(ANA, "!join R1")
    assert await actions(chat) == []


async def test_a_room_gets_its_chat_created_before_its_hosts_invite(chats_on: Chat) -> None:
    answer = await chats_on.say(HOST, ROOM)
    done = await actions(chats_on)
    assert [(a, t, w) for a, t, w, _ in done] == [
        ("chat-create", "chat:1", ""), ("chat-invite", "chat:1", HOST)]
    created, invited = done[0][3], done[1][3]
    assert created.key == "2026-spring-r1" and created.name == "R1 Oslo classroom"
    assert created.space == "2026-spring" and created.space_name == "Spring tools"
    assert "University of Oslo, Oslo" in created.topic
    assert invited.power == 50
    # Written with the command's answer and handed to the worker with it: done
    # (a transport that cannot act has nothing to do) by the time the answer is out.
    assert "Registered R1" in answer.reply
    async with chats_on.app.sessions() as session:
        assert set(await session.scalars(select(OutboxMessage.status).where(
            OutboxMessage.action.in_(CHAT_ACTIONS)))) == {DeliveryStatus.SENT}


async def test_a_seat_brings_an_invite_and_a_word_the_waitlist_none(chats_on: Chat) -> None:
    await chats_on.say(HOST, ROOM)
    joined = await chats_on.say(ANA, "!join R1")
    assert "I invited you to its chat, “R1 Oslo classroom”" in joined.notices[ANA][-1]
    waiting = await chats_on.say(BO, "!join R1")  # capacity 1: the waitlist
    assert not any(m.action for m in waiting.messages)
    assert [(a, w) for a, _, w, _ in await actions(chats_on)][2:] == [("chat-invite", ANA)]


async def test_a_learner_who_leaves_is_removed_and_the_next_moves_in(chats_on: Chat) -> None:
    await chats_on.say(HOST, ROOM)
    await chats_on.say(ANA, "!join R1")
    await chats_on.say(BO, "!join R1")
    moved = await chats_on.say(ANA, "!leave")
    assert [(a, w) for a, _, w, _ in await actions(chats_on)][3:] == [
        ("chat-invite", BO), ("chat-remove", ANA)]
    assert any("I invited you to its chat" in text for text in moved.notices[BO])


async def test_on_leave_keep_leaves_the_learner_in_the_chat(chats_on: Chat) -> None:
    chats_on.app.settings = dataclasses.replace(
        chats_on.app.settings, chats=ChatSettings(on_leave="keep"))
    chats_on.app.dispatcher.settings = chats_on.app.settings
    await chats_on.say(HOST, ROOM)
    await chats_on.say(ANA, "!join R1")
    await chats_on.say(ANA, "!leave")
    assert "chat-remove" not in [a for a, _, _, _ in await actions(chats_on)]


async def test_a_new_lead_is_raised_to_50(chats_on: Chat) -> None:
    await chats_on.say(HOST, ROOM)
    await chats_on.say(ANA, "!join R1")
    await chats_on.say(HOST, f"!room lead add R1 {LEAD}")
    last = (await actions(chats_on))[-1]
    assert (last[0], last[2], last[3].power) == ("chat-invite", LEAD, 50)
    await chats_on.say(HOST, f"!room lead add R1 {ANA}")  # the learner, raised
    last = (await actions(chats_on))[-1]
    assert (last[0], last[2], last[3].power) == ("chat-invite", ANA, 50)


async def test_turning_chats_on_later_makes_the_chats_of_every_room(chat: Chat) -> None:
    await chat.say(ORGANIZER, WORKSHOP)
    await chat.say(HOST, ROOM)
    await chat.say(HOST, ROOM.replace("Oslo classroom", "Oslo annex"))
    await chat.say(ANA, "!join R1")
    await chat.say(ORGANIZER, "!workshop edit 2026-spring chats=yes")
    done = [(a, t, w) for a, t, w, _ in await actions(chat)]
    assert done.count(("chat-create", "chat:1", "")) == 1
    assert ("chat-invite", "chat:1", ANA) in done and ("chat-create", "chat:2", "") in done
    again = await chat.say(ORGANIZER, "!workshop edit 2026-spring chats=yes")
    assert "Nothing changed" in again.reply
    assert len(await actions(chat)) == len(done)


async def test_chats_off_creates_no_more(chats_on: Chat) -> None:
    await chats_on.say(HOST, ROOM)
    assert "No more chat rooms" in (
        await chats_on.say(ORGANIZER, "!workshop edit 2026-spring chats=no")).reply
    await chats_on.say(HOST, ROOM.replace("Oslo classroom", "R10 annex"))
    async with chats_on.app.sessions() as session:
        assert [c.room_id for c in await session.scalars(select(RoomChat))] == [1]


async def test_bad_chats_value_is_refused_with_the_usage(chats_on: Chat) -> None:
    answer = await chats_on.say(ORGANIZER, "!workshop edit 2026-spring chats=maybe")
    assert "Usage:" in answer.reply
    await chats_on.say(HOST, ROOM)
    assert [power for _, power in await members(chats_on)] == [50]  # chats still on


class Maker:
    """Acts like a network that makes rooms: names each chat it creates back."""

    network = "test"

    def __init__(self) -> None:
        self.acted: list[tuple[str, str]] = []

    async def deliver(self, message: Outgoing) -> None:
        return None

    async def act(self, message: Outgoing) -> str | None:
        self.acted.append((message.action or "", message.room or ""))
        return "!made:uni.no\n!space:uni.no" if message.action == CHAT_CREATE else None


async def test_the_room_the_network_made_is_recorded_on_the_chat(chats_on: Chat) -> None:
    maker = Maker()
    worker = OutboxWorker(chats_on.app.sessions, chats_on.clock, {"test": maker})
    await chats_on.app.worker.stop()  # this worker, acting, takes the rows instead
    deliveries = (await chats_on.app.dispatcher.handle(incoming(HOST, ROOM)))
    await worker.start()
    await worker.hand(deliveries).wait()
    assert maker.acted[:2] == [(CHAT_CREATE, "chat:1"), ("chat-invite", "chat:1")]
    # The next command touching the room settles what the network named back.
    await worker.hand(await chats_on.app.dispatcher.handle(incoming(ANA, "!join R1"))).wait()
    await worker.stop()
    async with chats_on.app.sessions() as session:
        chat = await session.get(RoomChat, 1)
        own = await session.get(WorkshopChats, 1)
        assert chat is not None and own is not None
        assert (chat.network_room, chat.state, own.network_space) == (
            "!made:uni.no", ChatState.CREATED, "!space:uni.no")


def incoming(sender: str, body: str) -> Incoming:
    return Incoming(network="test", sender=sender, room=CHAT_ROOM, body=body, is_direct=False,
                    event_id=f"$e-{secrets.token_hex(4)}", sent_at=START)


async def test_chats_are_archived_archive_after_days_after_the_last_day(chats_on: Chat) -> None:
    await chats_on.say(HOST, ROOM)
    await chats_on.say(HOST, ROOM.replace("Oslo classroom", "R10 annex"))
    # The last day ends 2026-03-18 15:00 in Kolkata (09:30 UTC); 14 days on, less a minute.
    chats_on.clock.set(datetime(2026, 4, 1, 9, 29, tzinfo=UTC))
    assert await chats_on.app.chats.run() == 0
    chats_on.clock.set(datetime(2026, 4, 1, 9, 30, tzinfo=UTC))
    assert await chats_on.app.chats.run() == 2
    archived = [(t, o.space, o.topic) for a, t, _, o in await actions(chats_on)
                if a == "chat-archive"]
    assert [t for t, _, _ in archived] == ["chat:1", "chat:2"]
    assert archived[0][1] == "2026-spring" and "Spring tools" in archived[0][2]
    assert await chats_on.app.chats.run() == 0  # once
    async with chats_on.app.sessions() as session:
        assert {c.state for c in await session.scalars(select(RoomChat))} == {
            ChatState.ARCHIVED}


async def test_a_learner_who_moves_leaves_one_chat_for_the_other(chats_on: Chat) -> None:
    await chats_on.say(HOST, ROOM)
    await chats_on.say(LEAD, ROOM.replace("Oslo classroom", "R1 annex"))  # named like R1
    await chats_on.say(ANA, "!join R1")
    await chats_on.say(ANA, "!join R2")
    done = [(a, t, w) for a, t, w, _ in await actions(chats_on)]
    assert done[-2:] == [("chat-remove", "chat:1", ANA), ("chat-invite", "chat:2", ANA)]
    assert (await actions(chats_on))[-1][3].name == "R2 R1 annex"


async def test_a_long_room_name_makes_a_chat_name_zulip_accepts(chats_on: Chat) -> None:
    long = "Département d’informatique “Salle Ada Lovelace” " * 3
    await chats_on.say(HOST, ROOM.replace("Oslo classroom", long.strip()))
    name = (await actions(chats_on))[0][3].name
    assert name.startswith("R1 Département") and len(name) <= 60
