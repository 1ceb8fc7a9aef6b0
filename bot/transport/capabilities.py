"""What only some transports can do, as typed protocols.

The `Transport` protocol (bot/transport/base.py) holds what every network does.
A transport that can do more implements one of these; the rest of the bot asks
with `isinstance`, never by an attribute's name. Doing an `Outgoing.action` is
the outbox's `Actor`, and editing a message sent before (`Outgoing.replaces`) its
`Editor` (bot/outbox/deliverers.py), declared where they are used and named here
too, so a transport says here what it can do.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

from bot.outbox.deliverers import Actor, Editor

__all__ = ["Actor", "DecidesOrganizers", "Editor", "PowerLevels", "SyncHealth"]


@runtime_checkable
class PowerLevels(Protocol):
    """A network whose rooms rank their members (Matrix's power levels)."""

    async def power_level(self, room: str, user: str) -> int | None:
        """The power level of a current member (joined) of a room; None for anyone
        else (invited, left, kicked, banned, never in it)."""
        ...


@runtime_checkable
class DecidesOrganizers(Protocol):
    """A network that makes some of its people organizers itself (Zulip's
    organization roles, organizers configured by e-mail)."""

    async def is_organizer(self, user: str) -> bool: ...


@runtime_checkable
class SyncHealth(Protocol):
    """A transport that keeps up with its server: when the server last answered
    (None before the first time), for the health check."""

    @property
    def last_sync(self) -> datetime | None: ...
