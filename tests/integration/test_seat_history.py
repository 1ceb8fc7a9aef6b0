"""The seat history follows the memberships on every path (SQLite and PostgreSQL).

Many random joins, moves, leaves, waitlist promotions (a capacity raised, a seat
given up), leads added and removed, steps down, withdrawals, new rooms and
forget-me, each through the service that does it, each at its own minute. After
every step the memberships' seats are noted (learners per room; a room's team,
host and lead together, once per person); at the end the history must say, for
each step's minute, exactly those seats, and keep open exactly those held now.
A path that changes memberships without writing the history fails here.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import LocalRoom, MemberRole, Membership, Person, SeatHistory, SeatKind
from bot.services import forget, people, rooms, seat_history, seats, team
from bot.services.errors import UserError
from tests.chat import ORGANIZER, Chat

Seats = Counter[tuple[int, SeatKind]]
Step = Callable[[AsyncSession, random.Random, datetime], Awaitable[object]]
PEOPLE = [f"@p{n}:uni.no" for n in (1, 12, 2, 21, 3, 31, 4, 41)]  # ids that are prefixes


async def held(session: AsyncSession) -> Seats:
    """The seats the memberships say are held."""
    found = (await session.execute(select(Membership.room_id, Membership.person_id,
                                          Membership.role))).all()
    learners = [(room, SeatKind.LEARNER) for room, _, role in found if role is MemberRole.LEARNER]
    staff = {(room, person) for room, person, role in found if role in seats.STAFF}
    return Counter(learners + [(room, SeatKind.STAFF) for room, _ in staff])


async def seated(session: AsyncSession, at: datetime) -> Seats:
    room_ids = list(await session.scalars(select(LocalRoom.id)))
    found: Seats = Counter()
    for kind in SeatKind:
        for room, n in (await seat_history.seated(session, room_ids, kind, at)).items():
            found[(room, kind)] = n
    return found


async def pick_room(session: AsyncSession, rng: random.Random) -> LocalRoom:
    return rng.choice(list(await session.scalars(select(LocalRoom).order_by(LocalRoom.id))))


async def pick_person(session: AsyncSession, rng: random.Random) -> Person:
    found = list(await session.scalars(select(Person).order_by(Person.id)))
    return rng.choice([p for p in found if p.user_id != ORGANIZER] or found)


async def join(session: AsyncSession, rng: random.Random, now: datetime) -> object:
    room, person = await pick_room(session, rng), await pick_person(session, rng)
    return await seats.join(session, room, person, now)


async def leave(session: AsyncSession, rng: random.Random, now: datetime) -> object:
    room, person = await pick_room(session, rng), await pick_person(session, rng)
    return await seats.leave(session, room.workshop, person, now)


async def add_lead(session: AsyncSession, rng: random.Random, now: datetime) -> object:
    room, person = await pick_room(session, rng), await pick_person(session, rng)
    return await team.add_lead(session, room, person, now)


async def pick_staff(session: AsyncSession, rng: random.Random,
                     roles: tuple[MemberRole, ...]) -> tuple[LocalRoom, Person]:
    """Someone in a room's team (who else would step down), or anyone anywhere."""
    found = list(await session.scalars(
        select(Membership).where(Membership.role.in_(roles)).order_by(Membership.id)))
    if not found or rng.random() < 0.2:
        return await pick_room(session, rng), await pick_person(session, rng)
    chosen = rng.choice(found)
    return chosen.room, chosen.person


async def remove_lead(session: AsyncSession, rng: random.Random, now: datetime) -> object:
    room, person = await pick_staff(session, rng, (MemberRole.LEAD,))
    return await team.remove_lead(session, room, person, now)


async def step_down(session: AsyncSession, rng: random.Random, now: datetime) -> object:
    room, person = await pick_staff(session, rng, seats.STAFF)
    return await team.step_down(session, room, person, now)


async def capacity(session: AsyncSession, rng: random.Random, now: datetime) -> object:
    room = await pick_room(session, rng)
    wanted = rooms.RoomFields({"capacity": room.capacity + rng.choice((-1, 1, 2))})
    return await rooms.edit(session, room, wanted, set(), True, now)


async def withdraw(session: AsyncSession, rng: random.Random, now: datetime) -> object:
    if rng.random() < 0.5:  # rarely: a withdrawn room stays so
        raise UserError("not this time")
    return await rooms.withdraw(session, await pick_room(session, rng), now)


async def add_room(session: AsyncSession, rng: random.Random, now: datetime) -> object:
    room = await pick_room(session, rng)
    fields = rooms.RoomFields({"name": "New", "organization": "U", "mode": room.mode,
                               "city": room.city, "capacity": 1})
    return await rooms.add(session, room.workshop, await pick_person(session, rng), fields, now)


async def forget_one(session: AsyncSession, rng: random.Random, now: datetime) -> object:
    person = await pick_person(session, rng)
    moved = await forget.forget(session, b"key", person, now=now)
    await people.ensure(session, "test", person.user_id, now)  # they write again
    return moved


STEPS: list[Step] = [join, join, join, leave, leave, add_lead, remove_lead, step_down,
                     capacity, withdraw, add_room, forget_one]


@pytest.mark.parametrize("seed", [1, 2])
async def test_the_history_says_at_every_minute_which_seats_were_held(
    chat: Chat, seed: int
) -> None:
    await chat.say(ORGANIZER, "!workshop add ws title=W tz=Asia/Kolkata "
                              "days=2026-03-17,2026-03-18 time=10:00-15:00")
    for n, user in enumerate(PEOPLE[:3], start=1):
        await chat.say(user, f"!room add name=Room{n} org=U mode=online capacity=2 public=no")
    for user in PEOPLE:
        await chat.say(user, f"!join R{1 + PEOPLE.index(user) % 3}")
    rng = random.Random(seed)
    now = chat.clock.now()
    noted: list[tuple[datetime, Seats]] = []
    done: Counter[str] = Counter()
    for _ in range(100):
        now += timedelta(minutes=rng.randint(1, 90), seconds=rng.randint(0, 59))
        step = rng.choice(STEPS)
        try:
            async with chat.app.sessions() as session, session.begin():
                await step(session, rng, now)
            done[step.__name__] += 1
        except UserError:
            pass
        async with chat.app.sessions() as session:
            noted.append((now, await held(session)))
    assert set(done) == {step.__name__ for step in STEPS}, done  # every path was taken
    async with chat.app.sessions() as session:
        for at, expected in noted:
            assert await seated(session, at) == +expected, (at, done)
        still = Counter((h.room_id, h.kind) for h in await session.scalars(
            select(SeatHistory).where(SeatHistory.until.is_(None))))
        assert still == +noted[-1][1]
