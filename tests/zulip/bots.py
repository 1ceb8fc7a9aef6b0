"""The bot against the Zulip API double: in this process (`ZulipBot`) or as a real
`classroom-bot run` process (`ZulipBotProcess`, for kill and restart tests)."""

from __future__ import annotations

import asyncio
import json
import secrets
from pathlib import Path

import pytest

from bot.app import App, network_app
from bot.clock import Clock
from bot.config import BotSettings, DatabaseSettings, FeedbackSettings, Settings
from bot.transport.zulip import ZulipTransport
from bot.transport.zulip_network import ZulipSettings
from tests.e2e.process import RunProcess
from tests.zulip.people import Org


class ZulipBot:
    """The whole bot in this process against the double."""

    def __init__(
        self, org: Org, db_path: Path, *, organizers: tuple[str, ...] = (),
        organizer_roles: tuple[str, ...] = (), clock: Clock | None = None,
        busy_timeout_seconds: float = 30.0, poll_channel: str | None = None,
    ) -> None:
        self.org = org
        self.clock = clock
        self.settings = Settings(
            database=DatabaseSettings(url=f"sqlite+aiosqlite:///{db_path}",
                                      busy_timeout_seconds=busy_timeout_seconds),
            networks={"zulip": ZulipSettings(
                site=org.double.url, email=org.bot.email, api_key=org.bot.api_key,
                organizers=organizers, organizer_roles=organizer_roles,
                max_retry_wait_seconds=0.5, poll_channel=poll_channel,
            )},
            feedback=FeedbackSettings(key=secrets.token_hex(16)),
            bot=BotSettings(),
            source="<zulip e2e>",
        )
        self.app: App | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def transport(self) -> ZulipTransport:
        assert self.app is not None and isinstance(self.app.transport, ZulipTransport)
        return self.app.transport

    async def start(self, within: float = 20.0) -> None:
        self.app = network_app(self.settings, self.clock)
        self._task = asyncio.create_task(self.app.run(), name="zulip bot")
        ready = asyncio.ensure_future(self.transport.ready.wait())
        done, _ = await asyncio.wait({ready, self._task}, timeout=within,
                                     return_when=asyncio.FIRST_COMPLETED)
        ready.cancel()
        if self._task in done:
            self._task.result()
            pytest.fail("the bot stopped before it was connected")
        if not done:
            pytest.fail(f"the bot was not connected within {within:.0f} s")

    async def stop(self) -> None:
        if self.app is not None and self._task is not None and not self._task.done():
            self.app.stop()
            await asyncio.wait_for(self._task, timeout=30)


class ZulipBotProcess(RunProcess):
    """`classroom-bot run` on a [zulip] configuration, as a child process."""

    def __init__(
        self, org: Org, workdir: Path, *, organizers: tuple[str, ...] = (),
        api_key: str | None = None,
    ) -> None:
        super().__init__(workdir)
        self.write_config(
            f'[zulip]\nsite = "{org.double.url}"\nemail = "{org.bot.email}"\n'
            f'api_key = "{api_key or org.bot.api_key}"\n'
            f"organizers = {json.dumps(list(organizers))}\n"
            "max_retry_wait_seconds = 0.5\n"
        )
