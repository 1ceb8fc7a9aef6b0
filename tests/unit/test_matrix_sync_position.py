"""When the sync loop saves its position: after a batch that changed something, at
once; after one that changed nothing (chatter, the bot's own replies coming back, a
flood being dropped), at most every IDLE_SAVE_EVERY of the clock, and on stopping.
A flood brings a batch per message, and each save was a write transaction queued
with the commands' (bench/flood.py, README Performance)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from nio import SyncResponse

from bot.clock import FrozenClock
from bot.outbox.worker import Sent
from bot.transport.base import Incoming
from bot.transport.matrix_sync import IDLE_SAVE_EVERY, MatrixSync
from bot.transport.supervisor import Stopped
from tests.unit.test_hostile_events import sync

__all__ = ["sync"]

ROOM = "!r:uni.no"
SENT_MS = 1772441940000  # a minute before the fixture's clock
TICK = timedelta(milliseconds=1)


def batch(token: str, sender: str, body: str) -> SyncResponse:
    event = {"type": "m.room.message", "event_id": f"${token}", "sender": sender,
             "origin_server_ts": SENT_MS, "content": {"msgtype": "m.text", "body": body}}
    return SyncResponse.from_dict({"next_batch": token, "rooms": {"join": {
        ROOM: {"timeline": {"events": [event], "limited": False}, "state": {"events": []}}}}})


async def saved_after(
    sync: MatrixSync, monkeypatch: pytest.MonkeyPatch,
    batches: list[tuple[timedelta, str, str, str]],
) -> list[str]:
    """Run the loop over `batches` (the clock moved by, token, sender, body), then stop
    it; the positions saved, in order. The handler answers only @ana's commands: the
    flooder's are dropped, as bot/commands/limits.py does past the burst."""
    clock = sync.clock
    assert isinstance(clock, FrozenClock)
    saves: list[str] = []
    script = iter(batches)

    async def fake_sync(first: bool) -> Any:
        step = next(script, None)
        if step is None:
            sync.supervisor.stop()
            raise Stopped
        moved, token, sender, body = step
        clock.advance(moved)
        return batch(token, sender, body)

    async def handler(message: Incoming) -> Sent:
        if message.sender != "@ana:uni.no" or not message.body.startswith("!"):
            return Sent()  # chatter, or a dropped command: nothing written
        answer: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        answer.set_result(None)
        return Sent([answer])

    async def load() -> str:
        return "s0"  # not the first start: recent messages are answered

    async def save(position: str) -> None:
        saves.append(position)

    monkeypatch.setattr(sync, "_sync", fake_sync)
    monkeypatch.setattr(sync.position, "load", load)
    monkeypatch.setattr(sync.position, "save_after_batch", save)
    with pytest.raises(Stopped):
        await sync.run(handler)
    return saves


async def test_batches_that_change_nothing_save_the_position_at_most_so_often(
    sync: MatrixSync, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: every batch saved (s1..s7). The run's first batch saves though idle (else
    a crash right after a very first start would take later commands for history)."""
    just_under = IDLE_SAVE_EVERY - TICK
    saves = await saved_after(sync, monkeypatch, [
        (TICK, "s1", "@ana:uni.no", "hello everyone"),  # the run's first: saved
        (TICK, "s2", "@flood:uni.no", "!rooms"),  # dropped
        (TICK, "s3", "@ana:uni.no", "!tz"),  # answered: saved at once
        (just_under, "s4", "@flood:uni.no", "!rooms"),  # IDLE_SAVE_EVERY - 1 ms after s3
        (TICK, "s5", "@flood:uni.no", "!rooms"),  # exactly IDLE_SAVE_EVERY: saved
        (TICK, "s6", "@ana:uni.no", "!tzz"),  # answered (a typo is answered too)
        (TICK, "s7", "@ana:uni.no", "hello"),  # chatter, left for the stop
    ])
    assert saves == ["s1", "s3", "s5", "s6", "s7"]


async def test_a_stop_saves_nothing_when_the_last_batch_was_saved(
    sync: MatrixSync, monkeypatch: pytest.MonkeyPatch
) -> None:
    saves = await saved_after(sync, monkeypatch, [
        (TICK, "s1", "@ana:uni.no", "!tz"),
        (TICK, "s2", "@flood:uni.no", "!tz"),
        (TICK, "s3", "@ana:uni.no", "!tz"),
    ])
    assert saves == ["s1", "s3"]
