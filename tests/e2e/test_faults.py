"""Faults on the real homeserver: nothing is lost, nothing is answered twice.

- the bot process killed with SIGKILL in the middle of a burst of 100 commands:
  after it starts again every command is answered exactly once;
- the homeserver frozen (SIGSTOP) for 30 s: the bot answers within 5 s of SIGCONT
  (a homeserver killed and restarted: test_matrix_restarts.py);
- the bot's device deleted through Synapse's admin API: a fresh login with the
  password, or, with only an access token configured, a clear message and exit
  code 3;
- the SQLite database locked by another process for 10 s, longer than the bot's
  busy timeout (2 s here): the commands are handled again until the database is
  free and answered then, once; nothing half written, the bot keeps running.

Each test records its figures in the "e2e timings" section (docs/reliability.md).
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from sqlalchemy import select

from bot.app import EXIT_LOGIN_FAILED
from bot.db.engine import create_engine, create_sessionmaker
from bot.db.models import DeliveryStatus, OutboxMessage, Person
from bot.transport.matrix import STATE_ACCESS_TOKEN, STATE_DEVICE_ID
from bot.transport.matrix_network import MatrixSettings
from tests.e2e.conftest import reply_target, unique
from tests.e2e.homeserver import Homeserver
from tests.e2e.process import BotProcess

if TYPE_CHECKING:
    from tests.e2e.bots import BotRunner
    from tests.e2e.conftest import ChatUser

MakeUser = Callable[..., Awaitable["ChatUser"]]
MakeBot = Callable[..., Awaitable["BotRunner"]]
RoomWith = Callable[..., Awaitable[str]]
Http = Callable[..., dict[str, Any]]
Timing = Callable[[str, float], None]

BURST = 100
SENDERS = 4
# The scenarios' durations (what happens to the bot), not waits for a result.
FREEZE_S = 30.0
LOCK_S = 10.0
BUSY_S = 2.0


async def answered(user: ChatUser, room: str, bot_id: str, text: str, within: float = 15) -> str:
    command = await user.say(room, text)
    await user.expect_reply(room, command, sender=bot_id, within=within)
    return command


async def talking_to(bot: BotProcess, make_user: MakeUser) -> tuple[ChatUser, str]:
    """A person in a room with the bot process, which has answered them once."""
    ana = await make_user("ana")
    room = await ana.create_room((bot.user_id,))
    await ana.wait_for_membership(room, bot.user_id, "join", within=30)
    await answered(ana, room, bot.user_id, "!tz", within=30)
    return ana, room


def reply_rows(rows: list[OutboxMessage], commands: set[str]) -> int:
    return sum(1 for row in rows if row.dedupe_key.removeprefix("reply:matrix:") in commands)


async def test_sigkill_in_a_burst_of_100_commands_answers_each_exactly_once(
    homeserver: Homeserver, make_user: MakeUser, tmp_path: Path, timing: Timing
) -> None:
    bot = BotProcess(homeserver, tmp_path, unique("bot"))
    await bot.start()
    try:
        people = [await make_user(f"p{n}") for n in range(SENDERS)]
        room = await people[0].create_room((bot.user_id,), public=True)
        await people[0].wait_for_membership(room, bot.user_id, "join", within=30)
        for person in people[1:]:
            await person.join(room)
        await answered(people[0], room, bot.user_id, "!tz", within=30)

        sent: list[str] = []

        async def send(person: ChatUser) -> None:
            for n in range(BURST // SENDERS):  # reads and writes, one after the other
                sent.append(await person.say(room, "!tz Europe/Oslo" if n % 2 else "!tz"))

        burst = asyncio.gather(*(send(p) for p in people))
        await bot.wait_for_rows(lambda rows: reply_rows(rows, set(sent)) >= BURST // 4,
                                "a quarter of the burst answered")
        await bot.kill()
        at_kill = reply_rows(await bot.rows(), set(sent))
        sent_at_kill = len(sent)
        await burst
        commands = set(sent)
        assert len(commands) == BURST and at_kill < BURST, (at_kill, sent_at_kill)

        restarted = time.monotonic()
        await bot.start()
        rows = await bot.wait_for_rows(
            lambda rows: reply_rows(rows, commands) == BURST
            and all(row.status == DeliveryStatus.SENT for row in rows),
            "every command answered and sent", within=60,
        )
        timing("burst: commands answered before the SIGKILL (count)", at_kill)
        timing("burst: answered after the restart (count)", BURST - at_kill)
        timing("burst: all answered after the restart (s)", time.monotonic() - restarted)
        assert len({row.dedupe_key for row in rows}) == len(rows)
        history = await people[0].history(room)
        answers = Counter(reply_target(e) for e in history if e.get("sender") == bot.user_id)
        assert {c: answers[c] for c in commands} == dict.fromkeys(commands, 1)
    finally:
        await bot.close()


async def test_a_homeserver_frozen_for_30_s_is_answered_within_5_s_of_thawing(
    homeserver: Homeserver, make_user: MakeUser, make_bot: MakeBot, room_with: RoomWith,
    timing: Timing,
) -> None:
    bot = await make_bot(start=False)
    bot.configure(max_retry_wait_seconds=MatrixSettings().max_retry_wait_seconds)
    await bot.start()
    ana = await make_user("ana")
    room = await room_with(ana, bot)
    await answered(ana, room, bot.user_id, "!tz")

    before = bot.request_count
    await asyncio.to_thread(homeserver.freeze)
    try:
        await asyncio.sleep(FREEZE_S)  # the outage itself; nothing is awaited here
    finally:
        await asyncio.to_thread(homeserver.thaw)
    thawed = time.monotonic()
    requests_while_frozen = bot.request_count - before

    command = await ana.say(room, "!tz")
    await ana.expect_reply(room, command, sender=bot.user_id, within=5.0)
    recovery = time.monotonic() - thawed
    timing("frozen 30 s: answered after SIGCONT (s)", recovery)
    timing("frozen 30 s: requests while frozen (count)", requests_while_frozen)
    assert recovery < 5.0
    # Requests hang while the server is frozen: a few, not a spin.
    assert requests_while_frozen <= 40, requests_while_frozen


def delete_device(http: Http, server: Homeserver, user_id: str, device_id: str) -> None:
    """Log the device out through Synapse's admin API (its access tokens die with it)."""
    admin = server.register(unique("admin"), admin=True)
    http(server, admin.access_token, "DELETE",
         f"/_synapse/admin/v2/users/{quote(user_id)}/devices/{quote(device_id)}")


async def test_a_device_deleted_by_an_admin_means_a_fresh_login_with_the_password(
    homeserver: Homeserver, make_user: MakeUser, make_bot: MakeBot, room_with: RoomWith,
    http: Http,
) -> None:
    bot = await make_bot()
    ana = await make_user("ana")
    room = await room_with(ana, bot)
    await answered(ana, room, bot.user_id, "!tz")
    token, device = await bot.state(STATE_ACCESS_TOKEN), await bot.state(STATE_DEVICE_ID)
    assert token is not None and device is not None

    await asyncio.to_thread(delete_device, http, homeserver, bot.user_id, device)
    await answered(ana, room, bot.user_id, "!tz")
    await answered(ana, room, bot.user_id, "!help")
    renewed = await bot.state(STATE_ACCESS_TOKEN)
    assert renewed is not None and renewed != token
    assert bot.running


async def test_a_revoked_configured_token_without_password_exits_3_saying_why(
    homeserver: Homeserver, make_user: MakeUser, tmp_path: Path, http: Http
) -> None:
    bot = BotProcess(homeserver, tmp_path, unique("bot"), token_only=True)
    await bot.start()
    try:
        ana, room = await talking_to(bot, make_user)

        await asyncio.to_thread(
            delete_device, http, homeserver, bot.user_id, bot.account.device_id)
        unanswered = await ana.say(room, "!help")  # ends the bot's long-poll
        code = await bot.exit_code(within=30)
    finally:
        await bot.close()
    assert code == EXIT_LOGIN_FAILED, bot.output()
    assert "rejected the access token" in bot.output()
    assert "no matrix.password is configured" in bot.output()
    # What it could not send waits in the outbox for the next start, not lost.
    assert [row.status for row in await bot.rows()
            if row.dedupe_key == f"reply:matrix:{unanswered}"] in ([], [DeliveryStatus.PENDING])


LOCKER = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
db.execute("COMMIT")
"""


async def person_zone(db_url: str, user_id: str) -> str | None:
    engine = create_engine(db_url)
    try:
        async with create_sessionmaker(engine)() as session:
            person = await session.scalar(select(Person).where(Person.user_id == user_id))
            return None if person is None else person.timezone
    finally:
        await engine.dispose()


async def test_a_database_locked_for_10_s_delays_commands_and_loses_nothing(
    homeserver: Homeserver, make_user: MakeUser, tmp_path: Path, timing: Timing
) -> None:
    bot = BotProcess(homeserver, tmp_path, unique("bot"), busy_timeout_seconds=BUSY_S)
    await bot.start()
    try:
        ana, room = await talking_to(bot, make_user)

        locker = await asyncio.create_subprocess_exec(
            sys.executable, "-c", LOCKER, str(tmp_path / "bot.db"), str(LOCK_S),
            stdout=asyncio.subprocess.PIPE,
        )
        assert locker.stdout is not None
        assert await asyncio.wait_for(locker.stdout.readline(), 10) == b"locked\n"
        locked = time.monotonic()
        change = await ana.say(room, "!tz Europe/Oslo")
        read = await ana.say(room, "!workshops")
        assert await locker.wait() == 0
        unlocked = time.monotonic()
        replies = [await ana.expect_reply(room, command, sender=bot.user_id, within=15)
                   for command in (change, read)]
        timing("database locked 10 s: answered after the unlock (s)",
               time.monotonic() - unlocked)
        assert unlocked - locked >= LOCK_S * 0.9
        assert "Europe/Oslo" in replies[0]["content"]["body"]
        assert "went wrong" not in replies[1]["content"]["body"]
        assert bot.process is not None and bot.process.returncode is None
        # The change and its answer committed together, once.
        assert await person_zone(bot.db_url, ana.user_id) == "Europe/Oslo"
        keys = [row.dedupe_key for row in await bot.rows()]
        assert keys.count(f"reply:matrix:{change}") == keys.count(f"reply:matrix:{read}") == 1
        await answered(ana, room, bot.user_id, "!tz")
        assert len(await ana.replies_in_history(room, change, bot.user_id)) == 1
    finally:
        await bot.close()
    assert "left for another try" in bot.output()  # the lock did outlast the busy timeout
    assert "Traceback" not in bot.output(), bot.output()[-3000:]
