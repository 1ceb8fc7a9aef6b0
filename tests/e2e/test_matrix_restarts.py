"""Restarts, outages and logins: the bot neither repeats nor skips a command.

The bot is stopped and started again around commands, its saved sync token is
rewound as a crash would leave it, the homeserver is killed and brought back,
its access token is revoked, and the real `classroom-bot run` process is sent
SIGTERM.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from nio import AsyncClient, JoinResponse

from bot.app import EXIT_LOGIN_FAILED, run
from bot.config import DatabaseSettings, Settings
from bot.messages import Delivered, Handler, Incoming
from bot.transport.matrix import STATE_ACCESS_TOKEN, STATE_SYNC_TOKEN
from bot.transport.matrix_network import MatrixSettings
from tests.e2e.conftest import unique
from tests.e2e.homeserver import Homeserver
from tests.e2e.process import BotProcess

if TYPE_CHECKING:
    from tests.e2e.bots import BotRunner
    from tests.e2e.conftest import ChatUser

MakeUser = Callable[..., Awaitable["ChatUser"]]
MakeBot = Callable[..., Awaitable["BotRunner"]]
RoomWith = Callable[..., Awaitable[str]]
Timing = Callable[[str, float], None]

# How long the homeserver stays down in the outage test: the scenario, not a wait.
OUTAGE_S = 6.0


class OffsetClock:
    """The real time, shifted: lets a test make the bot believe messages are old."""

    moves_by_itself = True

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


async def answered(user: ChatUser, room: str, bot: BotRunner, text: str) -> str:
    """Say something and wait for the bot's reply; the command's event id."""
    command = await user.say(room, text)
    await user.expect_reply(room, command, sender=bot.user_id)
    return command


async def test_a_restart_does_not_answer_a_command_again(
    make_user: MakeUser, make_bot: MakeBot, room_with: RoomWith, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await make_bot()
    ana = await make_user("ana")
    room = await room_with(ana, bot)
    await answered(ana, room, bot, "!tz")
    before = await bot.state(STATE_SYNC_TOKEN)
    assert before is not None
    command = await answered(ana, room, bot, "!help")

    await bot.stop()
    await bot.start()
    await answered(ana, room, bot, "!tz")

    # A crash after the command was handled but before the sync token was saved:
    # the homeserver delivers the command again, and the bot must recognise it.
    await bot.stop()
    await bot.set_state(STATE_SYNC_TOKEN, before)
    with caplog.at_level(logging.INFO, logger="bot.commands.dispatcher"):
        await bot.start()
        await answered(ana, room, bot, "!tz")
    assert f"skipping {command}: already handled" in caplog.text

    assert len(await ana.replies_in_history(room, command, bot.user_id)) == 1


async def test_a_command_sent_while_the_bot_is_down_is_answered_once(
    make_user: MakeUser, make_bot: MakeBot, room_with: RoomWith, timing: Timing
) -> None:
    bot = await make_bot()
    ana = await make_user("ana")
    room = await room_with(ana, bot)
    await answered(ana, room, bot, "!tz")
    await bot.stop()
    assert await bot.state(STATE_SYNC_TOKEN) is not None

    command = await ana.say(room, "!help")
    started = time.monotonic()
    await bot.start()
    await ana.expect_reply(room, command, sender=bot.user_id)
    timing("missed command answered after start (s)", time.monotonic() - started)

    await answered(ana, room, bot, "!tz")
    assert len(await ana.replies_in_history(room, command, bot.user_id)) == 1


async def test_a_crash_while_a_command_is_handled_loses_nothing(
    make_user: MakeUser, make_bot: MakeBot, room_with: RoomWith
) -> None:
    bot = await make_bot()
    ana = await make_user("ana")
    room = await room_with(ana, bot)
    await answered(ana, room, bot, "!tz")
    await bot.stop()

    reached = asyncio.Event()

    def stall(handle: Handler) -> Handler:
        async def stalled(message: Incoming) -> Delivered:
            if message.body == "!tz Europe/Oslo":
                reached.set()
                await asyncio.Event().wait()  # never returns: the crash comes first
            return await handle(message)

        return stalled

    bot.wrap_handler = stall
    await bot.start()
    command = await ana.say(room, "!tz Europe/Oslo")
    await asyncio.wait_for(reached.wait(), timeout=15)
    await bot.crash()  # mid-batch: its sync token must not have been saved

    bot.wrap_handler = None
    await bot.start()
    await ana.expect_reply(room, command, sender=bot.user_id)
    await answered(ana, room, bot, "!tz")
    assert len(await ana.replies_in_history(room, command, bot.user_id)) == 1


async def test_the_first_start_leaves_earlier_messages_unanswered(
    homeserver: Homeserver, make_user: MakeUser, make_bot: MakeBot
) -> None:
    bot = await make_bot(start=False)
    ana = await make_user("ana")
    room = await ana.create_room((bot.user_id,))
    # The bot's account joins before the bot ever ran (say, by hand in a client).
    by_hand = AsyncClient(homeserver.url, bot.user_id)
    by_hand.restore_login(bot.user_id, bot.account.device_id, bot.account.access_token)
    try:
        assert isinstance(await by_hand.join(room), JoinResponse)
    finally:
        await by_hand.close()
    old = await ana.say(room, "!help")

    # Nor what was said in a room the bot was invited to before it first ran.
    invited = await ana.create_room((bot.user_id,))
    before_join = await ana.say(invited, "!help")

    await bot.start()
    await answered(ana, room, bot, "!tz")
    assert await ana.replies_in_history(room, old, bot.user_id) == []
    await ana.wait_for_membership(invited, bot.user_id, "join")
    await answered(ana, invited, bot, "!tz")
    assert await ana.replies_in_history(invited, before_join, bot.user_id) == []


async def test_commands_older_than_the_limit_are_left_unanswered(
    make_user: MakeUser, make_bot: MakeBot, room_with: RoomWith
) -> None:
    clock = OffsetClock()
    bot = await make_bot(clock=clock)
    ana = await make_user("ana")
    room = await room_with(ana, bot)
    await answered(ana, room, bot, "!tz")
    await bot.stop()

    old = await ana.say(room, "!help")
    clock.offset = timedelta(minutes=11)  # the bot comes back 11 minutes later (limit: 10)
    await bot.start()  # returns once the missed messages were looked at
    clock.offset = timedelta(0)
    await answered(ana, room, bot, "!tz")
    assert await ana.replies_in_history(room, old, bot.user_id) == []


async def test_after_a_homeserver_crash_the_bot_answers_within_5_s(
    homeserver: Homeserver, make_user: MakeUser, make_bot: MakeBot, room_with: RoomWith,
    timing: Timing,
) -> None:
    bot = await make_bot(start=False)
    cap = MatrixSettings().max_retry_wait_seconds  # the shipped default, 2 s
    bot.configure(max_retry_wait_seconds=cap)
    await bot.start()
    ana = await make_user("ana")
    room = await room_with(ana, bot)
    await answered(ana, room, bot, "!tz")

    requests_before = bot.request_count
    await asyncio.to_thread(homeserver.kill)
    down = time.monotonic()
    try:
        await asyncio.sleep(OUTAGE_S)  # the outage itself; nothing is awaited here
    finally:
        await asyncio.to_thread(homeserver.start)
    back = time.monotonic()
    requests_while_down = bot.request_count - requests_before
    tries = [down, *(t for t in bot.request_times if down <= t <= back), back]
    longest_silence = max(later - earlier for earlier, later in itertools.pairwise(tries))

    command = await ana.say(room, "!tz")
    await ana.expect_reply(room, command, sender=bot.user_id, within=5.0)
    answer_after = time.monotonic() - back
    timing("answered after the homeserver was back (s)", answer_after)
    timing(f"requests during a {OUTAGE_S:.0f} s outage + boot (count)", requests_while_down)
    timing("longest pause between tries while down (s)", longest_silence)
    assert answer_after < 5.0
    # Backoff capped at 2 s: a try every second or two, never a spin...
    assert 2 <= requests_while_down <= 40, requests_while_down
    # ...and never a long silence: the cap, plus slack for a slow failed request.
    assert longest_silence < cap + 1.0, longest_silence


async def test_a_revoked_access_token_is_replaced_by_a_new_login(
    homeserver: Homeserver, make_user: MakeUser, make_bot: MakeBot, room_with: RoomWith,
    http: Callable[..., dict[str, Any]],
) -> None:
    bot = await make_bot()
    ana = await make_user("ana")
    room = await room_with(ana, bot)
    await answered(ana, room, bot, "!tz")
    token = await bot.state(STATE_ACCESS_TOKEN)
    assert token is not None

    await asyncio.to_thread(http, homeserver, token, "POST", "/_matrix/client/v3/logout", {})
    await answered(ana, room, bot, "!tz")
    await answered(ana, room, bot, "!help")
    renewed = await bot.state(STATE_ACCESS_TOKEN)
    assert renewed is not None and renewed != token


async def test_a_configured_access_token_needs_no_password(
    make_user: MakeUser, make_bot: MakeBot, room_with: RoomWith
) -> None:
    bot = await make_bot(start=False)
    bot.configure(access_token=bot.account.access_token, password=None)
    await bot.start()
    ana = await make_user("ana")
    room = await room_with(ana, bot)
    await answered(ana, room, bot, "!help")
    assert await bot.state(STATE_ACCESS_TOKEN) is None  # nothing to save: no login happened


def test_a_rejected_token_without_password_exits_with_a_clear_message(
    homeserver: Homeserver, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    account = homeserver.register(unique("bot"))
    settings = Settings(
        database=DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"),
        networks={"matrix": MatrixSettings(
            homeserver=homeserver.url, user_id=account.user_id, access_token="not-a-token"
        )},
    )
    assert run(settings) == EXIT_LOGIN_FAILED
    error = capsys.readouterr().err
    assert "rejected the access token" in error
    assert "no matrix.password" in error


async def test_sigterm_stops_the_bot_process_cleanly(
    homeserver: Homeserver, make_user: MakeUser, tmp_path: Path, timing: Timing
) -> None:
    bot = BotProcess(homeserver, tmp_path, unique("bot"))
    await bot.start()
    try:
        ana = await make_user("ana")
        room = await ana.create_room((bot.user_id,))
        await ana.wait_for_membership(room, bot.user_id, "join", within=30)
        command = await ana.say(room, "!help")
        await ana.expect_reply(room, command, sender=bot.user_id)

        started = time.monotonic()
        # The bot is in a 30 s long-poll: a clean stop must not wait for it.
        code = await bot.terminate(within=15)
        timing("exit after SIGTERM (s)", time.monotonic() - started)
    finally:
        await bot.close()
    assert code == 0, bot.output()
    assert "stopping once the commands being handled are done" in bot.output()
