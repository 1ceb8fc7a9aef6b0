"""Local rooms: registering and changing them, withdrawing them, finding them, counting them.

Who sits in a room is in `seats`; who runs it, in `team`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import lazyload

from bot.countries import country_code, country_name
from bot.db.locks import lock_person, lock_rooms
from bot.db.models import (
    LocalRoom,
    MemberRole,
    Membership,
    Person,
    RoomMode,
    RoomStatus,
    Workshop,
)
from bot.services import lifecycle, seat_history
from bot.services.errors import (
    BelowSeated,
    NoSuchRoom,
    NotAllowed,
    TooManyRooms,
    UserError,
    WithdrawInstead,
)
from bot.services.seats import SEEKERS, STAFF, fill_seats, occupancy, occupancy_of
from bot.values import (
    DaySet,
    RoomCode,
    fold,
    format_days,
    parse_days,
)


@dataclass(frozen=True)
class RoomFields:
    """What `!room add` and `!room edit` set, by model field; None clears an optional field.

    Fields not in `values` are not given (edit: unchanged; add: the default).
    """

    values: dict[str, Any] = field(default_factory=dict)

    def given(self) -> dict[str, Any]:
        return dict(self.values)


async def get(session: AsyncSession, code: RoomCode) -> LocalRoom:
    room = await session.get(LocalRoom, code.number)
    if room is None:
        raise NoSuchRoom(str(code))
    return room


def _stored_days(days: DaySet | None, workshop: Workshop) -> str | None:
    """The covered days in stored form (None: every day); UserError if outside."""
    if days is None or days.numbers is None:
        return None
    try:
        return format_days(days.resolve(len(workshop.days)))
    except ValueError as exc:
        raise UserError(f"days=: {exc}.") from None


async def add(
    session: AsyncSession, workshop: Workshop, host: Person, fields: RoomFields, now: datetime,
    most: int | None = None,
) -> LocalRoom:
    """Register a room in a workshop; the registering person becomes its host and lead.
    TooManyRooms when they host `most` rooms of it already (None: no limit)."""
    lifecycle.require_not_ended(workshop, now)
    if most is not None:
        await lock_person(session, host)  # their other `!room add` waits, then counts this one
        hosted = await hosted_rooms(session, workshop, host)
        if len(hosted) >= most:
            raise TooManyRooms(most, [room.code for room in hosted])
    given = fields.given()
    given["days"] = _stored_days(given.get("days"), workshop)
    given.setdefault("language", "en")
    given["public"] = bool(given.get("public"))
    room = LocalRoom(workshop=workshop, status=RoomStatus.OPEN, created_at=now, **given)
    _check_place(room)
    session.add(room)
    await session.flush()
    for role in STAFF:
        session.add(Membership(room=room, workshop_id=room.workshop_id, person=host, role=role,
                               joined_at=now))
    await seat_history.sync(session, [room], now)
    return room


async def hosted_rooms(session: AsyncSession, workshop: Workshop, host: Person) -> list[LocalRoom]:
    """The rooms of a workshop the person hosts, withdrawn ones left out."""
    return list(await session.scalars(
        select(LocalRoom)
        .join(Membership, Membership.room_id == LocalRoom.id)
        .where(Membership.person_id == host.id, Membership.role == MemberRole.HOST,
               LocalRoom.workshop_id == workshop.id, LocalRoom.status != RoomStatus.WITHDRAWN)
        .order_by(LocalRoom.id)
    ))


@dataclass(frozen=True)
class Edited:
    promoted: list[Person]  # waiting learners who got a seat because of the change
    cleared: list[str]  # fields cleared because the mode changed and they no longer apply


async def edit(
    session: AsyncSession,
    room: LocalRoom,
    fields: RoomFields,
    held: set[MemberRole],
    is_organizer: bool,
    now: datetime,
) -> Edited:
    """Change a room. A new mode clears what applied only to the old one unless given anew."""
    if room.status is RoomStatus.WITHDRAWN:
        raise UserError(f"{room.code} was withdrawn and can no longer be changed.")
    changes = fields.given()
    if "public" in changes and not (is_organizer or MemberRole.HOST in held):
        raise NotAllowed(
            "Only the room's host, or an organizer, may change public listing consent."
        )
    if changes.get("status") is RoomStatus.WITHDRAWN:
        raise WithdrawInstead(room.code)
    if "capacity" in changes:
        await lock_rooms(session, [room])
        seated = (await occupancy_of(session, room)).learners
        if changes["capacity"] < seated:
            raise BelowSeated(room.code, seated, changes["capacity"])
    if "days" in changes:
        changes["days"] = _stored_days(changes["days"], room.workshop)
    cleared = []
    if changes.get("mode", room.mode) is not room.mode:
        # A venue address is no video link (and back); an online room has no city.
        stale = ["venue", "city"] if changes["mode"] is RoomMode.ONLINE else ["venue"]
        for name in stale:
            if name not in changes and getattr(room, name):
                changes[name] = None
                cleared.append(name)
    for name, value in changes.items():
        setattr(room, name, value)
    _check_place(room)
    await session.flush()
    return Edited(await fill_seats(session, room, now), cleared)


def _check_place(room: LocalRoom) -> None:
    if room.mode is RoomMode.IN_PERSON and not room.city:
        raise UserError("An in-person room needs its city: add city=…")


async def withdraw(session: AsyncSession, room: LocalRoom, now: datetime) -> list[Person]:
    """Withdraw a room; its learners and waiting learners lose their place and are returned."""
    await lock_rooms(session, [room])
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
    await seat_history.sync(session, [room], now)
    return told


async def search(
    session: AsyncSession,
    workshop: Workshop,
    words: Sequence[str] = (),
    mode: RoomMode | None = None,
    language: str | None = None,
    city: str | None = None,
    country: str | None = None,
) -> list[LocalRoom]:
    """Rooms of a workshop that are not withdrawn and match every word and filter."""
    # Not joined again for every room: `workshop` is in the session already, where
    # each room's `workshop` finds it without a query.
    query = select(LocalRoom).options(lazyload(LocalRoom.workshop)).where(
        LocalRoom.workshop_id == workshop.id, LocalRoom.status != RoomStatus.WITHDRAWN
    )
    if mode is not None:
        query = query.where(LocalRoom.mode == mode)
    if language is not None:
        query = query.where(LocalRoom.language == language)
    rooms = list(await session.scalars(query.order_by(LocalRoom.id)))

    def haystack(room: LocalRoom) -> str:
        parts = (
            room.name,
            room.organization,
            room.city,
            country_name(room.country) if room.country else None,
            room.who_may_join,
            room.language,
            room.mode.value,
        )
        return fold(" ".join(p for p in parts if p))

    needles = [fold(w) for w in words]
    place = fold(city) if city is not None else None
    return [
        r
        for r in rooms
        if all(n in haystack(r) for n in needles)
        and (place is None or fold(r.city or "") == place)
        and (country is None or country_code(r.country or "") == country)
    ]


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
