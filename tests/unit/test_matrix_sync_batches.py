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
from tests.unit.test_hostile_events import BOT, sync

__all__ = ["sync"]

ROOM = "!r:uni.no"
SENT_MS = 1772441940000  # a minute before the fixture's clock


def batch(*bodies: str, sender: str = "@ana:uni.no") -> SyncResponse:
    events = [{"type": "m.room.message", "event_id": f"${n}", "sender": sender,
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


@pytest.mark.parametrize(("sender", "waits"), [(BOT, False), ("@ana:uni.no", True)])
async def test_only_a_batch_that_handled_something_waits_for_its_saved_position(
    sync: MatrixSync, monkeypatch: pytest.MonkeyPatch, sender: str, waits: bool
) -> None:
    """The bot's own answer coming back is followed at once (a command may come right
    after it), its position saved in the background once the next sync is asked for; a
    command's batch is followed only once its position is saved."""
    saving = asyncio.Event()
    saved_at_next_sync: list[str] = []
    started_at_next_sync: list[str] = []
    started: list[str] = []
    written: list[str] = []
    calls = 0

    async def fake_sync(first: bool) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            saving.set()
            return batch()  # the first of a run: always saved before it is followed
        if calls == 2:
            saving.clear()  # the next write takes 50 ms
            asyncio.get_running_loop().call_later(0.05, saving.set)
            return batch("!tz", "!tz", sender=sender)
        saved_at_next_sync.append(written[-1])
        started_at_next_sync.extend(started)
        sync.supervisor.stop()
        raise Stopped

    async def handler(message: Incoming) -> Sent:
        return Sent()

    async def saved() -> str:
        return "s0"

    async def save(_key: str, value: str) -> None:
        started.append(value)
        await saving.wait()
        written.append(value)

    monkeypatch.setattr(sync, "_sync", fake_sync)
    monkeypatch.setattr(sync.position, "load", saved)
    monkeypatch.setattr(sync.position.state, "set", save)
    with pytest.raises(Stopped):
        await asyncio.wait_for(sync.run(handler), timeout=5)
    assert saved_at_next_sync == (["s2"] if waits else ["s0"])
    assert started_at_next_sync == (["s0", "s2"] if waits else ["s0"])  # its save: after
    assert written == ["s0", "s2"]  # saved all the same, before the loop returned
