"""Composition root: builds the parts, starts them in order, stops them in reverse."""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.clock import Clock, SystemClock
from bot.commands.dispatcher import Dispatcher
from bot.commands.registry import build_registry
from bot.config import Settings
from bot.db import migrate
from bot.db.engine import create_engine, create_sessionmaker
from bot.scheduling.housekeeping import PRUNE_INTERVAL, prune_handled_events
from bot.scheduling.scheduler import create_scheduler
from bot.transport.base import Incoming, Transport

log = logging.getLogger(__name__)


TransportFactory = Callable[["App"], Transport]


class App:
    """The whole bot on one transport. The transport is built from the app, so it can
    use the app's sessions (for its own state) and clock."""

    def __init__(
        self, settings: Settings, make_transport: TransportFactory, clock: Clock | None = None
    ) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.engine: AsyncEngine = create_engine(settings.database.url)
        self.sessions: async_sessionmaker[AsyncSession] = create_sessionmaker(self.engine)
        self.transport = make_transport(self)
        self.scheduler = create_scheduler()
        self.dispatcher = Dispatcher(
            build_registry(), self.sessions, self.clock, settings, self.transport.power_level
        )

    async def start(self) -> None:
        """Prepare the database and start the scheduler; raises SchemaError on a bad schema."""
        await migrate.prepare(self.engine, auto_migrate=self.settings.database.auto_migrate)
        self.scheduler.add_job(
            prune_handled_events,
            "interval",
            seconds=PRUNE_INTERVAL.total_seconds(),
            args=(self.sessions, self.clock),
            id="prune-handled-events",
            replace_existing=True,
        )
        self.scheduler.start()

    async def handle(self, message: Incoming) -> None:
        for outgoing in await self.dispatcher.handle(message):
            await self.transport.send(outgoing)

    async def run(self) -> None:
        """Start, serve until the transport stops, then shut everything down."""
        await self.start()
        try:
            await self.transport.run(self.handle)
        finally:
            await self.close()

    async def close(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        await self.engine.dispose()
