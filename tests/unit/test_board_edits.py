"""The outbox's edits of the status board: retried like a send, never losing the
newest text to an edit in flight, and nothing to edit once the post failed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.config import StatusSettings
from bot.db.models import DeliveryStatus, OutboxMessage
from bot.messages import BOARD_ROOM, Outgoing, TransientDeliveryError
from tests.chat import ORGANIZER, START, Chat
from tests.unit.test_status_board import DAY_1, HOST, WORKSHOP, room_add


@pytest.fixture
async def chat(tmp_path: Path, bot_database_url: str) -> AsyncIterator[Chat]:
    chat = await Chat.open(tmp_path, url=bot_database_url,
                           status=StatusSettings(edit_interval_seconds=0))
    await chat.say(ORGANIZER, WORKSHOP)
    await chat.say(HOST, room_add("Oslo"))
    chat.clock.set(DAY_1)
    try:
        yield chat
    finally:
        await chat.close()


async def board_rows(chat: Chat) -> list[tuple[int | None, DeliveryStatus, str]]:
    async with chat.app.sessions() as session:
        found = await session.execute(
            select(OutboxMessage.edit_of, OutboxMessage.status, OutboxMessage.text)
            .where(OutboxMessage.room == BOARD_ROOM).order_by(OutboxMessage.id))
        return [tuple(row) for row in found]  # type: ignore[misc]


async def until(check: Callable[[], object], seconds: float = 10.0) -> None:
    """Wait until `check()` holds (the worker's retries run on real time)."""
    for _ in range(int(seconds / 0.02)):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("still not so after the wait")


async def test_a_failed_edit_is_retried_like_a_send(chat: Chat) -> None:
    await chat.say(HOST, "!status working")
    await chat.app.worker.wait_idle()
    real, failures = chat.transport.edit, [0]

    async def flaky(message: Outgoing) -> None:
        if failures[0] == 0:
            failures[0] += 1
            raise TransientDeliveryError("homeserver down")
        await real(message)

    chat.transport.edit = flaky  # type: ignore[method-assign]
    await chat.say(HOST, "!status done")
    await until(lambda: chat.transport.edited)
    assert failures == [1] and "✅ done" in chat.transport.edited[0].text
    await until(lambda: chat.app.worker._lanes.pending == 0)
    (post, post_status, _), (edit_of, edit_status, _) = await board_rows(chat)
    assert (post, edit_of is not None) == (None, True)
    assert post_status is edit_status is DeliveryStatus.SENT


async def test_a_change_during_an_edit_in_flight_is_sent_after_it(chat: Chat) -> None:
    await chat.say(HOST, "!status working")
    await chat.app.worker.wait_idle()
    real, release, started = chat.transport.edit, asyncio.Event(), asyncio.Event()

    async def slow(message: Outgoing) -> None:
        started.set()
        await release.wait()
        await real(message)

    chat.transport.edit = slow  # type: ignore[method-assign]
    await chat.say(HOST, "!status need-help first")
    await asyncio.wait_for(started.wait(), 10)
    await chat.say(HOST, "!status need-help second")  # replaces the text in flight
    release.set()
    await until(lambda: len(chat.transport.edited) == 2)
    assert ["“first”" in chat.transport.edited[0].text,
            "“second”" in chat.transport.edited[1].text] == [True, True]
    await until(lambda: chat.app.worker._lanes.pending == 0)
    found = await board_rows(chat)
    assert len(found) == 2  # the post and one edit row, sent with the newest text
    assert found[1][1] is DeliveryStatus.SENT and "“second”" in found[1][2]


async def test_after_the_post_or_an_edit_failed_for_good_the_board_is_posted_anew(
    chat: Chat,
) -> None:
    chat.transport.refuse[BOARD_ROOM] = "the room refuses the bot"
    await chat.say(HOST, "!status working")
    await chat.app.worker.wait_idle()
    del chat.transport.refuse[BOARD_ROOM]  # fixed: the next change posts it again
    assert "R1 is now ✅ done" in await chat.say(HOST, "!status done")
    await chat.app.worker.wait_idle()
    chat.transport.refuse[BOARD_ROOM] = "the message may no longer be edited"
    await chat.say(HOST, "!status working")  # this edit fails for good
    await chat.app.worker.wait_idle()
    del chat.transport.refuse[BOARD_ROOM]
    await chat.say(HOST, "!status need-help again")
    await chat.app.worker.wait_idle()
    await chat.say(HOST, "!status done")  # an edit of the newest post
    await chat.app.worker.wait_idle()
    found = [(e is not None, s) for e, s, _ in await board_rows(chat)]
    assert found == [(False, DeliveryStatus.FAILED), (False, DeliveryStatus.SENT),
                     (True, DeliveryStatus.FAILED), (False, DeliveryStatus.SENT),
                     (True, DeliveryStatus.SENT)]
    posts = [m for m in chat.transport.sent if m.room == BOARD_ROOM]
    assert [m.key for m in posts] == ["status-board:test:w1:day1:again:1",
                                      "status-board:test:w1:day1:again:2"]
    newest = next(k for k, m in chat.transport.ids.items() if m is posts[-1])
    assert chat.transport.edited[-1].replaces == newest
    assert "✅ done" in chat.transport.edited[-1].text


async def test_a_pending_edit_outlives_a_restart_and_edits_the_same_message(
    tmp_path: Path,
) -> None:
    waiting = StatusSettings(edit_interval_seconds=3600)
    chat = await Chat.open(tmp_path, status=waiting)
    await chat.say(ORGANIZER, WORKSHOP)
    await chat.say(HOST, room_add("Oslo"))
    chat.clock.set(DAY_1)
    await chat.say(HOST, "!status working")
    await chat.app.worker.wait_idle()
    [original] = [k for k, m in chat.transport.ids.items() if m.room == BOARD_ROOM]
    await chat.say(HOST, "!status done")  # due an hour later: still pending at the stop
    async with chat.app.sessions() as session, session.begin():
        edit_row = await session.scalar(select(OutboxMessage).where(
            OutboxMessage.edit_of.is_not(None)))
        assert edit_row is not None and edit_row.status is DeliveryStatus.PENDING
        edit_row.not_before = START  # the hour has passed by the next start's clock
    await chat.close()
    again = await Chat.open(tmp_path, status=StatusSettings(edit_interval_seconds=0))
    try:
        await until(lambda: again.transport.edited)
        [edit] = again.transport.edited
        assert edit.replaces == original and "✅ done" in edit.text
        assert again.transport.sent == []  # no second board message
    finally:
        await again.close()
