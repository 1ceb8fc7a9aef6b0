"""What a command handler is given: the message, the asker, a session, the clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot import networks
from bot.clock import Clock
from bot.commands.framework import Registry, UsageError
from bot.config import Settings
from bot.conversations.kinds import Kinds
from bot.db.models import Person
from bot.messages import Incoming
from bot.networks import Network
from bot.services import people
from bot.services.roles import Role
from bot.text import code, default_zone_note
from bot.values import UserId


@dataclass
class Context:
    message: Incoming
    session: AsyncSession
    clock: Clock
    settings: Settings
    registry: Registry
    role: Role
    person: Person | None
    # The mounted conversation kinds (bot/commands/registry.py).
    kinds: Kinds = field(default_factory=lambda: Kinds(()))

    @property
    def prefix(self) -> str:
        return self.settings.bot.prefix

    @property
    def sender(self) -> str:
        return self.message.sender

    @property
    def zone(self) -> ZoneInfo:
        return people.zone_of(self.person, self.settings.bot.default_timezone)

    @property
    def has_own_zone(self) -> bool:
        return self.person is not None and self.person.timezone is not None

    def showing_times(self, text: str) -> str:
        """A reply that shows times, with the default-zone note when the asker has no zone."""
        if self.has_own_zone:
            return text
        return f"{text}\n{default_zone_note(self.zone, self.prefix)}"

    def now(self) -> datetime:
        return self.clock.now()

    @property
    def network(self) -> Network:
        """The asker's network: how a person is written in what they are told."""
        return networks.get(self.message.network)

    def someone(self, user: UserId) -> UserId:
        """A person the command names, who must be on the asker's network: a person on
        each network is a different person, and one of another network could never
        be told anything from here (the notice would fail for good)."""
        here = self.network
        if here.fits(user):
            return user
        owner = networks.owner_of(user)
        where = f"a person on {owner.title}" if owner is not None else "nobody"
        raise UsageError(f"{code(user)} is {where}, not here: name someone on "
                         f"{here.title} like {code(here.person_example)}")

    async def me(self) -> Person:
        """The asker's row, created on first need."""
        if self.person is None:
            self.person = await people.ensure(
                self.session, self.message.network, self.sender, self.clock.now()
            )
        return self.person
