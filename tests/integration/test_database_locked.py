"""Another program holds the SQLite file's lock longer than the bot's busy timeout
(a backup, a sqlite3 shell): a command leaves no trace and is handled again later,
once; the outbox worker records a send once the lock is gone instead of dropping it.
A shorter lock is simply waited out.
The e2e counterpart, with the real homeserver: tests/e2e/test_faults.py."""

from __future__ import annotations

import io
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.config import DatabaseSettings
from bot.db.models import DeliveryStatus, OutboxMessage
from bot.messages import DatabaseUnavailable, Incoming, Outgoing
from bot.outbox import rows
from bot.outbox.worker import OutboxWorker, Sent
from bot.scheduling.delivery import JOB_ID, UNAVAILABLE_RETRY, ReminderService
from bot.scheduling.scheduler import create_scheduler
from bot.transport.console import ConsoleTransport
from tests.chat import ORGANIZER, ROOM, START, Chat
from tests.tables import dump

BUSY_S = 0.05


@pytest.fixture
async def impatient(tmp_path: Path) -> AsyncIterator[Chat]:
    """A chat whose database gives up on a lock after 50 ms."""
    database = DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
                                busy_timeout_seconds=BUSY_S)
    chat = await Chat.open(tmp_path, database=database)
    try:
        yield chat
    finally:
        await chat.close()


def lock(path: Path) -> sqlite3.Connection:
    """Another connection holding the write lock until it rolls back."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    return other


async def test_a_command_the_locked_database_cannot_take_leaves_no_trace(
    impatient: Chat, tmp_path: Path
) -> None:
    await impatient.say(ORGANIZER, "!tz")
    before = await dump(impatient.app.sessions)
    other = lock(tmp_path / "bot.db")
    try:
        with pytest.raises(DatabaseUnavailable):
            await impatient.say(ORGANIZER, "!tz Europe/Oslo", event_id="$locked")
        with pytest.raises(DatabaseUnavailable):  # a command that only reads, too
            await impatient.say(ORGANIZER, "!workshops", event_id="$read")
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert await dump(impatient.app.sessions) == before

    # Handed again once the database is free: answered, once.
    answer = await impatient.say(ORGANIZER, "!tz Europe/Oslo", event_id="$locked")
    assert "Europe/Oslo" in answer.reply
    assert (await impatient.say(ORGANIZER, "!tz Europe/Oslo", event_id="$locked")).reply == ""


async def test_a_send_is_recorded_once_the_lock_is_gone(impatient: Chat, tmp_path: Path) -> None:
    async with impatient.app.sessions() as session, session.begin():
        row = rows.add(session, key="k1", network="test", message=Outgoing("hello", room=ROOM),
                       reference="r1", now=impatient.clock.now())
        await session.flush()
        item = rows.delivery(row)
    transport = impatient.transport
    held: list[sqlite3.Connection] = []
    slept: list[float] = []
    deliver = transport.deliver

    async def deliver_then_lock(message: Outgoing) -> None:
        await deliver(message)
        held.append(lock(tmp_path / "bot.db"))  # before the worker records the send

    async def release(seconds: float) -> None:  # the worker's backoff, run at once
        slept.append(seconds)
        held.pop().execute("ROLLBACK")

    transport.deliver = deliver_then_lock  # type: ignore[method-assign]
    worker = OutboxWorker(impatient.app.sessions, impatient.clock, {"test": transport},
                          sleep=release)
    await worker.start()
    try:
        await worker.hand([item]).wait()
    finally:
        await worker.stop()
    async with impatient.app.sessions() as session:
        stored = await session.scalar(select(OutboxMessage).where(OutboxMessage.id == item.id))
    assert stored is not None and stored.status == DeliveryStatus.SENT
    assert len(slept) == 1 and [m.text for m in transport.sent] == ["hello"]


async def test_the_console_says_the_database_is_busy_and_reads_on() -> None:
    out = io.StringIO()
    console = ConsoleTransport("@you:example.org", stdin=io.StringIO("!tz\n!help\n"),
                               stdout=out, interactive=False)
    seen: list[str] = []

    async def handler(message: Incoming) -> Sent:
        seen.append(message.body)
        raise DatabaseUnavailable("database is locked")

    await console.run(handler)
    assert seen == ["!tz", "!help"]
    assert out.getvalue().count("the database is busy, nothing was done; type it again") == 2


async def test_a_lock_shorter_than_the_busy_timeout_is_waited_out(
    chat: Chat, tmp_path: Path
) -> None:
    await chat.say(ORGANIZER, "!tz")
    other = sqlite3.connect(tmp_path / "bot.db", isolation_level=None, check_same_thread=False)
    other.execute("BEGIN EXCLUSIVE")
    # The other program's transaction lasts 0.3 s (the scenario), well under 30 s.
    release = threading.Timer(0.3, lambda: other.execute("ROLLBACK"))
    started = time.monotonic()
    release.start()
    try:
        answer = await chat.say(ORGANIZER, "!tz Europe/Oslo")
    finally:
        release.join()
        other.close()
    assert "Europe/Oslo" in answer.reply and time.monotonic() - started >= 0.25


class FixedClock:
    """A clock that stands still yet claims to move by itself, as the system's does
    (a simulated clock's runs are driven by the console's /wait instead)."""

    moves_by_itself = True

    def now(self) -> datetime:
        return START


async def test_due_reminders_try_again_while_the_database_is_locked(
    impatient: Chat, tmp_path: Path
) -> None:
    scheduler = create_scheduler()  # not started: its jobs are only looked at
    service = ReminderService(impatient.app.sessions, FixedClock(), impatient.app.settings,
                              impatient.app.worker, scheduler, asker=impatient.app.reminders.asker)
    service.running = True
    other = lock(tmp_path / "bot.db")
    try:
        await service.run_due()  # gives up on the lock, and says when it tries again
    finally:
        other.execute("ROLLBACK")
        other.close()
    job = scheduler.get_job(JOB_ID)
    assert job is not None and job.trigger.run_date == START + UNAVAILABLE_RETRY
