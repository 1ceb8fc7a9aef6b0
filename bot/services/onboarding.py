"""Onboarding sessions of a workshop and the team leads and hosts signed up for them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.locks import lock_onboarding
from bot.db.models import (
    Audience,
    LocalRoom,
    MemberRole,
    Membership,
    OnboardingSession,
    OnboardingSignup,
    Person,
    RoomMode,
    RoomStatus,
    Workshop,
)
from bot.services.errors import BelowSignedUp, NoSuchSession, UserError
from bot.text import code, quoted

STAFF = (MemberRole.HOST, MemberRole.LEAD)


def parse_code(text: str) -> int:
    """`O2` -> 2; ValueError for anything else (the framework answers with the usage)."""
    match = re.fullmatch(r"[Oo]?(\d{1,9})", text.strip())
    if not match:
        raise ValueError(f"{quoted(text, 40)} is not a session id; session ids look like O2")
    return int(match[1])


class SessionCode(int):
    """An onboarding session's id as people see it: `O2`."""

    metavar = "O2"
    what = "the session id"

    @classmethod
    def parse(cls, text: str) -> SessionCode:
        return cls(parse_code(text))


async def sessions_of(session: AsyncSession, workshop: Workshop) -> list[OnboardingSession]:
    found = await session.scalars(
        select(OnboardingSession)
        .where(OnboardingSession.workshop_id == workshop.id)
        .order_by(OnboardingSession.starts_at, OnboardingSession.id)
    )
    return list(found)


async def get(
    session: AsyncSession, workshop: Workshop, number: int
) -> OnboardingSession:
    found = await session.get(OnboardingSession, number)
    if found is None or found.workshop_id != workshop.id:
        raise NoSuchSession(number, workshop.slug)
    return found


async def add(
    session: AsyncSession,
    workshop: Workshop,
    *,
    starts_at: datetime,
    minutes: int,
    link: str | None,
    capacity: int | None,
    audience: Audience,
    now: datetime,
) -> OnboardingSession:
    row = OnboardingSession(
        workshop_id=workshop.id, starts_at=starts_at, minutes=minutes, link=link,
        capacity=capacity, audience=audience, created_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def edit(
    session: AsyncSession,
    onboarding: OnboardingSession,
    *,
    starts_at: datetime | None = None,
    minutes: int | None = None,
    link: str | None = None,
    capacity: int | None = None,
    audience: Audience | None = None,
) -> None:
    """Change what is given of a session (None: unchanged).

    BelowSignedUp when the capacity is less than the sign-ups: there is no waitlist
    for sessions, so some would be left without a seat, unsaid. The organizer
    decides who moves first.
    """
    if capacity is not None:
        signed = await taken(session, onboarding)  # locks the row and reloads it
        if capacity < signed:
            raise BelowSignedUp(onboarding.code, signed, capacity)
        onboarding.capacity = capacity
    if starts_at is not None:
        onboarding.starts_at = starts_at
    if minutes is not None:
        onboarding.minutes = minutes
    if link is not None:
        onboarding.link = link
    if audience is not None:
        onboarding.audience = audience
    await session.flush()


async def signed_up(session: AsyncSession, onboarding: OnboardingSession) -> list[Person]:
    found = await session.scalars(
        select(Person)
        .join(OnboardingSignup, OnboardingSignup.person_id == Person.id)
        .where(OnboardingSignup.session_id == onboarding.id)
        .order_by(OnboardingSignup.id)
    )
    return list(found)


async def counts(session: AsyncSession, workshop: Workshop) -> dict[int, int]:
    """Session id -> how many are signed up."""
    found = await session.execute(
        select(OnboardingSignup.session_id, func.count())
        .where(OnboardingSignup.workshop_id == workshop.id)
        .group_by(OnboardingSignup.session_id)
    )
    return {session_id: count for session_id, count in found.all()}


async def taken(session: AsyncSession, onboarding: OnboardingSession) -> int:
    """How many are signed up for the session, its row locked until the transaction
    ends: no sign-up can slip in between this count and what it decides."""
    await lock_onboarding(session, onboarding)
    found = await session.scalar(
        select(func.count()).where(OnboardingSignup.session_id == onboarding.id)
    )
    return int(found or 0)


async def remove(session: AsyncSession, onboarding: OnboardingSession) -> list[Person]:
    """Cancel a session; who was signed up (to be told)."""
    told = await signed_up(session, onboarding)
    await session.execute(
        delete(OnboardingSignup).where(OnboardingSignup.session_id == onboarding.id)
    )
    await session.delete(onboarding)
    await session.flush()
    return told


async def signup_of(
    session: AsyncSession, workshop: Workshop, person: Person | None
) -> OnboardingSignup | None:
    if person is None:
        return None
    found: OnboardingSignup | None = await session.scalar(
        select(OnboardingSignup).where(
            OnboardingSignup.workshop_id == workshop.id, OnboardingSignup.person_id == person.id
        )
    )
    return found


async def staff_modes(session: AsyncSession, workshop: Workshop, person: Person) -> set[RoomMode]:
    """The modes of the live rooms of the workshop this person hosts or leads."""
    found = await session.scalars(
        select(LocalRoom.mode)
        .join(Membership, Membership.room_id == LocalRoom.id)
        .where(
            LocalRoom.workshop_id == workshop.id,
            LocalRoom.status != RoomStatus.WITHDRAWN,
            Membership.person_id == person.id,
            Membership.role.in_(STAFF),
        )
    )
    return set(found)


def meant_for(onboarding: OnboardingSession, modes: set[RoomMode] | frozenset[RoomMode]) -> bool:
    """Whether the session's audience includes rooms of one of these modes."""
    audience = onboarding.audience
    return audience is Audience.ALL or RoomMode(audience.value) in modes


@dataclass(frozen=True)
class LinkReader:
    """Whose eyes a session's video link may meet (../shared/PRODUCT.md section 11):
    organizers; whoever is signed up for that session; and the team leads and hosts
    of the workshop's live rooms for the sessions meant for their rooms' mode. Those
    may sign up for such a session at any moment and get the link then, so showing
    it before hides nothing from them; a learner or a stranger never sees it."""

    organizer: bool
    modes: frozenset[RoomMode]  # of the live rooms the reader hosts or leads
    signed_up_for: int | None  # the session id

    def sees(self, onboarding: OnboardingSession) -> bool:
        if self.organizer or onboarding.id == self.signed_up_for:
            return True
        return bool(self.modes) and meant_for(onboarding, self.modes)


async def link_reader(
    session: AsyncSession, workshop: Workshop, person: Person | None, *, organizer: bool
) -> LinkReader:
    signup = await signup_of(session, workshop, person)
    modes = await staff_modes(session, workshop, person) if person is not None else set()
    return LinkReader(organizer, frozenset(modes), signup.session_id if signup else None)


@dataclass(frozen=True)
class Joined:
    left: OnboardingSession | None  # the session they were signed up for before, if another


async def join(
    session: AsyncSession,
    workshop: Workshop,
    onboarding: OnboardingSession,
    person: Person,
    now: datetime,
) -> Joined:
    """Sign a lead or host up; one session per person and workshop (a change moves them)."""
    seats_taken = await taken(session, onboarding)  # locks the row and reloads it
    modes = await staff_modes(session, workshop, person)
    if not modes:
        raise UserError(
            "Onboarding sessions are for the team leads and hosts of "
            f"{code(workshop.slug)}'s rooms."
        )
    if not meant_for(onboarding, modes):
        raise UserError(
            f"{onboarding.code} is for the teams of {onboarding.audience.value} rooms; "
            "please pick another session."
        )
    if onboarding.starts_at <= now:
        raise UserError(f"{onboarding.code} has already started; please pick another session.")
    current = await signup_of(session, workshop, person)
    if current is not None and current.session_id == onboarding.id:
        raise UserError(f"You are already signed up for {onboarding.code}.")
    if onboarding.capacity is not None and seats_taken >= onboarding.capacity:
        raise UserError(
            f"{onboarding.code} is full ({onboarding.capacity} seats); please pick another session."
        )
    left = None
    if current is not None:
        left = await session.get(OnboardingSession, current.session_id)
        await session.delete(current)
        await session.flush()
    session.add(
        OnboardingSignup(
            workshop_id=workshop.id, session_id=onboarding.id, person_id=person.id, created_at=now
        )
    )
    await session.flush()
    return Joined(left)


async def leave(
    session: AsyncSession, workshop: Workshop, person: Person | None
) -> OnboardingSession:
    current = await signup_of(session, workshop, person)
    if current is None:
        raise UserError("You are not signed up for an onboarding session.")
    left = await session.get(OnboardingSession, current.session_id)
    assert left is not None
    await session.delete(current)
    await session.flush()
    return left


async def staff_without_session(session: AsyncSession, workshop: Workshop) -> int:
    """Team leads and hosts of live rooms not signed up for any session."""
    signed = select(OnboardingSignup.person_id).where(OnboardingSignup.workshop_id == workshop.id)
    found = await session.scalar(
        select(func.count(func.distinct(Membership.person_id)))
        .join(LocalRoom, Membership.room_id == LocalRoom.id)
        .where(
            LocalRoom.workshop_id == workshop.id,
            LocalRoom.status != RoomStatus.WITHDRAWN,
            Membership.role.in_(STAFF),
            Membership.person_id.not_in(signed),
        )
    )
    return int(found or 0)
