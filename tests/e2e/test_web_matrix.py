"""The web side of a bot on a real homeserver: /healthz follows the sync, /metrics counts."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from aiohttp import ClientSession

from bot.config import HttpSettings
from tests.e2e.homeserver import Homeserver
from tests.web import sample

if TYPE_CHECKING:
    from tests.e2e.bots import BotRunner
    from tests.e2e.conftest import ChatUser

MakeUser = Callable[..., Awaitable["ChatUser"]]
MakeBot = Callable[..., Awaitable["BotRunner"]]
RoomWith = Callable[..., Awaitable[str]]
# The bot's syncs long-poll 5 s (BotRunner): a healthy bot syncs at least that often.
SYNC_MAX_AGE_S = 8


async def fetch(url: str) -> tuple[int, Any]:
    async with ClientSession() as session, session.get(url) as response:
        if response.content_type == "application/json":
            return response.status, await response.json()
        return response.status, await response.text()


async def until(check: Callable[[], Awaitable[bool]], what: str, within: float) -> None:
    deadline = time.monotonic() + within
    while not await check():
        assert time.monotonic() < deadline, f"no {what} within {within:.0f} s"
        await asyncio.sleep(0.1)  # the polling interval


async def test_healthz_turns_503_while_the_homeserver_is_down_and_metrics_count(
    homeserver: Homeserver, make_user: MakeUser, make_bot: MakeBot, room_with: RoomWith
) -> None:
    bot = await make_bot(start=False)
    bot.settings = replace(
        bot.settings, http=HttpSettings(listen="127.0.0.1:0", sync_max_age_seconds=SYNC_MAX_AGE_S)
    )
    await bot.start()
    web = bot._app.web if bot._app is not None else None  # the runner keeps the app private
    assert web is not None
    [(host, port)] = web.addresses
    base = f"http://{host}:{port}"
    status, health = await fetch(base + "/healthz")
    assert status == 200 and health["checks"] == {"database": "ok", "matrix": "ok"}

    ana = await make_user("ana")
    room = await room_with(ana, bot)
    before = (await fetch(base + "/metrics"))[1]
    command = await ana.say(room, "!tz")
    await ana.expect_reply(room, command, sender=bot.user_id)
    after = (await fetch(base + "/metrics"))[1]
    counted = {"command": "tz", "outcome": "ok"}
    name = "classroom_bot_commands_total"
    assert sample(after, name, **counted) - sample(before, name, **counted) == 1
    assert ana.user_id not in after and bot.user_id not in after

    failures = "classroom_bot_sync_failures_total"
    failed_before = sample(after, failures, network="matrix")
    await asyncio.to_thread(homeserver.kill)
    try:
        async def unhealthy() -> bool:
            status, body = await fetch(base + "/healthz")
            return status == 503 and body["problems"]["matrix"].startswith("last sync")

        await until(unhealthy, "503 from /healthz", SYNC_MAX_AGE_S + 15)
        metrics = (await fetch(base + "/metrics"))[1]
        assert sample(metrics, failures, network="matrix") > failed_before
    finally:
        await asyncio.to_thread(homeserver.start)

    async def healthy() -> bool:
        return (await fetch(base + "/healthz"))[0] == 200

    await until(healthy, "200 from /healthz after the homeserver came back", 20)
