"""The sync position of a batch that handled nothing is saved a little later, the newest
one only, and never after a newer position saved for a batch with commands."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.transport.position import SAVE_LATER_S, SyncPosition


class SlowState:
    """A StateStore whose writes wait until `go` is set; what was written, in order."""

    def __init__(self) -> None:
        self.written: list[str | None] = []
        self.go = asyncio.Event()
        self.fail = False

    async def get(self, key: str) -> str | None:
        return self.written[-1] if self.written else None

    async def set(self, key: str, value: str | None) -> None:
        await self.go.wait()
        if self.fail:
            raise RuntimeError("database is locked")
        self.written.append(value)


def position(later_s: float = SAVE_LATER_S) -> tuple[SyncPosition, SlowState]:
    state = SlowState()
    return SyncPosition(state, "sync_token", later_s=later_s), state  # type: ignore[arg-type]


async def test_save_later_writes_the_newest_position_once_its_time_has_come() -> None:
    where, state = position(later_s=0.02)
    state.go.set()
    where.save_later("s1")
    where.save_later("s12")  # s1 is left out: s12 supersedes it
    assert state.written == []
    await asyncio.sleep(0.1)
    assert state.written == ["s12"]
    assert await where.load() == "s12"


async def test_a_batch_with_commands_saves_at_once_and_the_older_one_never() -> None:
    where, state = position()
    state.go.set()
    where.save_later("s1")
    await where.save_after_batch("s12")
    await where.flush()
    assert state.written == ["s12"]


async def test_a_later_save_under_way_is_written_before_the_newer_position() -> None:
    where, state = position(later_s=0)
    where.save_later("s1")
    await asyncio.sleep(0.01)  # s1's write has started and waits
    where.save_later("s12")
    after = asyncio.ensure_future(where.save_after_batch("s123"))
    await asyncio.sleep(0.01)
    assert not after.done()  # waits for the write under way, not for s12
    state.go.set()
    await after
    await where.flush()
    assert state.written == ["s1", "s123"]


async def test_a_failed_later_save_is_logged_and_the_next_one_covers_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    where, state = position()
    state.fail = True
    state.go.set()
    where.save_later("s1")
    await where.flush()
    assert "could not save the sync position" in caplog.text
    state.fail = False
    await where.save_after_batch("s12")
    assert state.written == ["s12"]


async def test_cancelling_a_flush_leaves_the_save_running() -> None:
    where, state = position()
    where.save_later("s1")
    waiting: Any = asyncio.ensure_future(where.flush())
    await asyncio.sleep(0)
    waiting.cancel()
    state.go.set()
    await where.flush()
    assert state.written == ["s1"]
