"""Composition root: builds the parts, starts them in order, stops them in reverse.

An `App` hosts a list of components, each with `start()` and `stop()`: the
outbox worker, the scheduler, the reminders and the transports (their intake
of messages). They start in that order: the worker first hands on what the
previous run left unsent (a transport's `deliver` waits for its login), so
those rows go out before anything newer to the same target; then reminders
that fell due while the bot was down are delivered and the next one is armed.
They stop in reverse: the transports stop taking messages and let the commands being handled
commit (handing their rows to the worker), then the scheduler, then the worker
(what it has not sent stays in the outbox table for the next start). A
command's answer flows: transport -> `App.handle` -> dispatcher
(one transaction: effects + outbox rows) -> worker -> transport.

`run(settings)` is the `classroom-bot run` entry point: the transports are
those of the networks whose sections the configuration holds (one, or several
in one process sharing the database; each outbox row is sent by its network's
transport; bot/networks.py), and SIGTERM or SIGINT stop the app; a second signal stops at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol, cast

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot import logs, metrics, networks
from bot.clock import Clock, SystemClock
from bot.commands import feedback_form
from bot.commands.dispatcher import Dispatcher
from bot.commands.registry import KINDS, build_kinds, build_registry
from bot.config import ConfigError, Settings
from bot.db import migrate
from bot.db.engine import (
    create_engine,
    create_reader_sessionmaker,
    create_sessionmaker,
    exposed,
    writing,
)
from bot.db.state import StateStore
from bot.messages import Handler, Incoming, LoginFailed, Vote
from bot.networks import Wiring
from bot.outbox.worker import OutboxWorker, Sent
from bot.scheduling.asking import Asker
from bot.scheduling.chats import ChatArchiver
from bot.scheduling.delivery import ReminderService
from bot.scheduling.housekeeping import (
    PRUNE_INTERVAL,
    prune_handled_events,
    prune_sent_messages,
)
from bot.scheduling.scheduler import create_scheduler
from bot.services import polls
from bot.transport.base import Transport
from bot.transport.capabilities import DecidesOrganizers, PowerLevels

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_LOGIN_FAILED = 3
EXIT_INTERRUPTED = 130

# One transport, or several (one per configured network, in one process).
TransportFactory = Callable[["App"], "Transport | Sequence[Transport]"]


class Component(Protocol):
    """A long-lived part of the app."""

    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class TransportService:
    """A transport's intake as a component: `start` runs it, `stop` ends it."""

    def __init__(self, transport: Transport, handler: Handler) -> None:
        self.transport = transport
        self.handler = handler
        self.name = f"{transport.network} transport"
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.task = asyncio.create_task(self.transport.run(self.handler), name=self.name)

    async def stop(self) -> None:
        """Stop taking messages; the ones being handled commit first."""
        await self.transport.stop()
        if self.task is not None:
            await asyncio.wait({self.task})


class SchedulerService:
    """The in-memory scheduler, its jobs rebuilt from the database at start."""

    name = "scheduler"

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self.scheduler = create_scheduler()
        self.sessions = sessions
        self.clock = clock

    async def start(self) -> None:
        for job, name in ((prune_handled_events, "prune-handled-events"),
                          (prune_sent_messages, "prune-sent-messages")):
            self.scheduler.add_job(
                job,
                "interval",
                seconds=PRUNE_INTERVAL.total_seconds(),
                args=(self.sessions, self.clock),
                id=name,
                replace_existing=True,
            )
        self.scheduler.start()

    async def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)


class App:
    """The whole bot on its transports (one per network). The transports are built
    from the app, so they can use the app's sessions (for their own state) and clock."""

    def __init__(
        self, settings: Settings, make_transport: TransportFactory, clock: Clock | None = None
    ) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.engine: AsyncEngine = create_engine(
            settings.database.url, busy_timeout_s=settings.database.busy_timeout_seconds
        )
        self.sessions: async_sessionmaker[AsyncSession] = create_sessionmaker(self.engine)
        made = make_transport(self)
        networks: list[Transport] = (
            list(made) if isinstance(made, list | tuple) else [cast(Transport, made)])
        self.transports: dict[str, Transport] = {t.network: t for t in networks}
        self.transport = networks[0]  # the first network (the only one, mostly)
        self.intakes = [TransportService(t, self.handle) for t in networks]
        self.intake = self.intakes[0]
        # Each outbox row names its network: the worker routes it to that transport.
        self.worker = OutboxWorker(self.sessions, self.clock, self.transports,
                                   edit_gap_s=settings.status.edit_interval_seconds)
        self.scheduling = SchedulerService(self.sessions, self.clock)
        self.scheduler = self.scheduling.scheduler  # where timed jobs are added
        # Reminders that ask offer a form as the commands declare it.
        self.reminders = ReminderService(
            self.sessions, self.clock, settings, self.worker, self.scheduler,
            asker=Asker(KINDS, feedback_form.subject),
        )
        self.chats = ChatArchiver(self.sessions, self.clock, settings, self.scheduler,
                                  self.worker.hand)
        self.dispatcher = Dispatcher(
            build_registry(), self.sessions, self.clock, settings, self._power_level,
            readers=create_reader_sessionmaker(self.engine), after_change=self.reminders.rearm,
            network_organizers=self._network_organizer, kinds=build_kinds(),
        )
        self.components: list[Component] = [
            self.worker, self.scheduling, self.reminders, self.chats, *self.intakes
        ]
        if settings.http.listen is not None:
            from bot.web.server import WebServer  # aiohttp's server loads only when used

            self.web: WebServer | None = WebServer(
                settings.http.listen, create_reader_sessionmaker(self.engine), self.clock,
                prefix=settings.bot.prefix, transports=self.transports,
                sync_max_age=timedelta(seconds=settings.http.sync_max_age_seconds),
            )
            # Before the intakes: the page is up while the transports log in.
            self.components.insert(4, self.web)
        else:
            self.web = None
        self._timers: set[asyncio.Task[None]] = set()
        self._started: list[Component] = []
        self._stop = asyncio.Event()

    async def _power_level(self, network: str, room: str, user: str) -> int | None:
        """A power level in the organizers' room, asked of the asker's own network only:
        a user id of one network says nothing about a room of another (whatever the
        room's `users_default`)."""
        transport = self.transports.get(network)
        if not isinstance(transport, PowerLevels):
            return None  # not running here, or a network without power levels
        return await transport.power_level(room, user)

    async def _network_organizer(self, network: str, user: str) -> bool:
        """Whether the person's own network makes them an organizer (its roles, its
        section's organizers); networks without such a notion say no."""
        transport = self.transports.get(network)
        return isinstance(transport, DecidesOrganizers) and await transport.is_organizer(user)

    async def start(self) -> None:
        """Prepare the database, then start every component in order.

        Raises SchemaError on a bad schema (nothing started then).
        """
        await migrate.prepare(self.engine, auto_migrate=self.settings.database.auto_migrate)
        for component in self.components:
            await component.start()
            self._started.append(component)

    async def handle_vote(self, vote: Vote) -> None:
        """Record a vote on one of the bot's polls (bot/services/polls.py), queued
        behind the other writes like any of them."""
        async with writing(self.sessions) as session:
            await polls.record_vote(session, self.settings, vote, self.clock.now())

    async def handle(self, message: Incoming) -> Sent:
        """Run a command; its answer is committed, and on its way when this returns."""
        deliveries = await self.dispatcher.handle(message)
        sent = self.worker.hand(deliveries)
        if deliveries and message.sent_at is not None:
            self._time_reply(sent, message.sent_at)
        return sent

    def _time_reply(self, sent: Sent, since: datetime) -> None:
        """Observe the reply latency (event to send) for /metrics, off the asker's path."""

        async def observe() -> None:
            await sent.wait()
            elapsed = (self.clock.now() - since).total_seconds()
            metrics.REPLY_LATENCY.observe(max(0.0, elapsed))

        task = asyncio.create_task(observe())
        self._timers.add(task)
        task.add_done_callback(self._timers.discard)

    def stop(self) -> None:
        """Ask `run()` to stop (from a signal handler, or a test)."""
        self._stop.set()

    async def run(self) -> None:
        """Start, serve until asked to stop or a transport ends, then stop everything."""
        await self.start()
        intakes = {intake.task for intake in self.intakes if intake.task is not None}
        stopping = asyncio.ensure_future(self._stop.wait())
        try:
            await asyncio.wait({*intakes, stopping}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            for intake in intakes:
                intake.cancel()  # a hard stop: the batch being handled does not finish
            raise
        finally:
            stopping.cancel()
            await self.close()
        for intake in intakes:
            if intake.done() and not intake.cancelled():
                intake.result()  # raises what ended a transport (a login that cannot work)

    async def close(self) -> None:
        """Stop the started components in reverse order and release the database."""
        while self._started:
            component = self._started.pop()
            try:
                await component.stop()
            except Exception:
                log.exception("stopping the %s failed", component.name)
        await self.engine.dispose()


# -- the `classroom-bot run` entry point -----------------------------------------


def network_app(settings: Settings, clock: Clock | None = None) -> App:
    """The bot on the networks whose sections its configuration holds (one database;
    a person on each network is a different person)."""
    configured = [(make, network.name, section)
                  for network, section in networks.configured(settings)
                  if (make := network.transport) is not None]
    if not configured:
        named = " or ".join(f"[{network.name}]" for network in networks.every()
                            if network.transport is not None)
        raise ConfigError(f"{settings.source}: a {named} section is required to run the bot")

    def make_transports(app: App) -> list[Transport]:
        return [make(Wiring(settings, section, StateStore(app.sessions, name), app.clock,
                            app.handle_vote))
                for make, name, section in configured]

    app = App(settings, make_transports, clock)
    for problem in exposed(settings.database.url):
        log.warning(
            "%s: other users of this machine can open it, and the database holds the bot's "
            "access tokens (chmod 600 the files, 700 the folder)", problem,
        )
    return app


def run(settings: Settings) -> int:
    """Run the bot until SIGTERM or SIGINT; the process exit code.

    The first signal stops taking commands, lets the ones being handled commit,
    and exits; their answers that were not sent yet go out at the next start.
    A second signal stops at once.
    """
    # The bot's own loggers at bot.log_level, libraries' at WARNING (a network client logs
    # every event, aiosqlite every SQL parameter), and no secret in any record.
    logs.configure(settings)
    try:
        return asyncio.run(_serve(settings))
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


async def _serve(settings: Settings) -> int:
    app = network_app(settings)
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    signals: list[str] = []

    def on_signal(name: str) -> None:
        signals.append(name)
        if len(signals) == 1:
            log.info("%s: stopping once the commands being handled are done", name)
            app.stop()
        elif main is not None:
            log.warning("%s again: stopping now", name)
            main.cancel()

    installed = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):  # not on Windows' default loop
            loop.add_signal_handler(sig, on_signal, sig.name)
            installed.append(sig)
    try:
        await app.run()
    except LoginFailed as exc:
        log.error("%s", exc)
        print(f"classroom-bot: {exc}", file=sys.stderr)
        return EXIT_LOGIN_FAILED
    except asyncio.CancelledError:
        return EXIT_INTERRUPTED
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
    return EXIT_OK
