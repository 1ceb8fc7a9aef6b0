"""Fixtures of the Zulip end-to-end tests (imported by tests/e2e/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.clock import FrozenClock
from tests.zulip.bots import ZulipBot, ZulipBotProcess
from tests.zulip.double import ZulipDouble
from tests.zulip.people import Org, ZulipPerson

# When `organizer_bot` starts: two days before a workshop on 2027-03-17.
ORGANIZER_START = datetime(2027, 3, 15, 9, 0, tzinfo=UTC)


@pytest.fixture
def org() -> Iterator[Org]:
    """A fresh organization on a fresh API double (heartbeats every second)."""
    double = ZulipDouble(longpoll_timeout_s=10.0, heartbeat_s=1.0).start()
    try:
        yield Org(double)
    finally:
        double.stop()


@pytest.fixture
async def zulip_bot(org: Org, tmp_path: Path) -> AsyncIterator[ZulipBot]:
    """The whole bot in this process on the organization, connected."""
    running = ZulipBot(org, tmp_path / "bot.db")
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def organizer_bot(org: Org, tmp_path: Path) -> AsyncIterator[tuple[ZulipBot, ZulipPerson]]:
    """The bot on a simulated clock (at ORGANIZER_START), with Ana (by her user id) as
    organizer."""
    ana = org.person("Ana Lopez")
    running = ZulipBot(org, tmp_path / "bot.db", organizers=(str(ana.user_id),),
                       clock=FrozenClock(ORGANIZER_START))
    await running.start()
    try:
        yield running, ana
    finally:
        await running.stop()


@pytest.fixture
async def zulip_processes() -> AsyncIterator[list[ZulipBotProcess]]:
    """Bot processes a test starts; killed at its end if still running."""
    started: list[ZulipBotProcess] = []
    yield started
    for process in started:
        await process.close()
