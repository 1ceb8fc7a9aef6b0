"""When seats were held: the anonymous history a past day's response rate is counted from.

Every function that adds, removes or changes memberships ends with `sync` for the
rooms it touched (bot/services/seats.py, team.py, rooms.py, forget.py; a test
fails for a function that writes memberships without it). `sync` compares, in one
statement (one snapshot on PostgreSQL too), the seats the memberships say are held
with the history's open rows and opens or closes the difference at `now`: one
place that sees ORM deletes, Core bulk deletes and forget-me's generic delete
alike, and that repairs rows written without it (a test's direct insert).

Rows carry no person, so which open row a departure closes is not known and need
not be: at any time the seats held are those opened by then minus those closed
by then, whichever rows they were. A learner seat is a `learner` membership; a
team place is a person's host and lead memberships of a room together (one place,
like the rates have always counted them). The waitlist holds no seat.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime

from sqlalchemy import Integer, func, insert, literal, select, union_all, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import LocalRoom, MemberRole, Membership, SeatHistory, SeatKind

STAFF_ROLES = (MemberRole.HOST, MemberRole.LEAD)


async def sync(session: AsyncSession, rooms: Iterable[LocalRoom], now: datetime) -> None:
    """Make the open history of `rooms` match their memberships, as of `now`."""
    workshop_of = {room.id: room.workshop_id for room in rooms}
    if not workshop_of:
        return
    await session.flush()
    ids = list(workshop_of)
    M, H = Membership, SeatHistory
    one = literal(1, Integer)
    learners = select(M.room_id, literal(SeatKind.LEARNER.value).label("kind"),
                      one.label("n")).where(M.room_id.in_(ids), M.role == MemberRole.LEARNER)
    places = (select(M.room_id, M.person_id)
              .where(M.room_id.in_(ids), M.role.in_(STAFF_ROLES)).distinct().subquery())
    staff = select(places.c.room_id, literal(SeatKind.STAFF.value), one)
    held = select(H.room_id, H.kind, literal(-1, Integer)).where(
        H.room_id.in_(ids), H.until.is_(None))
    both = union_all(learners, staff, held).subquery()
    differences = await session.execute(
        select(both.c.room_id, both.c.kind, func.sum(both.c.n))
        .group_by(both.c.room_id, both.c.kind).having(func.sum(both.c.n) != 0))
    for room_id, kind, difference in differences.all():
        if difference > 0:
            await session.execute(insert(H), [
                {"workshop_id": workshop_of[room_id], "room_id": room_id,
                 "kind": SeatKind(kind), "since": now} for _ in range(difference)])
        else:
            closing = (select(H.id).where(H.room_id == room_id, H.kind == SeatKind(kind),
                                          H.until.is_(None))
                       .order_by(H.id.desc()).limit(-difference))
            await session.execute(update(H).where(H.id.in_(closing.scalar_subquery()))
                                  .values(until=now), execution_options={
                                      "synchronize_session": False})


async def seated(
    session: AsyncSession, room_ids: Collection[int], kind: SeatKind, at: datetime
) -> dict[int, int]:
    """Per room, the seats of `kind` held at `at` (taken by then, not yet given up)."""
    H = SeatHistory
    found = await session.execute(
        select(H.room_id, func.count())
        .where(H.room_id.in_(room_ids), H.kind == kind, H.since <= at,
               (H.until.is_(None)) | (H.until > at))
        .group_by(H.room_id))
    return {room_id: n for room_id, n in found.all()}


async def seated_at(
    session: AsyncSession, room_ids: Collection[int], kind: SeatKind,
    instants: Iterable[datetime],
) -> Mapping[datetime, dict[int, int]]:
    """`seated` at each of `instants` (one query each; a workshop has a few days)."""
    return {at: await seated(session, room_ids, kind, at) for at in set(instants)}
