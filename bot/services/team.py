"""A room's team: its hosts and team leads, who leads it, and who may manage it.

A room is led by its hosts and its team leads together; `leaders` is the one
answer to "who leads this room" that the room card, the roster and `myroom`
all show. Rights on a room are checked against that room (and so its own
workshop), never only the current workshop; a withdrawn room makes nobody a lead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Exists, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    LocalRoom,
    MemberRole,
    Membership,
    Person,
    RoomStatus,
    Workshop,
    WorkshopState,
)
from bot.services import seat_history
from bot.services.errors import LastLead, NotAllowed, UserError
from bot.services.seats import SEEKERS, STAFF, fill_seats, roles_in


async def members(session: AsyncSession, room: LocalRoom) -> dict[MemberRole, list[Person]]:
    """Everyone in the room by role; the waitlist in order."""
    rows = await session.scalars(
        select(Membership).where(Membership.room_id == room.id).order_by(Membership.id)
    )
    found: dict[MemberRole, list[Person]] = {role: [] for role in MemberRole}
    for membership in rows:
        found[membership.role].append(membership.person)
    return found


@dataclass(frozen=True)
class Leader:
    person: Person
    roles: tuple[MemberRole, ...]  # host first, then lead


def leaders(team: dict[MemberRole, list[Person]]) -> list[Leader]:
    """Who leads the room: its hosts and team leads, each once, in the order they came."""
    found: dict[int, Leader] = {}
    for role in STAFF:
        for person in team[role]:
            held = found[person.id].roles if person.id in found else ()
            found[person.id] = Leader(person, (*held, role))
    return list(found.values())


async def require_manager(
    session: AsyncSession, room: LocalRoom, person: Person | None, is_organizer: bool
) -> set[MemberRole]:
    """The asker's roles in the room; NotAllowed unless host, lead or organizer."""
    held = await roles_in(session, room, person)
    if not (is_organizer or held & set(STAFF)):
        raise NotAllowed(f"Only {room.code}'s hosts and team leads, or an organizer, may do that.")
    return held


def leads_a_live_room(person_id: Any) -> Exists:
    """Host or lead of a room that is not withdrawn, in the current or an unfinished
    workshop (an EXISTS clause, so finding the person and this is one query)."""
    return (
        select(Membership.id)
        .join(LocalRoom)
        .join(Workshop)
        .where(
            Membership.person_id == person_id,
            Membership.role.in_(STAFF),
            LocalRoom.status != RoomStatus.WITHDRAWN,
            or_(
                Workshop.state != WorkshopState.FINISHED,
                Workshop.is_current,
            ),
        )
        .exists()
    )


@dataclass(frozen=True)
class NewLead:
    was: MemberRole | None  # the learner or waitlist place they gave up, if any
    promoted: list[Person]  # who got a seat because of it


async def add_lead(
    session: AsyncSession, room: LocalRoom, person: Person, now: datetime
) -> NewLead:
    """Make someone a team lead; a learner seat or waitlist place they held there is given up."""
    if room.status is RoomStatus.WITHDRAWN:
        raise UserError(f"{room.code} was withdrawn.")
    held = await roles_in(session, room, person)
    if MemberRole.LEAD in held:
        raise UserError(f"{person.user_id} is a team lead of {room.code} already.")
    was = next((role for role in SEEKERS if role in held), None)
    promoted: list[Person] = []
    if was is not None:
        await _drop(session, room, person, SEEKERS, now)
        promoted = await fill_seats(session, room, now)
    session.add(Membership(room=room, workshop_id=room.workshop_id, person=person,
                           role=MemberRole.LEAD, joined_at=now))
    await seat_history.sync(session, [room], now)
    return NewLead(was, promoted)


async def remove_lead(
    session: AsyncSession, room: LocalRoom, person: Person | None, now: datetime
) -> None:
    membership = None
    if person is not None:
        membership = await session.scalar(
            select(Membership).where(
                Membership.room_id == room.id,
                Membership.person_id == person.id,
                Membership.role == MemberRole.LEAD,
            )
        )
    if membership is None:
        who = person.user_id if person else "That person"
        raise UserError(f"{who} is not a team lead of {room.code}.")
    await session.delete(membership)
    await seat_history.sync(session, [room], now)


async def step_down(
    session: AsyncSession, room: LocalRoom, person: Person | None, now: datetime
) -> tuple[MemberRole, ...]:
    """The person stops being host and lead of the room; returns the roles they gave up.

    The last of a room's team cannot step down: someone must be left to run it.
    """
    mine = await roles_in(session, room, person)
    held = tuple(role for role in STAFF if role in mine)
    if person is None or not held:
        raise UserError(f"You are not a host or team lead of {room.code}.")
    others = await session.scalar(
        select(Membership.id)
        .where(
            Membership.room_id == room.id,
            Membership.person_id != person.id,
            Membership.role.in_(STAFF),
        )
        .limit(1)
    )
    if others is None and room.status is not RoomStatus.WITHDRAWN:
        raise LastLead(room.code)
    await _drop(session, room, person, STAFF, now)
    return held


async def _drop(
    session: AsyncSession, room: LocalRoom, person: Person, roles: tuple[MemberRole, ...],
    now: datetime,
) -> None:
    await session.execute(
        delete(Membership).where(
            Membership.room_id == room.id,
            Membership.person_id == person.id,
            Membership.role.in_(roles),
        )
    )
    await seat_history.sync(session, [room], now)
