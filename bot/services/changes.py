"""Who is told what when a workshop's days or times, or a room's venue, mode or days change.

The command takes a `snapshot` before and after its change; `messages` compares
the two and lists, for each affected person (the seated learners, team leads and
hosts of the rooms concerned), every change that concerns them, in that person's
zone; the command adds what to type to see more. Someone whose rooms are
untouched by the change (a room that does not meet on the day that moved) is not
told; neither is the person who made the change, who reads it in the reply.

`columns` and `changed` tell an edit that changes nothing (every value given is
the one stored already) from one that does: the first is answered so, and tells
nobody.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    Base,
    LocalRoom,
    MemberRole,
    Membership,
    RoomMode,
    RoomStatus,
    Workshop,
)
from bot.services import rooms as room_service
from bot.text import code, escape, span

TOLD = (MemberRole.HOST, MemberRole.LEAD, MemberRole.LEARNER)


def columns(row: Base) -> dict[str, object]:
    """A row's column values by attribute name, as they are now (a workshop's days are
    rows of their own: compare `Snapshot.days` too)."""
    return {attr.key: getattr(row, attr.key) for attr in sa_inspect(type(row)).column_attrs}


def changed(before: Mapping[str, object], row: Base) -> set[str]:
    """The attributes of `row` whose values are no longer those of `before` (its
    `columns` before the edit)."""
    return {key for key, value in columns(row).items() if before.get(key) != value}


@dataclass(frozen=True)
class Day:
    number: int
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class RoomState:
    code: str
    name: str
    mode: RoomMode
    venue: str | None
    dates: frozenset[date]

    @property
    def label(self) -> str:
        return f"{self.code} {escape(self.name)}"


@dataclass(frozen=True)
class Member:
    user_id: str
    timezone: str | None
    rooms: tuple[int, ...]


@dataclass(frozen=True)
class Snapshot:
    """What the people of a workshop (or of one of its rooms) were told so far."""

    workshop_id: int
    room_id: int | None
    slug: str
    days: dict[date, Day]
    rooms: dict[int, RoomState]
    members: dict[str, Member]


async def snapshot(
    session: AsyncSession, workshop: Workshop, room: LocalRoom | None = None
) -> Snapshot:
    """The workshop's days, and its open rooms (or just `room`) with their people."""
    query = select(LocalRoom).where(
        LocalRoom.workshop_id == workshop.id, LocalRoom.status != RoomStatus.WITHDRAWN
    )
    if room is not None:
        query = query.where(LocalRoom.id == room.id)
    found = list(await session.scalars(query.order_by(LocalRoom.id)))
    days = {d.local_date: Day(d.number, d.starts_at, d.ends_at) for d in workshop.days}
    states = {}
    for r in found:
        covered = room_service.covered_days(r)
        dates = frozenset(d.local_date for d in workshop.days if d.number in covered)
        states[r.id] = RoomState(r.code, r.name, r.mode, r.venue, dates)
    memberships = await session.scalars(
        select(Membership)
        .where(Membership.room_id.in_(states), Membership.role.in_(TOLD))
        .order_by(Membership.room_id, Membership.id)
    )
    rooms_of: dict[str, list[int]] = {}
    zones: dict[str, str | None] = {}
    for membership in memberships:
        user = membership.person.user_id
        zones[user] = membership.person.timezone
        held = rooms_of.setdefault(user, [])
        if membership.room_id not in held:
            held.append(membership.room_id)
    members = {user: Member(user, zones[user], tuple(held)) for user, held in rooms_of.items()}
    return Snapshot(workshop.id, room.id if room else None, workshop.slug, days, states, members)


async def again(session: AsyncSession, before: Snapshot) -> Snapshot:
    """The same view as `before`, now (after the change)."""
    workshop = await session.get(Workshop, before.workshop_id)
    room = await session.get(LocalRoom, before.room_id) if before.room_id is not None else None
    assert workshop is not None, "a workshop is never deleted by an edit"
    return await snapshot(session, workshop, room)


@dataclass(frozen=True)
class Told:
    """What one person is told: the changes that concern them, shown in `zone`
    (the default zone when `own_zone` is false); the caller adds what to type next."""

    user_id: str
    lines: tuple[str, ...]
    zone: ZoneInfo
    own_zone: bool


def messages(before: Snapshot, after: Snapshot, *, editor: str, default_zone: str) -> list[Told]:
    """One message for each person the change concerns, in their zone."""
    told = []
    for member in before.members.values():
        if member.user_id == editor:
            continue
        zone = ZoneInfo(member.timezone or default_zone)
        lines = _room_lines(before, after, member.rooms) + _day_lines(
            before, after, member.rooms, zone
        )
        if not lines:
            continue
        labels = [before.rooms[r].label for r in member.rooms]
        whose = "your local room" if len(labels) == 1 else "your local rooms"
        text = (
            f"Changes for {whose} {' and '.join(labels)} in workshop {code(before.slug)}:",
            *(f"- {line}" for line in lines),
        )
        told.append(Told(member.user_id, text, zone, own_zone=member.timezone is not None))
    return told


def _room_lines(before: Snapshot, after: Snapshot, room_ids: Iterable[int]) -> list[str]:
    lines = []
    for room_id in room_ids:
        old, new = before.rooms[room_id], after.rooms.get(room_id)
        if new is None:
            continue
        if new.mode is not old.mode:
            lines.append(f"{old.label} is now {_mode(new.mode)} (was {_mode(old.mode)}).")
        if new.venue != old.venue:
            if new.venue is None:
                lines.append(f"{old.label} no longer has a venue or video link.")
            else:
                lines.append(f"Venue or video link of {old.label}: {escape(new.venue)}")
    return lines


def _day_lines(
    before: Snapshot, after: Snapshot, room_ids: tuple[int, ...], zone: ZoneInfo
) -> list[str]:
    """What changed about the days the person's rooms meet on, in date order."""
    lines: list[tuple[date, str]] = []
    for day in sorted(_covered(before, room_ids) | _covered(after, room_ids)):
        old, new = before.days.get(day), after.days.get(day)
        if new is None and old is not None:
            lines.append((day, f"{_span(old, zone)} is no longer a workshop day."))
        elif old is None and new is not None:
            lines.append((day, f"New workshop day: Day {new.number}, {_span(new, zone)}."))
        elif old and new and (old.starts_at, old.ends_at) != (new.starts_at, new.ends_at):
            lines.append(
                (day, f"Day {new.number} is now {_span(new, zone)}; it was {_span(old, zone)}.")
            )
    for room_id in room_ids:
        old_room, new_room = before.rooms[room_id], after.rooms.get(room_id)
        if new_room is None:
            continue
        # Dates of the workshop before and after whose coverage by this room changed.
        for dates, verb in (
            (new_room.dates - old_room.dates, "now also meets"),
            (old_room.dates - new_room.dates, "no longer meets"),
        ):
            for day in sorted(dates & before.days.keys() & after.days.keys()):
                new_day = after.days[day]
                lines.append(
                    (
                        day,
                        f"{old_room.label} {verb} on Day {new_day.number}, {_span(new_day, zone)}.",
                    )
                )
    return [line for _, line in sorted(lines, key=lambda pair: pair[0])]


def _covered(state: Snapshot, room_ids: Iterable[int]) -> set[date]:
    return {d for r in room_ids if r in state.rooms for d in state.rooms[r].dates}


def _span(day: Day, zone: ZoneInfo) -> str:
    return span(day.starts_at, day.ends_at, zone)


def _mode(mode: RoomMode) -> str:
    return "online" if mode is RoomMode.ONLINE else "in person"


def removed_coverage(before: Snapshot, after: Snapshot) -> list[str]:
    """`R2 Oslo classroom (Wed 18 Mar)`: rooms that met on days the change removed."""
    found = []
    for room_id, room in before.rooms.items():
        lost = sorted(room.dates - after.days.keys())
        if not lost:
            continue
        dates = ", ".join(f"{d:%a} {d.day} {d:%b}" for d in lost)
        left = after.rooms.get(room_id)
        none_left = "; it now meets on no day" if left is not None and not left.dates else ""
        found.append(f"{room.label} ({dates}{none_left})")
    return found
