"""The sync position of a batch that handled nothing is saved in the background: the
newest one only, never after a newer position saved for a batch with commands."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.transport.position import SyncPosition


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


def position() -> tuple[SyncPosition, SlowState]:
    state = SlowState()
    return SyncPosition(state, "sync_token"), state  # type: ignore[arg-type]


async def test_save_later_returns_at_once_and_saves_the_newest_only() -> None:
    where, state = position()
    where.save_later("s1")
    await asyncio.sleep(0)  # s1's write has started and waits
    where.save_later("s1_2")
    where.save_later("s1_23")  # s1_2 is left out: s1_23 supersedes it
    assert state.written == []
    state.go.set()
    await where.flush()
    assert state.written == ["s1", "s1_23"]
    assert await where.load() == "s1_23"


async def test_a_position_saved_later_never_overwrites_a_newer_one() -> None:
    where, state = position()
    where.save_later("s1")
    await asyncio.sleep(0)
    where.save_later("s12")  # still waiting when a batch with commands ends
    after = asyncio.ensure_future(where.save_after_batch("s123"))
    await asyncio.sleep(0.01)
    assert not after.done()  # waits for the save under way, not for s12
    state.go.set()
    await after
    await where.flush()
    assert state.written == ["s1", "s123"]


async def test_a_failed_background_save_is_logged_and_the_next_one_covers_it(
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
