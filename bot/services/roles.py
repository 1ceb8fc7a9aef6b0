"""Who may do what. Roles come from user ids and the database, never display names."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.db.models import Person
from bot.services import team

# (network, room, user id) -> the power level of a current member of that network's
# room; None for anyone not joined there (left, kicked, invited, never in it, or on
# another network) and where the network has no power levels.
PowerLevelLookup = Callable[[str, str, str], Awaitable[int | None]]
# (network, user id) -> whether the network itself makes them an organizer (Zulip's
# configured organizers and organization roles); None: no network does.
NetworkOrganizers = Callable[[str, str], Awaitable[bool]]


class Role(enum.IntEnum):
    """Ordered: each role may do what the roles below it may."""

    EVERYONE = 0
    LEAD = 1
    ORGANIZER = 2

    @property
    def label(self) -> str:
        return {
            Role.EVERYONE: "everyone",
            Role.LEAD: "a team lead or host of a local room",
            Role.ORGANIZER: "an organizer",
        }[self]


async def is_organizer(
    settings: Settings, network: str, user_id: str, power_level: PowerLevelLookup
) -> bool:
    """Configured (`bot.organizers`), or a current member of the organizers' room with
    at least `bot.organizers_power_level` there. Membership is the network's answer:
    a person kicked from the room, or never in it, is no organizer even when the room's
    `users_default` reaches the level; nor is a person of another network (asked only
    of the asker's own network)."""
    if user_id in settings.bot.organizers:
        return True
    room = settings.bot.organizers_room
    if room is None:
        return False
    level = await power_level(network, room, user_id)
    return level is not None and level >= settings.bot.organizers_power_level


async def organizer_without_database(
    settings: Settings,
    network: str,
    user_id: str,
    power_level: PowerLevelLookup,
    network_organizers: NetworkOrganizers | None = None,
) -> bool:
    """Organizer by configuration (`bot.organizers`, the organizers' room's power
    levels) or by what the network says: every way to be one, none needing the database."""
    return await is_organizer(settings, network, user_id, power_level) or (
        network_organizers is not None and await network_organizers(network, user_id))


# Built once: every command asks it.
_ASKER = select(Person, team.leads_a_live_room(Person.id)).where(
    Person.network == bindparam("network"), Person.user_id == bindparam("user_id"))


async def asker(
    session: AsyncSession,
    settings: Settings,
    network: str,
    user_id: str,
    power_level: PowerLevelLookup,
    network_organizers: NetworkOrganizers | None = None,
) -> tuple[Person | None, Role]:
    """The person behind a user id (None if never seen) and their role, in one query:
    every command asks for both.

    Organizer by configuration (`bot.organizers`, the organizers' room's power levels,
    or what the network says: `network_organizers`); host or lead of a room still
    running; else none.
    A room still running: not withdrawn, in the current workshop or one not finished.
    Which room the lead may manage is checked against the room itself.
    """
    found = (await session.execute(_ASKER, {"network": network, "user_id": user_id})).first()
    person, leads = (found[0], bool(found[1])) if found else (None, False)
    if await organizer_without_database(settings, network, user_id, power_level,
                                        network_organizers):
        return person, Role.ORGANIZER
    return person, Role.LEAD if leads else Role.EVERYONE
