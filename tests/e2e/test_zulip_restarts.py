"""The bot on Zulip across restarts, expired event queues, outages and rate limits:
nothing is answered twice and nothing is skipped."""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
import time
from pathlib import Path

import pytest

from bot.db.state import StateStore
from bot.messages import Outgoing
from tests.zulip.bots import ZulipBot, ZulipBotProcess
from tests.zulip.double import Call, ZulipDouble
from tests.zulip.people import Org
from tests.zulip.realm import Message

DEADLINE_S = 20.0


async def until(condition: object, what: str, within: float = DEADLINE_S) -> None:
    """Poll `condition()` every 50 ms until it holds; fail after `within` seconds."""
    assert callable(condition)
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() >= deadline:
            pytest.fail(f"{what} did not happen within {within:.0f} s")
        await asyncio.sleep(0.05)  # the polling interval, not a wait for the result


def calls(double: ZulipDouble, org: Org, path: str, status: int | None = None) -> list[Call]:
    return [c for c in double.calls if c.who == org.bot.email and c.path.endswith(path)
            and (status is None or c.status == status)]


def from_bot(org: Org) -> list[Message]:
    return [m for m in org.double.messages() if m.sender.user_id == org.bot.user_id]


async def test_a_killed_bot_answers_what_came_meanwhile_once_and_repeats_nothing(
    org: Org, tmp_path: Path, zulip_processes: list[ZulipBotProcess]
) -> None:
    bot = ZulipBotProcess(org, tmp_path)
    zulip_processes.append(bot)
    ana = org.person("Ana Lopez")
    early = await ana.say("!tz")  # before the very first start: history, not a command
    await bot.start()
    await until(lambda: calls(org.double, org, "/events"), "the bot's first poll")
    await ana.say("!tz Europe/Oslo")
    await ana.expect(r"Europe/Oslo")
    await bot.kill()
    await ana.say("!tz Europe/Berlin")
    await ana.tell_bot("tz")
    await bot.start()
    await ana.expect(r"Europe/Berlin", topic="general")
    await ana.expect(r"time zone", direct=True)  # conversations run side by side
    rows = await bot.wait_for_rows(lambda rows: len(rows) == 3 and all(r.sent_at for r in rows),
                                   "three answers sent")
    assert f"reply:zulip:{early}" not in {r.dedupe_key for r in rows}
    assert len(from_bot(org)) == 3


async def test_an_expired_queue_is_registered_again_and_the_gap_answered(
    org: Org, zulip_bot: ZulipBot
) -> None:
    ana = org.person("Ana Lopez")
    await ana.say("!tz Europe/Oslo")
    await ana.expect(r"Europe/Oslo")
    registered = len(calls(org.double, org, "/register"))
    org.double.outage(True)  # the bot is away long enough for its queue to expire
    await until(lambda: calls(org.double, org, "/events", 502), "a failed poll")
    assert org.double.expire_queues(org.bot) == 1
    org.double.post(ana.user, "!tz Europe/Berlin", stream=org.channel, topic="general")
    org.double.post(ana.user, "!tz", to=(org.bot,))
    org.double.outage(False)
    await ana.expect(r"Europe/Berlin", topic="general")
    await ana.expect(r"time zone", direct=True)
    assert len(calls(org.double, org, "/register")) == registered + 1
    assert calls(org.double, org, "/events", 400)  # BAD_EVENT_QUEUE_ID
    await ana.say("!tz")
    await ana.expect(r"Europe/Berlin", topic="general")
    assert len(from_bot(org)) == 4  # nothing answered twice


async def test_after_an_outage_the_bot_answers_within_seconds(
    org: Org, zulip_bot: ZulipBot
) -> None:
    ana = org.person("Ana Lopez")
    org.double.outage(True)
    await until(lambda: len(calls(org.double, org, "/events", 502)) >= 3,
                "three failed polls (with backoff, not a busy loop)")
    failed = calls(org.double, org, "/events", 502)
    org.double.outage(False)
    started = time.monotonic()
    await ana.say("!help")
    await ana.expect(r"tz")
    assert time.monotonic() - started < 5.0
    assert len(failed) < 40  # backoff capped at 0.5 s: a few a second, not thousands


async def test_rate_limits_are_waited_out_and_the_answer_lands_once(
    org: Org, zulip_bot: ZulipBot
) -> None:
    ana = org.person("Ana Lopez")
    org.double.rate_limit(2, retry_after=0.5, who=org.bot, path="/messages")
    started = time.monotonic()
    await ana.say("!tz")
    await ana.expect(r"time zone")
    assert time.monotonic() - started >= 1.0  # two Retry-After waits of 0.5 s
    assert len(calls(org.double, org, "/messages", 429)) == 2
    assert len(from_bot(org)) == 1


async def test_a_message_in_flight_at_a_crash_is_not_sent_twice(
    org: Org, zulip_bot: ZulipBot
) -> None:
    ana = org.person("Ana Lopez")
    transport = zulip_bot.transport
    assert zulip_bot.app is not None
    state = StateStore(zulip_bot.app.sessions, "zulip")
    note = await transport.sender.in_flight_note(ana.key)
    # The crashed run noted the message in flight, and it had landed.
    before = org.double.messages()[-1].id if org.double.messages() else 0
    landed = org.double.post(org.bot, "You got a seat in R1.", to=(ana.user,))
    await state.set(note, f"reply:zulip:1#0|{before}")
    await transport.deliver(Outgoing("You got a seat in R1.", user=ana.key, key="reply:zulip:1"))
    assert [m.id for m in from_bot(org)] == [landed.id]
    # Noted in flight but it had not landed (only an older one with the same text): sent.
    await state.set(note, f"reply:zulip:2#0|{landed.id}")
    await transport.deliver(Outgoing("You got a seat in R1.", user=ana.key, key="reply:zulip:2"))
    assert [m.content for m in from_bot(org)] == ["You got a seat in R1."] * 2
    # A message not noted before is sent without looking, and noted.
    await transport.deliver(Outgoing("You got a seat in R1.", user=ana.key, key="reply:zulip:3"))
    assert len(from_bot(org)) == 3
    assert (await state.get(note) or "").startswith("reply:zulip:3#0|")


async def test_a_rejected_api_key_stops_the_bot_with_exit_code_3(
    org: Org, tmp_path: Path, zulip_processes: list[ZulipBotProcess]
) -> None:
    bot = ZulipBotProcess(org, tmp_path, api_key="wrong-key")
    zulip_processes.append(bot)
    await bot.start()
    assert bot.process is not None
    assert await asyncio.wait_for(bot.process.wait(), timeout=30) == 3
    assert "rejects the e-mail" in bot.output()


async def test_queues_lost_at_once_are_registered_again_with_backoff(
    org: Org, zulip_bot: ZulipBot
) -> None:
    ana = org.person("Ana Lopez")
    before = len(calls(org.double, org, "/register"))
    org.double.lose_queues_at_first_poll(3)
    org.double.expire_queues(org.bot)  # the poll under way ends; the next ones find none
    await until(lambda: len(calls(org.double, org, "/register")) >= before + 4,
                "four new registrations")
    registered = [c.at for c in calls(org.double, org, "/register")][before:]
    assert min(b - a for a, b in itertools.pairwise(registered)) >= 0.1
    await ana.say("!help")
    await ana.expect(r"tz")


async def test_a_command_the_locked_database_cannot_take_is_answered_after_the_lock_once(
    org: Org, tmp_path: Path
) -> None:
    bot = ZulipBot(org, tmp_path / "locked.db", busy_timeout_seconds=0.1)
    await bot.start()
    try:
        ana = org.person("Ana Lopez")
        registered = len(calls(org.double, org, "/register"))
        other = sqlite3.connect(tmp_path / "locked.db", isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")  # a backup or a sqlite3 shell holding the file
        try:
            await ana.say("!tz Europe/Berlin")
            # The command could not be taken: the position stays, a new queue is
            # registered after a pause and the gap is read again from the history.
            await until(lambda: len(calls(org.double, org, "/register")) > registered,
                        "a registration after the failed command")
        finally:
            other.rollback()
            other.close()
        await ana.expect(r"Europe/Berlin")
        await ana.say("!tz")
        await ana.expect(r"Europe/Berlin")
        assert len(from_bot(org)) == 2  # answered once, after the lock
    finally:
        await bot.stop()
