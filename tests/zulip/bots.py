"""The bot against the Zulip API double: in this process (`ZulipBot`) or as a real
`classroom-bot run` process (`ZulipBotProcess`, for kill and restart tests)."""

from __future__ import annotations

import asyncio
import json
import secrets
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import App, network_app
from bot.clock import Clock
from bot.config import BotSettings, DatabaseSettings, FeedbackSettings, Settings, ZulipSettings
from bot.db.engine import create_engine, create_sessionmaker
from bot.db.models import OutboxMessage
from bot.transport.zulip import ZulipTransport
from tests.zulip.people import Org

POLL_S = 0.05


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
            zulip=ZulipSettings(
                site=org.double.url, email=org.bot.email, api_key=org.bot.api_key,
                organizers=organizers, organizer_roles=organizer_roles,
                max_retry_wait_seconds=0.5, poll_channel=poll_channel,
            ),
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


class ZulipBotProcess:
    """`classroom-bot run` on a [zulip] configuration, as a child process."""

    def __init__(
        self, org: Org, workdir: Path, *, organizers: tuple[str, ...] = (),
        api_key: str | None = None,
    ) -> None:
        self.db_url = f"sqlite+aiosqlite:///{workdir / 'bot.db'}"
        self.config = workdir / "config.toml"
        self.log_path = workdir / "bot.log"
        self.process: asyncio.subprocess.Process | None = None
        self.config.write_text(
            f'[database]\nurl = "{self.db_url}"\n\n'
            f'[zulip]\nsite = "{org.double.url}"\nemail = "{org.bot.email}"\n'
            f'api_key = "{api_key or org.bot.api_key}"\n'
            f"organizers = {json.dumps(list(organizers))}\n"
            "max_retry_wait_seconds = 0.5\n\n"
            f'[feedback]\nkey = "{secrets.token_hex(32)}"\n',
            encoding="utf-8",
        )

    async def start(self) -> None:
        assert self.process is None or self.process.returncode is not None
        with self.log_path.open("ab") as log_file:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", "-c", str(self.config),
                stdout=log_file, stderr=asyncio.subprocess.STDOUT,
            )

    async def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        await self.process.wait()

    async def close(self) -> None:
        if self.process is not None and self.process.returncode is None:
            await self.kill()

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    async def rows(self) -> list[OutboxMessage]:
        engine = create_engine(self.db_url)
        try:
            async with create_sessionmaker(engine)() as session:
                return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        finally:
            await engine.dispose()

    async def wait_for_rows(
        self, found: Callable[[list[OutboxMessage]], bool], what: str, within: float = 30.0
    ) -> list[OutboxMessage]:
        deadline = time.monotonic() + within
        while True:
            try:
                rows = await self.rows()
            except Exception:  # no table before the first migration
                rows = []
            if found(rows):
                return rows
            if time.monotonic() >= deadline:
                pytest.fail(f"no {what} within {within:.0f} s\n{self.output()[-3000:]}")
            await asyncio.sleep(POLL_S)  # the polling interval, not a wait for the result
