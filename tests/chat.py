"""An in-process chat with the whole bot, for transcript tests.

`await chat.say("@ana:example.org", "!tz Europe/Oslo")` runs the message
through the real dispatcher, services and a real database (a SQLite file, or
PostgreSQL: tests/databases.py); the answer
is written to the outbox and delivered by the real outbox worker to a
recording transport. `say` returns once that command's rows were delivered,
with what the bot answered (and whom else it told what).
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot import networks
from bot.app import App
from bot.clock import FrozenClock
from bot.config import BotSettings, DatabaseSettings, Settings
from bot.messages import Handler, Incoming, Outgoing, PermanentDeliveryError
from tests.databases import sqlite_at_head
from tests.zulip.mentions import unmeant_notifications

# The recording transports made since the last `take_notifying()`: after every
# test tests/conftest.py checks what they delivered (not at each delivery, so
# the benchmarks that use them time the bot alone).
_TRANSPORTS: list[RecordingTransport] = []


def take_notifying() -> list[str]:
    """Whom the messages delivered by those transports would notify without meaning
    to, on Zulip or on Matrix (tests/zulip/mentions.py); then forget them."""
    found = [f"{problem} in {message.text!r}" for transport in _TRANSPORTS
             for message in transport.sent for problem in unmeant_notifications(message)]
    _TRANSPORTS.clear()
    return found

# The transcript tests' own network: people written as on Matrix.
TEST_NETWORK = networks.register(dataclasses.replace(
    networks.get("console"), name="test", title="the test network"))

ORGANIZER = "@org:example.org"
ROOM = "!community:example.org"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class RecordingTransport:
    """A transport that keeps what the bot sends; power levels and who is in which
    room are set by the test.

    `refuse` holds targets (rooms or people) whose messages fail for good.
    """

    network = "test"

    def __init__(self, network: str | None = None) -> None:
        if network is not None:
            self.network = network  # e.g. "zulip": Zulip's rules for user ids apply
        self.sent: list[Outgoing] = []
        # Like Matrix: only a current member of a room has a power level there (its
        # own in `power_levels`, else the room's `users_default`).
        self.power_levels: dict[tuple[str, str], int] = {}
        self.users_default: dict[str, int] = {}
        self.joined: dict[str, set[str]] = {}  # room -> its current members
        self.refuse: dict[str, str] = {}
        # Edits of messages sent before (the status board's), and each message's id.
        self.edited: list[Outgoing] = []
        self.ids: dict[str, Outgoing] = {}
        self._stopped = asyncio.Event()
        _TRANSPORTS.append(self)  # what it delivers is checked for mentions

    async def run(self, handler: Handler) -> None:
        await self._stopped.wait()  # tests call App.handle directly

    async def deliver(self, message: Outgoing) -> str:
        target = message.room or message.user or ""
        if target in self.refuse:
            raise PermanentDeliveryError(self.refuse[target])
        self.sent.append(message)
        self.ids[sent_as := f"$sent{len(self.ids) + 1}"] = message
        return sent_as

    async def edit(self, message: Outgoing) -> None:
        target = message.room or message.user or ""
        if target in self.refuse:
            raise PermanentDeliveryError(self.refuse[target])
        self.edited.append(message)  # of a message sent by this transport or an earlier one

    async def stop(self) -> None:
        self._stopped.set()

    async def power_level(self, room: str, user: str) -> int | None:
        if user not in self.joined.get(room, ()):
            return None
        return self.power_levels.get((room, user), self.users_default.get(room, 0))


@dataclass
class Answer:
    """What the bot said after one message."""

    reply: str
    notices: dict[str, list[str]] = field(default_factory=dict)
    messages: list[Outgoing] = field(default_factory=list)

    def __contains__(self, text: str) -> bool:
        return text in self.reply


class Chat:
    def __init__(self, app: App, transport: RecordingTransport, clock: FrozenClock) -> None:
        self.app = app
        self.transport = transport
        self.clock = clock
        self._ids = itertools.count(1)

    @classmethod
    async def open(
        cls,
        directory: Path,
        organizers: Iterable[str] = (ORGANIZER,),
        settings: Settings | None = None,
        url: str | None = None,
        network: str | None = None,
        **sections: Any,
    ) -> Chat:
        """The bot on the database at `url` (the `bot_database_url` fixture: SQLite or
        PostgreSQL), by default a SQLite file in `directory`; `sections` replace parts
        of the settings (`bot=BotSettings(prefix=".")`, `feedback=FeedbackSettings(...)`);
        `network` names the transport's network (default "test")."""
        transport = RecordingTransport(network)
        clock = FrozenClock(START)
        settings = settings or Settings(
            bot=BotSettings(organizers=tuple(organizers)),
            database=DatabaseSettings(url=url or await sqlite_at_head(directory)),
        )
        settings = dataclasses.replace(settings, **sections)
        app = App(settings, lambda _app: transport, clock=clock)
        await app.start()
        return cls(app, transport, clock)

    async def close(self) -> None:
        await self.app.close()

    async def say(
        self,
        sender: str,
        body: str,
        *,
        direct: bool = False,
        event_id: str | None = None,
        unreadable: bool = False,
        key_missing: bool = False,
        room: str | None = None,
    ) -> Answer:
        """`room`: where it is said, if not the shared room or the direct chat (whose
        id in this transport is made of the sender's user id); outside a direct chat
        it is the message's channel too, as on Matrix."""
        where = room or (f"!dm-{sender}" if direct else ROOM)
        message = Incoming(
            network=self.transport.network,
            sender=sender,
            room=where,
            channel=None if direct else where,
            body=body,
            is_direct=direct,
            event_id=event_id or f"$event{next(self._ids)}",
            sent_at=self.clock.now(),
            unreadable=unreadable or key_missing,
            key_missing=key_missing,
        )
        before = len(self.transport.sent)  # what was sent before is not this one's
        deliveries = await self.app.dispatcher.handle(message)
        await self.app.worker.hand(deliveries).wait()
        # Other messages may be handled concurrently: what belongs to this one is
        # what its outbox rows became.
        keys = {d.message.key for d in deliveries}
        sent = [m for m in self.transport.sent[before:] if m.key in keys]
        replies = [m for m in sent if m.in_reply_to is not None]
        answer = Answer(reply="\n".join(m.text for m in replies), messages=sent)
        for m in sent:
            if m.user is not None:
                answer.notices.setdefault(m.user, []).append(m.text)
        return answer
