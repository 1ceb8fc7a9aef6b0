"""`!status`: team leads say where their room is; the organizers' board follows,
posted once per workshop day and then edited in place."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.config import StatusSettings
from bot.db.models import ChatState, OutboxMessage, RoomChat, RoomDayStatus
from bot.messages import BOARD_ROOM
from tests.chat import ORGANIZER, Chat

HOST, LEAD, LEARNER = "@host:uni.no", "@lead:uni.no", "@ana:uni.no"
STRANGER = "@stranger:else.org"
WORKSHOP = ("!workshop add 2026-spring title=Spring tz=Europe/Oslo "
            "days=2026-03-17,2026-03-18,2026-03-19 time=10:00-15:00")
# Day 1, 10:00 in Oslo.
DAY_1 = datetime(2026, 3, 17, 9, 0, tzinfo=UTC)


def room_add(name: str, days: str = "1-3") -> str:
    return (f'!room add name="{name}" org=UiO mode=in-person city=Oslo country=NO lang=no '
            f"capacity=5 days={days} public=yes")


@pytest.fixture
async def board(tmp_path: Path, bot_database_url: str) -> Chat:
    chat = await Chat.open(tmp_path, url=bot_database_url,
                           status=StatusSettings(edit_interval_seconds=0))
    await chat.say(ORGANIZER, WORKSHOP)
    assert "Registered R1" in await chat.say(HOST, room_add("Oslo | classroom", days="1-2"))
    for n in range(2, 11):  # R2 … R10: R1 is a prefix of R10
        assert f"Registered R{n}" in await chat.say(ORGANIZER, room_add(f"Room {n}"))
    await chat.say(ORGANIZER, f"!room lead add R10 {LEAD}")
    await chat.say(LEARNER, "!join R1")
    chat.clock.set(DAY_1)
    try:
        yield chat
    finally:
        await chat.close()


async def statuses(chat: Chat) -> list[tuple[int, int, str, str | None]]:
    async with chat.app.sessions() as session:
        found = await session.execute(select(
            RoomDayStatus.room_id, RoomDayStatus.day, RoomDayStatus.state, RoomDayStatus.note)
            .order_by(RoomDayStatus.room_id))
        return [(room, day, state.value, note) for room, day, state, note in found]


async def settled(chat: Chat) -> None:
    await chat.app.worker.wait_idle()


def posts(chat: Chat) -> list[str]:
    return [m.text for m in chat.transport.sent if m.room == BOARD_ROOM]


async def test_a_lead_sets_the_status_and_the_board_is_one_message_edited(board: Chat) -> None:
    said = await board.say(HOST, "!status need-help the projector is “off”", direct=True)
    assert "R1 is now 🆘 need help on day 1; the organizers' board shows it." in said
    await settled(board)
    assert len(posts(board)) == 1
    assert "**R1** Oslo \\| classroom: 🆘 need help, just now · “the projector is “off””" in (
        posts(board)[0])
    board.clock.advance(timedelta(minutes=4))
    await board.say(LEAD, "!status working", direct=True)
    board.clock.advance(timedelta(minutes=1))
    await board.say(HOST, "!status done", direct=True)
    await settled(board)
    assert len(posts(board)) == 1  # never a stream of new messages
    original = next(k for k, m in board.transport.ids.items() if m.room == BOARD_ROOM)
    assert [m.replaces for m in board.transport.edited] == [original, original]
    last = board.transport.edited[-1].text
    assert "**R1** Oslo \\| classroom: ✅ done, just now" in last
    assert "**R10** Room 10: 🛠️ working, 1 min ago" in last
    assert "**R2** Room 2: no status yet" in last
    assert "✅ done: 1 · 🛠️ working: 0" not in last and "no status: 8" in last
    assert await statuses(board) == [(1, 1, "done", None), (10, 1, "working", None)]


async def test_learners_and_strangers_are_refused_with_the_role_needed(board: Chat) -> None:
    for who in (LEARNER, STRANGER):
        refused = await board.say(who, "!status done", direct=True)
        assert "`!status` is for a team lead or host of a local room" in refused, who
        assert "is for a team lead or host" in await board.say(who, "!status", direct=True)
    refused = await board.say(HOST, "!status reset")
    assert "`!status reset` is for an organizer" in refused
    assert await statuses(board) == []
    assert posts(board) == []


async def test_no_status_on_a_day_that_is_not_a_workshop_day_today(board: Chat) -> None:
    # 01:30 on 17 March in Kolkata (UTC+05:30), but still the 16th in Oslo.
    board.clock.set(datetime(2026, 3, 16, 20, 0, tzinfo=UTC))
    refused = await board.say(HOST, "!status done", direct=True)
    assert "Today (2026-03-16 in the workshop's zone) is not a workshop day" in refused
    assert "Usage: `!status [need-help|working|done] [room=R7] [note…]`" in refused
    board.clock.set(DAY_1 + timedelta(days=2))  # day 3: R1 meets on days 1-2 only
    refused = await board.say(HOST, "!status done", direct=True)
    assert "is not a workshop day for R1" in refused
    assert "is now" in await board.say(LEAD, "!status done", direct=True)
    assert await statuses(board) == [(10, 3, "done", None)]


@pytest.mark.parametrize(("who", "typed", "problem"), [
    (HOST, "!status busy", "!status [need-help|working|done]"),
    (HOST, "!status need-help " + "x" * 5000, "commands take at most 4 KB"),
    (HOST, "!status need-help " + "ø" * 201, "A note is at most 200 characters; this one has 201"),
    (HOST, "!status done room=R", "is not a room id"),
    (HOST, "!status room=R1", "'room=R1' is not one of: need-help, working, done"),
    (ORGANIZER, "!status done", "Which room? You lead R2, R3, R4, R5, R6, R7, R8, R9, R10"),
])
async def test_bad_input_is_refused_with_the_usage_and_changes_nothing(
    board: Chat, who: str, typed: str, problem: str,
) -> None:
    refused = await board.say(who, typed, direct=True)
    assert problem in refused.reply
    assert "Usage: `!status" in refused
    assert await statuses(board) == []
    assert posts(board) == []


async def test_a_room_the_lead_does_not_run_is_refused_for_the_right(board: Chat) -> None:
    refused = await board.say(LEAD, "!status done room=R1", direct=True)  # R1, not R10
    assert "You are not a host or team lead of R1; you lead R10." in refused.reply
    assert await statuses(board) == []
    assert posts(board) == []


async def test_a_lead_of_several_rooms_names_one(board: Chat) -> None:
    await board.say(ORGANIZER, f"!room lead add R2 {LEAD}")
    refused = await board.say(LEAD, "!status done", direct=True)
    assert "Which room? You lead R2, R10: add room=R7" in refused
    assert "R10 is now ✅ done" in await board.say(LEAD, "!status done room=R10", direct=True)
    assert "R2 is now 🛠️ working" in await board.say(LEAD, "!status working room=R2 almost")
    assert "R3 is now ✅ done" in await board.say(ORGANIZER, "!status done room=R3")
    assert await statuses(board) == [
        (2, 1, "working", "almost"), (3, 1, "done", None), (10, 1, "done", None)]


async def test_the_board_alone_in_a_direct_chat_and_reset_by_organizers(board: Chat) -> None:
    await board.say(HOST, "!status need-help wifi")
    shown = await board.say(LEAD, "!status", direct=True)
    assert "**Status board · Spring · day 1** (as of 10:00 Europe/Oslo)" in shown
    assert "🆘 need help: 1" in shown and "“wifi”" in shown
    assert "shown in a direct chat" in await board.say(LEAD, "!status")
    assert "Cleared 1 room status of day 1." in await board.say(ORGANIZER, "!status reset")
    await settled(board)
    assert await statuses(board) == []
    assert "🆘 need help: 0" in board.transport.edited[-1].text


async def test_edits_coalesce_one_pending_edit_per_board_the_newest_wins(
    tmp_path: Path, bot_database_url: str,
) -> None:
    chat = await Chat.open(tmp_path, url=bot_database_url,
                           status=StatusSettings(edit_interval_seconds=60))
    try:
        await chat.say(ORGANIZER, WORKSHOP)
        await chat.say(HOST, room_add("Oslo"))
        chat.clock.set(DAY_1)
        await chat.say(HOST, "!status working")
        await settled(chat)  # the post is out
        for note in ("one", "two", "three", "four", "five"):
            await chat.say(HOST, f"!status need-help {note}")
        async with chat.app.sessions() as session:
            edits = (await session.scalars(select(OutboxMessage).where(
                OutboxMessage.edit_of.is_not(None)))).all()
        assert len(edits) == 1  # five changes, one edit to send
        assert "“five”" in edits[0].text and edits[0].status.value == "pending"
        # Due a minute after the post was sent: at most one edit per interval.
        assert edits[0].not_before == DAY_1 + timedelta(seconds=60)
        assert chat.transport.edited == []
        async with chat.app.sessions() as session:
            boards = await session.scalar(select(func.count()).where(
                OutboxMessage.room == BOARD_ROOM, OutboxMessage.edit_of.is_(None)))
        assert boards == 1
    finally:
        await chat.close()


async def test_a_note_that_names_everyone_pings_nobody_on_the_board(board: Chat) -> None:
    said = await board.say(HOST, "!status need-help @room ask @ana:uni.no *now*", direct=True)
    assert "R1 is now 🆘 need help" in said
    await settled(board)
    [post] = posts(board)
    assert "@room" in post and "\\*now\\*" in post  # shown as typed, emphasis escaped
    assert not [m for m in board.transport.sent if m.room == BOARD_ROOM and m.mentions]


async def test_changes_at_the_same_moment_each_leave_a_board_showing_both(board: Chat) -> None:
    await board.say(HOST, "!status working")  # the board exists
    await settled(board)
    await asyncio.gather(board.say(HOST, "!status done"), board.say(LEAD, "!status need-help"))
    await settled(board)
    last = board.transport.edited[-1].text
    assert "**R1** Oslo \\| classroom: ✅ done" in last
    assert "**R10** Room 10: 🆘 need help" in last


async def test_in_a_rooms_own_chat_the_status_is_that_rooms(board: Chat) -> None:
    await board.say(ORGANIZER, f"!room lead add R2 {LEAD}")
    network = board.transport.network
    async with board.app.sessions() as session, session.begin():
        for room_id, where, on in ((1, "!chat-r1", network), (10, "!chat-r10", network),
                                   (2, "!chat-r1", "elsewhere")):  # same id, other network
            session.add(RoomChat(room_id=room_id, network=on, name=f"R{room_id}",
                                 network_room=where, state=ChatState.CREATED,
                                 created_at=DAY_1))
    assert "R10 is now 🆘 need help" in await board.say(LEAD, "!status need-help", room="!chat-r10")
    assert "R2 is now ✅ done" in await board.say(LEAD, "!status done room=R2", room="!chat-r10")
    refused = await board.say(LEAD, "!status working", room="!chat-r1")
    assert "You are not a host or team lead of R1; you lead R2, R10." in refused
    assert await statuses(board) == [(2, 1, "done", None), (10, 1, "need-help", None)]
