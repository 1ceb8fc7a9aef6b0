"""The schema keeps the rules, and a command that runs into one is run again.

One learner place (seat or waitlist) per person per workshop, and one current
workshop, are unique indexes (migration 0009), on SQLite and PostgreSQL alike.
When a command loses a race against another (on PostgreSQL two transactions do
run at once), the index refuses the second write; the dispatcher runs that
command again, and it answers as if the two had come one after the other. A
command that keeps clashing gets a clear answer and changes nothing.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bot.db.clashes import is_clash
from bot.db.models import MemberRole, Membership, Person, Workshop
from bot.services import seats
from tests.chat import ORGANIZER, START, Chat

ANA = "@ana:uni.no"
HOST = "@host:uni.no"
WORKSHOP = "!workshop add ws title=W tz=UTC days=2026-03-17 time=10:00-15:00"


async def two_rooms(chat: Chat) -> None:
    assert "created" in await chat.say(ORGANIZER, WORKSHOP)
    for name in ("One", "Two"):
        answer = await chat.say(
            HOST, f"!room add name={name} org=U mode=online capacity=5 public=no"
        )
        assert "Registered" in answer


async def places(chat: Chat, user: str) -> list[tuple[int, MemberRole]]:
    async with chat.app.sessions() as session:
        rows = await session.execute(
            select(Membership.room_id, Membership.role)
            .join(Membership.person)
            .where(Person.user_id == user)
            .order_by(Membership.id)
        )
        return [(room, role) for room, role in rows]


async def test_the_schema_refuses_a_second_learner_place_in_a_workshop(chat: Chat) -> None:
    await two_rooms(chat)
    assert "you have a seat" in await chat.say(ANA, "!join R1")
    async with chat.app.sessions() as session:
        ana = await session.scalar(select(Person.id).where(Person.user_id == ANA))
    assert ana is not None

    async def add(role: MemberRole) -> None:
        async with chat.app.sessions() as session, session.begin():
            session.add(Membership(room_id=2, workshop_id=1, person_id=ana, role=role,
                                   joined_at=START))

    for role in (MemberRole.LEARNER, MemberRole.WAITLIST):
        with pytest.raises(IntegrityError, match=r"uq_membership_one_place|UNIQUE"):
            await add(role)
    await add(MemberRole.LEAD)  # a team lead's place is no learner place: allowed
    assert await places(chat, ANA) == [(1, MemberRole.LEARNER), (2, MemberRole.LEAD)]


async def test_the_schema_refuses_a_second_current_workshop(chat: Chat) -> None:
    assert "created" in await chat.say(ORGANIZER, WORKSHOP)
    with pytest.raises(IntegrityError, match=r"uq_workshop_one_current|UNIQUE"):
        async with chat.app.sessions() as session, session.begin():
            session.add(Workshop(slug="other", title="O", timezone="UTC", state="planned",
                                 is_current=True, created_at=START))


async def test_workshops_added_at_once_make_one_current(chat: Chat) -> None:
    answers = await asyncio.gather(*(
        chat.say(ORGANIZER, f"!workshop add w{n} title=W tz=UTC days=2026-03-17 time=10:00-15:00")
        for n in range(6)
    ))
    assert all("created" in answer for answer in answers), [a.reply for a in answers]
    async with chat.app.sessions() as session:
        current = await session.scalar(
            select(func.count()).select_from(Workshop).where(Workshop.is_current)
        )
    assert current == 1


async def join_losing_the_race(chat: Chat, monkeypatch: pytest.MonkeyPatch, times: int) -> str:
    """Ana, seated in R1, joins R2 with a `seeker_membership` that misses her place
    `times` times, as a transaction does that read before another one committed that
    place; the answer."""
    await two_rooms(chat)
    assert "you have a seat" in await chat.say(ANA, "!join R1")
    real = seats.seeker_membership
    calls = {"n": 0}

    async def seeker_membership(*args: Any) -> Membership | None:
        calls["n"] += 1
        return None if calls["n"] <= times else await real(*args)

    monkeypatch.setattr(seats, "seeker_membership", seeker_membership)
    return (await chat.say(ANA, "!join R2")).reply


async def test_a_join_that_lost_a_race_is_run_again_and_answered_in_turn(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = await join_losing_the_race(chat, monkeypatch, 1)

    assert "you have a seat" in answer and "R1" in answer  # moved, and told so
    assert await places(chat, ANA) == [(2, MemberRole.LEARNER)]


async def test_a_command_that_keeps_clashing_is_answered_clearly_and_changes_nothing(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = await join_losing_the_race(chat, monkeypatch, 1000)

    assert "Someone changed the same thing at the same moment" in answer
    assert "nothing was changed" in answer and "send it again" in answer
    assert "went wrong" not in answer and "IntegrityError" not in answer
    assert await places(chat, ANA) == [(1, MemberRole.LEARNER)]
    monkeypatch.undo()
    assert "you have a seat" in await chat.say(ANA, "!join R2")  # sent again: done
    assert await places(chat, ANA) == [(2, MemberRole.LEARNER)]


async def test_only_races_count_as_clashes_not_bugs(chat: Chat) -> None:
    """A NULL where none may be is a bug ("something went wrong", logged), not a race
    to run again; a unique violation is a race."""
    caught: list[Exception] = []
    for person in (Person(network="t", user_id=None, created_at=START),
                   Person(network="t", user_id="@a:b", created_at=START),
                   Person(network="t", user_id="@a:b", created_at=START)):
        try:
            async with chat.app.sessions() as session, session.begin():
                session.add(person)
        except IntegrityError as exc:
            caught.append(exc)
    assert [is_clash(exc) for exc in caught] == [False, True]
