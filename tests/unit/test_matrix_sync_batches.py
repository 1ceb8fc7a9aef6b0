"""The sync loop asks for the next batch once the answers of the last one went out
(at most ANSWERS_WAIT_S later): a sync waiting at the homeserver while the answers
are sent is woken by each of them at the same moment as the asker's own, which
measurably delayed every answer (bench/FINDINGS.md)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from nio import SyncResponse

from bot.messages import Incoming
from bot.outbox.worker import Sent
from bot.transport import matrix_sync
from bot.transport.matrix_sync import MatrixSync
from bot.transport.supervisor import Stopped
from tests.unit.test_hostile_events import sync

__all__ = ["sync"]

ROOM = "!r:uni.no"
SENT_MS = 1772441940000  # a minute before the fixture's clock


def batch(*bodies: str) -> SyncResponse:
    events = [{"type": "m.room.message", "event_id": f"${n}", "sender": "@ana:uni.no",
               "origin_server_ts": SENT_MS, "content": {"msgtype": "m.text", "body": b}}
              for n, b in enumerate(bodies)]
    return SyncResponse.from_dict({"next_batch": f"s{len(bodies)}", "rooms": {"join": {
        ROOM: {"timeline": {"events": events, "limited": False}, "state": {"events": []}}}}})


async def run_two_batches(
    sync: MatrixSync, monkeypatch: pytest.MonkeyPatch, answer_after_s: float
) -> tuple[bool, asyncio.Future[None]]:
    """Run the loop over one batch with a command whose answer is sent `answer_after_s`
    later; whether the answer was out when the next batch was asked for."""
    sent: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    out_at_next_sync: list[bool] = []
    calls = 0

    async def fake_sync(first: bool) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            return batch("!tz")
        out_at_next_sync.append(sent.done())
        sync.supervisor.stop()
        raise Stopped

    async def handler(message: Incoming) -> Sent:
        asyncio.get_running_loop().call_later(answer_after_s, sent.set_result, None)
        return Sent([sent])

    async def saved() -> str:
        return "s0"  # not the first start: recent messages are answered

    async def save(_position: str) -> None:
        return None

    monkeypatch.setattr(sync, "_sync", fake_sync)
    monkeypatch.setattr(sync.position, "load", saved)
    monkeypatch.setattr(sync.position, "save_after_batch", save)
    with pytest.raises(Stopped):
        await sync.run(handler)
    return out_at_next_sync[0], sent


async def test_the_next_batch_is_asked_for_once_the_answers_are_out(
    sync: MatrixSync, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, _sent = await run_two_batches(sync, monkeypatch, answer_after_s=0.05)
    assert out


async def test_a_slow_answer_holds_up_the_next_batch_only_so_long(
    sync: MatrixSync, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(matrix_sync, "ANSWERS_WAIT_S", 0.05)
    out, sent = await run_two_batches(sync, monkeypatch, answer_after_s=0.5)
    assert not out  # the loop went on without it
    assert not sent.cancelled()  # and the answer is still on its way
    await asyncio.wait_for(sent, timeout=5)


async def test_after_the_first_batch_the_next_one_is_asked_for_before_the_save(
    sync: MatrixSync, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A command often follows an answer: the next long-poll goes out at once, the
    position saved a little later (at the latest when the loop stops); the first batch
    of a run is saved before it is followed."""
    started_at_sync: list[list[str]] = []
    started: list[str] = []
    calls = 0

    async def fake_sync(first: bool) -> Any:
        nonlocal calls
        calls += 1
        started_at_sync.append(list(started))
        if calls == 1:
            return batch()
        if calls == 2:
            return batch("!tz", "!tz")
        sync.supervisor.stop()
        raise Stopped

    async def handler(message: Incoming) -> Sent:
        return Sent()

    async def saved() -> str:
        return "s0"

    async def save(_key: str, value: str) -> None:
        started.append(value)

    monkeypatch.setattr(sync, "_sync", fake_sync)
    monkeypatch.setattr(sync.position, "load", saved)
    monkeypatch.setattr(sync.position.state, "set", save)
    with pytest.raises(Stopped):
        await asyncio.wait_for(sync.run(handler), timeout=5)
    assert started_at_sync == [[], ["s0"], ["s0"]]
    assert started == ["s0", "s2"]  # saved all the same, before the loop returned


async def test_a_command_names_the_room_it_was_said_in_as_its_channel(
    sync: MatrixSync, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A local room's chat is a Matrix room: `!status` there is about that room."""
    handled: list[Incoming] = []

    async def fake_sync(first: bool) -> Any:
        if handled or not first:
            sync.supervisor.stop()
            raise Stopped
        return batch("!status done")

    async def handler(message: Incoming) -> Sent:
        handled.append(message)
        return Sent()

    async def saved() -> str:
        return "s0"

    async def save(_position: str) -> None:
        return None

    monkeypatch.setattr(sync, "_sync", fake_sync)
    monkeypatch.setattr(sync.position, "load", saved)
    monkeypatch.setattr(sync.position, "save_after_batch", save)
    with pytest.raises(Stopped):
        await asyncio.wait_for(sync.run(handler), timeout=5)
    assert [(m.room, m.channel) for m in handled] == [(ROOM, ROOM)]
