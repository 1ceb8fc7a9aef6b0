"""Matrix and Zulip in one `classroom-bot` process: a real Synapse and the Zulip API
double, one database; a person on each network is a different person."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bot.app import network_app
from bot.config import DatabaseSettings, FeedbackSettings, Settings
from bot.transport.matrix import MatrixTransport
from bot.transport.matrix_network import MatrixSettings
from bot.transport.zulip import ZulipTransport
from bot.transport.zulip_network import ZulipSettings
from tests.e2e.conftest import unique
from tests.e2e.homeserver import Homeserver
from tests.e2e.process import BOT_PASSWORD
from tests.zulip.people import Org

if TYPE_CHECKING:
    from tests.e2e.conftest import ChatUser


async def test_one_process_serves_both_networks_with_separate_people(
    homeserver: Homeserver, make_user: Callable[..., Awaitable[ChatUser]], org: Org,
    tmp_path: Path,
) -> None:
    account = homeserver.register(unique("bot"), password=BOT_PASSWORD)
    settings = Settings(
        database=DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"),
        networks={
            "matrix": MatrixSettings(homeserver=homeserver.url, user_id=account.user_id,
                                     password=BOT_PASSWORD,
                                     allow_invites_from=(homeserver.server_name,),
                                     sync_timeout_seconds=5, max_retry_wait_seconds=1.0),
            "zulip": ZulipSettings(site=org.double.url, email=org.bot.email,
                                   api_key=org.bot.api_key, max_retry_wait_seconds=0.5),
        },
        feedback=FeedbackSettings(key=secrets.token_hex(16)),
        source="<two networks>",
    )
    app = network_app(settings)
    matrix, zulip = app.transports["matrix"], app.transports["zulip"]
    assert isinstance(matrix, MatrixTransport) and isinstance(zulip, ZulipTransport)
    running = asyncio.create_task(app.run())
    try:
        ready = asyncio.gather(matrix.ready.wait(), zulip.ready.wait())
        await asyncio.wait_for(ready, timeout=30)
        ana = await make_user("ana")
        room = await ana.create_room((account.user_id,), public=True)
        await ana.wait_for_membership(room, account.user_id, "join", within=30)
        asked = await ana.say(room, "!tz Europe/Oslo")
        reply = await ana.expect_reply(room, asked, sender=account.user_id)
        assert "Europe/Oslo" in reply["content"]["body"]
        bo = org.person("Bo Berg")
        await bo.say("!tz")
        answer = await bo.expect(r"time zone")
        assert "Europe/Oslo" not in answer["content"]  # Bo is not Ana
    finally:
        app.stop()
        await asyncio.wait_for(running, timeout=30)
    if running.done() and running.exception():
        pytest.fail(f"the bot stopped with {running.exception()!r}")
