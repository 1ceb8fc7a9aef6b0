"""Learners' places in local rooms: seats, waitlists, joining and leaving.

Capacity counts learners only. A full room (no seats left, status `full`, or
people already waiting) puts a joining learner on its waitlist; whenever seats
free up, `fill_seats` moves the first waiting learners in, in arrival order.
A learner is in at most one room per workshop (also a unique index,
`uq_membership_one_place`). All of it runs inside the caller's transaction,
which SQLite serializes with BEGIN IMMEDIATE; on PostgreSQL every change of
seats first locks the room's row (bot/db/locks.py), so concurrent joins can
neither oversell a room nor seat anyone twice on either database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.locks import lock_rooms
from bot.db.models import (
    LocalRoom,
    MemberRole,
    Membership,
    Person,
    RoomStatus,
    Workshop,
)
from bot.services import lifecycle, seat_history
from bot.services.errors import RoomWithdrawn, UserError

STAFF = (MemberRole.HOST, MemberRole.LEAD)
SEEKERS = (MemberRole.LEARNER, MemberRole.WAITLIST)


@dataclass(frozen=True)
class Occupancy:
    learners: int
    waiting: int

    def seats_left(self, room: LocalRoom) -> int:
        if room.status is not RoomStatus.OPEN:
            return 0
        return max(0, room.capacity - self.learners)


# Built once: every listing and every seat taken asks it.
_OCCUPANCY = (
    select(Membership.room_id, Membership.role, func.count())
    .where(Membership.room_id.in_(bindparam("rooms", expanding=True)),
           Membership.role.in_(SEEKERS))
    .group_by(Membership.room_id, Membership.role)
)


async def occupancy(session: AsyncSession, room_ids: Sequence[int]) -> dict[int, Occupancy]:
    rows = await session.execute(_OCCUPANCY, {"rooms": list(room_ids)})
    counts: dict[tuple[int, MemberRole], int] = {(r, role): n for r, role, n in rows}
    return {
        rid: Occupancy(
            counts.get((rid, MemberRole.LEARNER), 0), counts.get((rid, MemberRole.WAITLIST), 0)
        )
        for rid in room_ids
    }


async def occupancy_of(session: AsyncSession, room: LocalRoom) -> Occupancy:
    return (await occupancy(session, [room.id]))[room.id]


async def roles_in(
    session: AsyncSession, room: LocalRoom, person: Person | None
) -> set[MemberRole]:
    if person is None:
        return set()
    found = await session.scalars(
        select(Membership.role).where(
            Membership.room_id == room.id, Membership.person_id == person.id
        )
    )
    return set(found)


async def fill_seats(session: AsyncSession, room: LocalRoom, now: datetime) -> list[Person]:
    """Move the first waiting learners into free seats; returns who moved up.

    Once the workshop has ended nobody moves up: a seat would come after the last
    day. The waitlist stays as it is (for the summaries), and nobody is told.
    """
    await lock_rooms(session, [room])
    free = (await occupancy_of(session, room)).seats_left(room)
    if free <= 0 or lifecycle.has_ended(room.workshop, now):
        await seat_history.sync(session, [room], now)  # the seat the caller freed, if any
        return []
    waiting = await session.scalars(
        select(Membership)
        .where(Membership.room_id == room.id, Membership.role == MemberRole.WAITLIST)
        .order_by(Membership.id)
        .limit(free)
    )
    promoted = []
    for membership in waiting:
        membership.role = MemberRole.LEARNER
        promoted.append(membership.person)
    await seat_history.sync(session, [room], now)
    return promoted


async def seeker_membership(
    session: AsyncSession, workshop_id: int, person: Person
) -> Membership | None:
    """The person's learner or waitlist place in a workshop, if any."""
    return await session.scalar(
        select(Membership)
        .join(LocalRoom)
        .where(
            LocalRoom.workshop_id == workshop_id,
            Membership.person_id == person.id,
            Membership.role.in_(SEEKERS),
        )
    )


async def waitlist_position(session: AsyncSession, membership: Membership) -> int:
    ahead = await session.scalar(
        select(func.count()).where(
            Membership.room_id == membership.room_id,
            Membership.role == MemberRole.WAITLIST,
            Membership.id < membership.id,
        )
    )
    return int(ahead or 0) + 1


@dataclass
class JoinResult:
    membership: Membership
    position: int | None = None  # on the waitlist
    already: bool = False
    moved_from: LocalRoom | None = None
    promoted_elsewhere: list[Person] = field(default_factory=list)


async def join(
    session: AsyncSession, room: LocalRoom, person: Person, now: datetime
) -> JoinResult:
    await lock_rooms(session, [room])
    if room.status is RoomStatus.WITHDRAWN:
        raise RoomWithdrawn(room.code)
    lifecycle.require_not_ended(room.workshop, now)
    held = await roles_in(session, room, person)
    if held & set(STAFF):
        raise UserError(f"You are a host or team lead of {room.code}, so you have a place there.")
    current = await seeker_membership(session, room.workshop_id, person)
    if current is not None and current.room_id == room.id:
        position = (
            await waitlist_position(session, current)
            if current.role is MemberRole.WAITLIST
            else None
        )
        return JoinResult(current, position=position, already=True)
    result_moved, promoted = None, []
    if current is not None:
        result_moved = current.room
        await lock_rooms(session, [result_moved])
        await session.delete(current)
        await session.flush()
        promoted = await fill_seats(session, result_moved, now)
    taken = await occupancy_of(session, room)
    role = MemberRole.LEARNER
    if taken.seats_left(room) == 0 or taken.waiting > 0:
        role = MemberRole.WAITLIST
    membership = Membership(
        room=room, workshop_id=room.workshop_id, person=person, role=role, joined_at=now
    )
    session.add(membership)
    await seat_history.sync(session, [room], now)
    position = await waitlist_position(session, membership) if role is MemberRole.WAITLIST else None
    return JoinResult(membership, position, moved_from=result_moved, promoted_elsewhere=promoted)


@dataclass
class LeaveResult:
    room: LocalRoom
    was: MemberRole
    promoted: list[Person]


async def leave(
    session: AsyncSession, workshop: Workshop, person: Person | None, now: datetime
) -> LeaveResult:
    current = await seeker_membership(session, workshop.id, person) if person else None
    if current is None:
        raise UserError(f"You are not in a local room of {workshop.slug}.")
    room, was = current.room, current.role
    await lock_rooms(session, [room])
    await session.delete(current)
    await session.flush()
    return LeaveResult(room, was, await fill_seats(session, room, now))


async def my_memberships(
    session: AsyncSession, workshop: Workshop, person: Person | None
) -> list[Membership]:
    if person is None:
        return []
    found = await session.scalars(
        select(Membership)
        .join(LocalRoom)
        .where(LocalRoom.workshop_id == workshop.id, Membership.person_id == person.id)
        .order_by(Membership.room_id, Membership.id)
    )
    return list(found)
