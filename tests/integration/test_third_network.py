"""A chat network the bot has never heard of, defined in this one file.

"Relay" registers itself as any network does (bot/networks.py): its section of
the configuration, its secret, its people's ids (`relay:ana`), how a person is
written in a command (`+ana`, which its transport turns into the id, as Zulip's
transport does with a mention), who organizes there (its own admins, decided
by the transport), and a factory for its transport. Nothing else of the bot is
told about it: the configuration reads its section, `run` builds its transport,
and the commands answer its people in its own words, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot import config, logs, networks
from bot.app import App, network_app
from bot.clock import FrozenClock
from bot.config import BotSettings, DatabaseSettings, Settings
from bot.transport.base import Handler, Incoming, Outgoing
from bot.transport.capabilities import DecidesOrganizers, PowerLevels

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ORGANIZER = "relay:org"
# Ids that are prefixes of each other: each is its own person.
AN, ANA, ANAB = "relay:an", "relay:ana", "relay:anab"
WORKSHOP = ("!workshop add 2026-spring title=Spring tz=Europe/Oslo "
            "days=2026-03-17,2026-03-18 time=10:00-15:00")
ROOM = '!room add name="Relay room" org="Uni" mode=online lang=en capacity=2 public=yes'


def _names(item: str) -> None:
    if not re.fullmatch(r"[a-z]{1,20}", item):
        raise ValueError("relay names (lowercase letters)")


@dataclass(frozen=True)
class RelaySettings:
    url: str = field(default="", metadata={"each": "url"})
    token: str | None = None
    admins: tuple[str, ...] = field(default=(), metadata={"check": _names})
    poll_channel: str | None = None


class RelayTransport:
    """The whole network in memory: `say` is someone typing."""

    network = "relay"

    def __init__(self, section: RelaySettings) -> None:
        self.section = section
        self.sent: list[Outgoing] = []
        self._handler: Handler | None = None
        self._running = asyncio.Event()
        self._stopped = asyncio.Event()

    async def run(self, handler: Handler) -> None:
        self._handler = handler
        self._running.set()
        await self._stopped.wait()

    async def deliver(self, message: Outgoing) -> str | None:
        self.sent.append(message)
        return None

    async def stop(self) -> None:
        self._stopped.set()

    async def is_organizer(self, user: str) -> bool:
        return user.removeprefix("relay:") in self.section.admins

    async def say(self, sender: str, body: str, *, direct: bool = False) -> str:
        """What the bot answered `sender` (its reply, not its notices to others)."""
        await self._running.wait()
        assert self._handler is not None
        before = len(self.sent)
        room = f"dm-{sender}" if direct else "lobby"
        resolved = re.sub(r"(?<!\S)\+([a-z]{1,20})\b", r"relay:\1", body)  # `+ana`: a person
        delivered = await self._handler(Incoming("relay", sender, room, resolved, direct,
                                                 event_id=f"e{len(self.sent)}-{body[:20]}",
                                                 sent_at=START))
        await delivered.wait()
        return "\n".join(m.text for m in self.sent[before:] if m.room == room)

    def told(self, user: str) -> list[str]:
        return [m.text for m in self.sent if m.user == user]


def _transport(wiring: networks.Wiring) -> RelayTransport:
    return RelayTransport(wiring.section)


RELAY = networks.Network(
    name="relay",
    title="Relay",
    user_id=re.compile(r"relay:[a-z]{1,20}"),
    id_example="relay:ana",
    person_usage="+name",
    person_example="+ana",
    section=RelaySettings,
    secrets={"token": "CLASSROOM_BOT_RELAY_TOKEN"},
    needed=(networks.Needed(("url",)), networks.Needed(("token",), hint="ask the relay")),
    login="a Relay url and token",
    organizers=lambda section: tuple(f"relay:{name}" for name in section.admins),
    polls=lambda section: bool(section.poll_channel),
    transport=_transport,
)


@pytest.fixture(autouse=True)
def relay() -> Iterator[networks.Network]:
    networks.register(RELAY)
    try:
        yield RELAY
    finally:
        networks.unregister(RELAY.name)


@pytest.fixture
async def bot(tmp_path: Path, bot_database_url: str) -> AsyncIterator[RelayTransport]:
    settings = Settings(
        bot=BotSettings(organizers=(ORGANIZER,)),
        database=DatabaseSettings(url=bot_database_url),
        networks={"relay": RelaySettings(url="http://127.0.0.1:9", token="t",
                                         admins=("boss",))},
    )
    app: App = network_app(settings, clock=FrozenClock(START))
    await app.start()
    transport = app.transports["relay"]
    assert isinstance(transport, RelayTransport)
    try:
        yield transport
    finally:
        await app.close()


def test_its_section_is_read_checked_and_its_secret_may_come_from_the_environment(
    tmp_path: Path,
) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[relay]\nurl = 'https://relay.uni.no'\nadmins = ['boss']\n")
    settings = config.load(path, environ={"CLASSROOM_BOT_FEEDBACK_KEY": "k"})
    assert settings.network("relay") == RelaySettings(url="https://relay.uni.no",
                                                      admins=("boss",))
    assert config.run_problems(settings) == [
        f"{path}: relay.token is missing (needed by `run`); fill it in (ask the relay), "
        "or set CLASSROOM_BOT_RELAY_TOKEN"]
    keyed = config.load(path, environ={"CLASSROOM_BOT_FEEDBACK_KEY": "k",
                                       "CLASSROOM_BOT_RELAY_TOKEN": "s3cret"})
    assert config.run_problems(keyed) == []
    assert "s3cret" in logs.configured_secrets(keyed)  # redacted from every log record
    assert config.organizers_on(keyed, "relay") == ("relay:boss",)
    assert config.poll_networks(keyed) == ()

    path.write_text("[relay]\nurl = 'relay.uni.no'\nadmins = ['Boss']\ntokn = 'x'\n"
                    "[rely]\n")
    _, problems = config.examine(path, environ={})
    assert any("relay.url" in p and "http" in p for p in problems), problems
    assert any("relay.admins" in p and "lowercase" in p for p in problems), problems
    assert any("'relay.tokn'; did you mean 'relay.token'" in p for p in problems), problems
    assert any("'rely'; did you mean 'relay'" in p for p in problems), problems


def test_a_file_without_any_network_names_its_section_among_the_others() -> None:
    (problem,) = config.run_problems(config.from_mapping({"feedback": {"enabled": False}}))
    assert "[relay]" in problem and "a Relay url and token" in problem


async def test_its_people_are_answered_in_its_own_words(bot: RelayTransport) -> None:
    assert isinstance(bot, DecidesOrganizers) and not isinstance(bot, PowerLevels)
    assert "Workshop `2026-spring` created" in await bot.say(ORGANIZER, WORKSHOP)
    registered = await bot.say(ANA, ROOM)
    assert "Registered R1 Relay room" in registered
    assert "`!room lead add R1 +name`" in registered  # how a person is written here
    usage = await bot.say(ANA, "!help room lead add")
    assert "`!room lead add R7 +name`" in usage and "`!room lead add R7 +ana`" in usage
    assert "@user:server" not in usage and "@ana:uni.no" not in usage

    added = await bot.say(ANA, "!room lead add R1 +an")
    assert "`relay:an` is now a team lead of R1" in added
    assert any("now a team lead of the local room R1" in text for text in bot.told(AN))
    assert bot.told(ANAB) == []
    roster = await bot.say(AN, "!room roster R1")
    assert "`relay:ana` (host and team lead), `relay:an` (team lead)" in roster


async def test_a_person_of_another_network_or_no_person_is_refused_in_its_words(
    bot: RelayTransport,
) -> None:
    await bot.say(ORGANIZER, WORKSHOP)
    await bot.say(ANA, ROOM)
    matrix = await bot.say(ANA, "!room lead add R1 @bo:uni.no")
    assert "`@bo:uni.no` is a person on Matrix, not here" in matrix
    assert "name someone on Relay like `+ana`" in matrix
    unknown = await bot.say(ANA, "!room lead add R1 bob")
    assert "'bob' does not name a person" in unknown
    assert "Usage: `!room lead add R7 +name`" in unknown
    assert "Example: `!room lead add R7 +ana`" in unknown
    roster = await bot.say(ANA, "!room roster R1")
    assert "`relay:ana` (host and team lead)" in roster and "@bo:uni.no" not in roster


async def test_its_network_decides_who_organizes_there(bot: RelayTransport) -> None:
    """`relay:boss` is in no `bot.organizers`: the transport says it organizes."""
    assert "Workshop `2026-spring` created" in await bot.say("relay:boss", WORKSHOP, direct=True)
    refused = await bot.say("relay:bossy", "!workshop add 2027-spring title=X "
                            "tz=UTC days=2027-03-17 time=10:00-15:00", direct=True)
    assert "is for an organizer" in refused


async def test_learners_join_and_are_told_in_its_words(bot: RelayTransport) -> None:
    await bot.say(ORGANIZER, WORKSHOP)
    await bot.say(ANA, ROOM)
    assert "you have a seat in R1" in await bot.say(AN, "!join R1")
    assert "you have a seat in R1" in await bot.say(ANAB, "!join R1")
    full = await bot.say("relay:cy", "!join R1")
    assert "number 1 on its waitlist" in full
    await bot.say(AN, "!leave")
    assert any("seat" in text for text in bot.told("relay:cy"))  # promoted, told directly
