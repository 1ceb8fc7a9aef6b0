"""The whole bot in the test process (App + MatrixTransport, SQLite file), against a
test homeserver; `make_bot()` in conftest.py starts these."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import select

from bot.app import App, network_app
from bot.clock import Clock
from bot.config import BotSettings, DatabaseSettings, Settings
from bot.db.engine import create_engine, create_sessionmaker
from bot.db.models import OutboxMessage
from bot.db.state import StateStore
from bot.messages import Handler
from bot.transport.matrix import NETWORK, MatrixTransport
from bot.transport.matrix_network import MatrixSettings
from tests.e2e.homeserver import Homeserver, RegisteredUser

T = TypeVar("T")


class BotRunner:
    """The whole bot, in this process, against the test homeserver."""

    def __init__(
        self,
        server: Homeserver,
        account: RegisteredUser,
        db_path: Path,
        *,
        organizers: tuple[str, ...] = (),
        allow_invites_from: tuple[str, ...] | None = None,
        clock: Clock | None = None,
        sync_timeout_seconds: int = 5,
        encryption: bool = False,
    ) -> None:
        self.server = server
        self.account = account
        self.user_id = account.user_id
        self.clock = clock
        self.settings = Settings(
            bot=BotSettings(organizers=organizers),
            database=DatabaseSettings(url=f"sqlite+aiosqlite:///{db_path}"),
            networks={"matrix": MatrixSettings(
                homeserver=server.url,
                user_id=account.user_id,
                password=account.password,
                allow_invites_from=(server.server_name,)
                if allow_invites_from is None
                else allow_invites_from,
                sync_timeout_seconds=sync_timeout_seconds,
                max_retry_wait_seconds=1.0,
                # Off unless asked: most tests' people read the bot with plain clients.
                encryption=encryption,
            )},
            source="<e2e test>",
        )
        self._task: asyncio.Task[None] | None = None
        self._app: App | None = None
        self._transport: MatrixTransport | None = None
        # HTTP requests the bot made (time.monotonic() of each) and 429 answers it got.
        self.request_times: list[float] = []
        self.rate_limited = 0
        # Wraps the app's message handler at the next start (to stall a command).
        self.wrap_handler: Callable[[Handler], Handler] | None = None

    @property
    def transport(self) -> MatrixTransport:
        assert self._transport is not None, "the bot was never started"
        return self._transport

    @property
    def app(self) -> App:
        assert self._app is not None, "the bot was never started"
        return self._app

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def configure(self, **matrix: Any) -> None:
        """Change [matrix] settings for the next start."""
        section = self.settings.network("matrix")
        assert section is not None
        self.settings = replace(self.settings, networks={"matrix": replace(section, **matrix)})

    async def start(self, within: float = 30.0) -> None:
        """Start the bot and return once its first sync has been processed."""
        assert not self.running
        app = network_app(self.settings, self.clock)
        assert isinstance(app.transport, MatrixTransport)
        self._app = app
        self._transport = app.transport
        self._count_requests(app.transport)
        if self.wrap_handler is not None:
            app.intake.handler = self.wrap_handler(app.handle)
        self._task = asyncio.create_task(app.run(), name=f"bot {self.user_id}")
        ready = asyncio.ensure_future(self._transport.ready.wait())
        done, _ = await asyncio.wait({ready, self._task}, timeout=within,
                                     return_when=asyncio.FIRST_COMPLETED)
        ready.cancel()
        if self._task in done:
            self._task.result()  # raises what stopped the bot
            pytest.fail("the bot stopped before its first sync")
        if not done:
            pytest.fail(f"the bot did not finish its first sync within {within:.0f} s")

    @property
    def request_count(self) -> int:
        return len(self.request_times)

    def _count_requests(self, transport: MatrixTransport) -> None:
        """Count the HTTP requests nio makes (retries included), and the 429s."""
        send = transport.client.send

        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.request_times.append(time.monotonic())
            response = await send(*args, **kwargs)
            if getattr(response, "status", None) == 429:
                self.rate_limited += 1
            return response

        transport.client.send = counted

    async def stop(self, within: float = 30.0) -> None:
        """Stop like SIGTERM does: the current batch commits; unsent answers stay queued
        in the outbox table for the next start."""
        if self._task is None:
            return
        assert self._app is not None
        self._app.stop()
        await asyncio.wait_for(self._task, timeout=within)
        self._task = None

    async def wait_sent(self) -> None:
        """Until the outbox worker has nothing queued."""
        assert self._app is not None
        await self._app.worker.wait_idle()

    async def outbox(self) -> list[OutboxMessage]:
        """Every outbox row, oldest first."""
        assert self.settings.database is not None
        engine = create_engine(self.settings.database.url)
        try:
            async with create_sessionmaker(engine)() as session:
                return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        finally:
            await engine.dispose()

    async def crash(self) -> None:
        """End the bot abruptly: no batch finishes, nothing more is saved or sent."""
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def state(self, key: str) -> str | None:
        return await self._with_state(lambda store: store.get(key))

    async def set_state(self, key: str, value: str | None) -> None:
        await self._with_state(lambda store: store.set(key, value))

    async def _with_state(self, action: Callable[[StateStore], Awaitable[T]]) -> T:
        assert self.settings.database is not None
        engine = create_engine(self.settings.database.url)
        try:
            return await action(StateStore(create_sessionmaker(engine), NETWORK))
        finally:
            await engine.dispose()
