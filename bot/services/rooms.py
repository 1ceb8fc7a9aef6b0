"""Local rooms and who is in them: registration, seats, waitlists, leads.

Capacity counts learners only. A full room (no seats left, status `full`, or
people already waiting) puts a joining learner on its waitlist; whenever seats
free up, `fill_seats` moves the first waiting learners in, in arrival order.
A learner is in at most one room per workshop. All of it runs inside the
caller's transaction, which SQLite serializes with BEGIN IMMEDIATE, so
concurrent joins can neither oversell a room nor seat anyone twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    LocalRoom,
    MemberRole,
    Membership,
    Person,
    RoomMode,
    RoomStatus,
    Workshop,
    WorkshopState,
)
from bot.services.errors import NotAllowed, UserError
from bot.values import DaySet, RoomCode, format_days, parse_days

STAFF = (MemberRole.HOST, MemberRole.LEAD)
SEEKERS = (MemberRole.LEARNER, MemberRole.WAITLIST)


@dataclass(frozen=True)
class RoomFields:
    """What `!room add` and `!room edit` may set. None: not given (edit: unchanged)."""

    name: str | None = None
    organization: str | None = None
    mode: RoomMode | None = None
    city: str | None = None
    country: str | None = None
    venue: str | None = None
    language: str | None = None
    capacity: int | None = None
    days: DaySet | None = None
    who_may_join: str | None = None
    signup_url: str | None = None
    public: bool | None = None
    status: RoomStatus | None = None

    def given(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if v is not None}


@dataclass(frozen=True)
class Occupancy:
    learners: int
    waiting: int

    def seats_left(self, room: LocalRoom) -> int:
        if room.status is not RoomStatus.OPEN:
            return 0
        return max(0, room.capacity - self.learners)


async def get(session: AsyncSession, code: RoomCode) -> LocalRoom:
    room = await session.get(LocalRoom, code.number)
    if room is None:
        raise UserError(f"There is no room {code}. `!rooms` lists the rooms.")
    return room


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


async def require_manager(
    session: AsyncSession, room: LocalRoom, person: Person | None, is_organizer: bool
) -> set[MemberRole]:
    """The asker's roles in the room; NotAllowed unless host, lead or organizer."""
    held = await roles_in(session, room, person)
    if not (is_organizer or held & set(STAFF)):
        raise NotAllowed(f"Only {room.code}'s hosts and team leads, or an organizer, may do that.")
    return held


async def occupancy(session: AsyncSession, room_ids: Sequence[int]) -> dict[int, Occupancy]:
    rows = await session.execute(
        select(Membership.room_id, Membership.role, func.count())
        .where(Membership.room_id.in_(room_ids), Membership.role.in_(SEEKERS))
        .group_by(Membership.room_id, Membership.role)
    )
    counts: dict[tuple[int, MemberRole], int] = {(r, role): n for r, role, n in rows}
    return {
        rid: Occupancy(
            counts.get((rid, MemberRole.LEARNER), 0), counts.get((rid, MemberRole.WAITLIST), 0)
        )
        for rid in room_ids
    }


async def occupancy_of(session: AsyncSession, room: LocalRoom) -> Occupancy:
    return (await occupancy(session, [room.id]))[room.id]


def _stored_days(days: DaySet | None, workshop: Workshop) -> str | None:
    """The covered days in stored form (None: every day); UserError if outside."""
    if days is None or days.numbers is None:
        return None
    try:
        return format_days(days.resolve(len(workshop.days)))
    except ValueError as exc:
        raise UserError(f"days=: {exc}.") from None


async def add(
    session: AsyncSession, workshop: Workshop, host: Person, fields: RoomFields, now: datetime
) -> LocalRoom:
    """Register a room in a workshop; the registering person becomes its host and lead."""
    if workshop.state is WorkshopState.FINISHED:
        raise UserError(f"Workshop {workshop.slug} is finished; rooms can no longer be added.")
    days = _stored_days(fields.days, workshop)
    room = LocalRoom(
        workshop=workshop,
        name=fields.name,
        organization=fields.organization,
        mode=fields.mode,
        city=fields.city,
        country=fields.country,
        venue=fields.venue,
        language=(fields.language or "en").lower(),
        capacity=fields.capacity,
        days=days,
        who_may_join=fields.who_may_join,
        signup_url=fields.signup_url,
        public=bool(fields.public),
        status=RoomStatus.OPEN,
        created_at=now,
    )
    if room.mode is RoomMode.IN_PERSON and not room.city:
        raise UserError("An in-person room needs its city: add city=…")
    session.add(room)
    await session.flush()
    for role in STAFF:
        session.add(Membership(room=room, person=host, role=role, joined_at=now))
    await session.flush()
    return room


async def edit(
    session: AsyncSession,
    room: LocalRoom,
    fields: RoomFields,
    held: set[MemberRole],
    is_organizer: bool,
) -> list[Person]:
    """Change a room; returns the learners who got a seat because of it."""
    if room.status is RoomStatus.WITHDRAWN:
        raise UserError(f"{room.code} was withdrawn and can no longer be changed.")
    if fields.public is not None and not (is_organizer or MemberRole.HOST in held):
        raise NotAllowed(
            "Only the room's host, or an organizer, may change public listing consent."
        )
    if fields.status is RoomStatus.WITHDRAWN:
        raise UserError(f"To withdraw {room.code}, use `!room withdraw {room.code}`.")
    changes = fields.given()
    if "days" in changes:
        changes["days"] = _stored_days(fields.days, room.workshop)
    if "language" in changes:
        changes["language"] = changes["language"].lower()
    for name, value in changes.items():
        setattr(room, name, value)
    if room.mode is RoomMode.IN_PERSON and not room.city:
        raise UserError("An in-person room needs its city: add city=…")
    await session.flush()
    return await fill_seats(session, room)


async def fill_seats(session: AsyncSession, room: LocalRoom) -> list[Person]:
    """Move the first waiting learners into free seats; returns who moved up."""
    free = (await occupancy_of(session, room)).seats_left(room)
    if free <= 0:
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
    await session.flush()
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


async def join(session: AsyncSession, room: LocalRoom, person: Person, now: datetime) -> JoinResult:
    if room.status is RoomStatus.WITHDRAWN:
        raise UserError(f"{room.code} was withdrawn. `!rooms` lists the open rooms.")
    if room.workshop.state is WorkshopState.FINISHED:
        raise UserError(f"Workshop {room.workshop.slug} is finished.")
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
        await session.delete(current)
        await session.flush()
        promoted = await fill_seats(session, result_moved)
    taken = await occupancy_of(session, room)
    role = MemberRole.LEARNER
    if taken.seats_left(room) == 0 or taken.waiting > 0:
        role = MemberRole.WAITLIST
    membership = Membership(room=room, person=person, role=role, joined_at=now)
    session.add(membership)
    await session.flush()
    position = await waitlist_position(session, membership) if role is MemberRole.WAITLIST else None
    return JoinResult(membership, position, moved_from=result_moved, promoted_elsewhere=promoted)


@dataclass
class LeaveResult:
    room: LocalRoom
    was: MemberRole
    promoted: list[Person]


async def leave(session: AsyncSession, workshop: Workshop, person: Person | None) -> LeaveResult:
    current = await seeker_membership(session, workshop.id, person) if person else None
    if current is None:
        raise UserError(f"You are not in a local room of {workshop.slug}.")
    room, was = current.room, current.role
    await session.delete(current)
    await session.flush()
    return LeaveResult(room, was, await fill_seats(session, room))


async def withdraw(session: AsyncSession, room: LocalRoom) -> list[Person]:
    """Withdraw a room; its learners and waiting learners lose their place and are returned."""
    if room.status is RoomStatus.WITHDRAWN:
        raise UserError(f"{room.code} is withdrawn already.")
    seekers = await session.scalars(
        select(Membership).where(Membership.room_id == room.id, Membership.role.in_(SEEKERS))
    )
    told = [m.person for m in seekers]
    await session.execute(
        delete(Membership).where(Membership.room_id == room.id, Membership.role.in_(SEEKERS))
    )
    room.status = RoomStatus.WITHDRAWN
    await session.flush()
    return told


async def add_lead(
    session: AsyncSession, room: LocalRoom, person: Person, now: datetime
) -> list[Person]:
    """Make someone a team lead; a learner seat they held in the room frees up."""
    if room.status is RoomStatus.WITHDRAWN:
        raise UserError(f"{room.code} was withdrawn.")
    held = await roles_in(session, room, person)
    if MemberRole.LEAD in held:
        raise UserError(f"{person.user_id} is a team lead of {room.code} already.")
    promoted: list[Person] = []
    if held & set(SEEKERS):
        await session.execute(
            delete(Membership).where(
                Membership.room_id == room.id,
                Membership.person_id == person.id,
                Membership.role.in_(SEEKERS),
            )
        )
        await session.flush()
        promoted = await fill_seats(session, room)
    session.add(Membership(room=room, person=person, role=MemberRole.LEAD, joined_at=now))
    await session.flush()
    return promoted


async def remove_lead(session: AsyncSession, room: LocalRoom, person: Person | None) -> None:
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
    await session.flush()


async def members(session: AsyncSession, room: LocalRoom) -> dict[MemberRole, list[Person]]:
    """Everyone in the room by role; the waitlist in order."""
    rows = await session.scalars(
        select(Membership).where(Membership.room_id == room.id).order_by(Membership.id)
    )
    found: dict[MemberRole, list[Person]] = {role: [] for role in MemberRole}
    for membership in rows:
        found[membership.role].append(membership.person)
    return found


async def search(
    session: AsyncSession,
    workshop: Workshop,
    words: Sequence[str] = (),
    mode: RoomMode | None = None,
    language: str | None = None,
    city: str | None = None,
) -> list[LocalRoom]:
    """Rooms of a workshop that are not withdrawn and match every word and filter."""
    query = select(LocalRoom).where(
        LocalRoom.workshop_id == workshop.id, LocalRoom.status != RoomStatus.WITHDRAWN
    )
    if mode is not None:
        query = query.where(LocalRoom.mode == mode)
    if language is not None:
        query = query.where(func.lower(LocalRoom.language) == language.lower())
    if city is not None:
        query = query.where(func.lower(LocalRoom.city) == city.lower())
    rooms = list(await session.scalars(query.order_by(LocalRoom.id)))

    def haystack(room: LocalRoom) -> str:
        parts = (
            room.name,
            room.organization,
            room.city,
            room.country,
            room.who_may_join,
            room.language,
            room.mode.value,
        )
        return " ".join(p for p in parts if p).casefold()

    needles = [w.casefold() for w in words]
    return [r for r in rooms if all(n in haystack(r) for n in needles)]


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


async def is_staff_anywhere(session: AsyncSession, workshop: Workshop, person: Person) -> bool:
    found = await session.scalar(
        select(Membership.id)
        .join(LocalRoom)
        .where(
            LocalRoom.workshop_id == workshop.id,
            Membership.person_id == person.id,
            Membership.role.in_(STAFF),
        )
        .limit(1)
    )
    return found is not None


def covered_days(room: LocalRoom) -> frozenset[int]:
    """The day numbers a room covers: every day of its workshop unless limited."""
    count = len(room.workshop.days)
    if room.days is None:
        return frozenset(range(1, count + 1))
    # "": a workshop edit removed every date the room covered.
    return frozenset(n for n in parse_days(room.days) if n <= count) if room.days else frozenset()


@dataclass(frozen=True)
class Statistics:
    open_rooms: int
    in_person: int
    online: int
    withdrawn: int
    seats: int
    learners: int
    seats_left: int
    waiting: int
    staff: int
    rooms_without_lead: int


async def statistics(session: AsyncSession, workshop: Workshop) -> Statistics:
    all_rooms = list(
        await session.scalars(select(LocalRoom).where(LocalRoom.workshop_id == workshop.id))
    )
    live = [r for r in all_rooms if r.status is not RoomStatus.WITHDRAWN]
    taken = await occupancy(session, [r.id for r in live])
    staff_rows = await session.execute(
        select(Membership.room_id, Membership.person_id, Membership.role).where(
            Membership.room_id.in_([r.id for r in live]), Membership.role.in_(STAFF)
        )
    )
    staff_people: set[int] = set()
    rooms_with_lead: set[int] = set()
    for room_id, person_id, role in staff_rows:
        staff_people.add(person_id)
        if role is MemberRole.LEAD:
            rooms_with_lead.add(room_id)
    return Statistics(
        open_rooms=len(live),
        in_person=sum(r.mode is RoomMode.IN_PERSON for r in live),
        online=sum(r.mode is RoomMode.ONLINE for r in live),
        withdrawn=len(all_rooms) - len(live),
        seats=sum(r.capacity for r in live),
        learners=sum(taken[r.id].learners for r in live),
        seats_left=sum(taken[r.id].seats_left(r) for r in live),
        waiting=sum(taken[r.id].waiting for r in live),
        staff=len(staff_people),
        rooms_without_lead=sum(r.id not in rooms_with_lead for r in live),
    )
