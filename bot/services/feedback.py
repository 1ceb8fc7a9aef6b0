"""Feedback forms in progress and saved responses, keyed by pseudonyms.

A person's form in progress is a conversation (bot/commands/feedback_form.py);
a saved form is a `FeedbackResponse` carrying a keyed pseudonym of the
respondent (HMAC-SHA256 with `feedback.key` over the person's network and user
id), never a user id. Answering the same form again (same workshop and day)
replaces the earlier response; the confirmation before saving says so.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings, forms_path
from bot.db.models import (
    FeedbackResponse,
    MemberRole,
    Person,
    TransportState,
    Workshop,
)
from bot.forms import engine
from bot.forms.definitions import Form, load
from bot.services import seats, tallies, windows
from bot.services.errors import UserError
from bot.text import code


@dataclass(frozen=True)
class Answered:
    """Which response a form's answers are: the form, the workshop and day (0: not about
    one day), the room they count for."""

    form: str
    workshop_id: int
    day: int
    room_id: int | None


# Where the console keeps the key it generated when none is configured.
KEY_ROW = ("bot", "feedback_key")


@functools.cache
def _forms(path: Path | None) -> dict[str, Form]:
    return load(path)


def forms(settings: Settings) -> dict[str, Form]:
    """The forms in use (checked when the configuration was loaded)."""
    return _forms(forms_path(settings))


def form_named(settings: Settings, name: str) -> Form:
    known = forms(settings)
    if name not in known:
        names = ", ".join(code(n) for n in known)
        raise UserError(f"There is no form {code(name[:40])}; the forms are {names}.")
    return known[name]


async def feedback_key(session: AsyncSession, settings: Settings) -> bytes:
    """The configured key; without one (the console, tests), a random key generated
    once and kept in the database. `run` refuses to start without a configured key."""
    if settings.feedback.key:
        return settings.feedback.key.encode()
    row = await session.get(TransportState, KEY_ROW)
    if row is None:
        row = TransportState(network=KEY_ROW[0], key=KEY_ROW[1], value=secrets.token_hex(32))
        session.add(row)
        await session.flush()
    return row.value.encode()


def pseudonym(key: bytes, person: Person) -> str:
    return pseudonym_of(key, person.address)


def pseudonym_of(key: bytes, address: str) -> str:
    """The pseudonym of `network:user id` (a `Person.address`), with or without a row."""
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()


async def form_subject(
    session: AsyncSession,
    settings: Settings,
    person: Person,
    workshop: Workshop,
    form_name: str,
    day: int | None,
    now: datetime,
) -> tuple[Form, int | None]:
    """The form about `day` and the room the person answers it for; WindowClosed when
    it can no longer be answered."""
    form = form_named(settings, form_name)
    windows.require_open(settings.feedback, workshop, form.name, day, now)
    return form, await _room_of(session, workshop, person, form)


async def answered_before(
    session: AsyncSession, settings: Settings, person: Person, form: str, workshop_id: int,
    day: int,
) -> bool:
    key = await feedback_key(session, settings)
    return await _response(session, pseudonym(key, person), form, workshop_id, day) is not None


async def _room_of(
    session: AsyncSession, workshop: Workshop, person: Person, form: Form
) -> int | None:
    """The room the respondent belongs to (a seat, or leading it), for per-room summaries."""
    mine = await seats.my_memberships(session, workshop, person)
    wanted = (MemberRole.LEARNER,) if form.audience == "learners" else seats.STAFF
    return next((m.room_id for m in mine if m.role in wanted), None)


async def _response(
    session: AsyncSession, respondent: str, form: str, workshop_id: int, day: int
) -> FeedbackResponse | None:
    return (
        await session.execute(
            select(FeedbackResponse).where(
                FeedbackResponse.respondent == respondent,
                FeedbackResponse.form == form,
                FeedbackResponse.workshop_id == workshop_id,
                FeedbackResponse.day == day,
            )
        )
    ).scalar_one_or_none()


async def save(
    session: AsyncSession,
    settings: Settings,
    person: Person,
    answered: Answered,
    answers: dict[str, engine.Value],
    now: datetime,
) -> bool:
    """Store the confirmed answers under the person's pseudonym; True when they replaced
    an earlier response (the same form, workshop and day)."""
    respondent = pseudonym(await feedback_key(session, settings), person)
    response = await _response(session, respondent, answered.form, answered.workshop_id,
                               answered.day)
    replaced = response is not None
    if response is None:
        response = FeedbackResponse(form=answered.form, workshop_id=answered.workshop_id,
                                    day=answered.day, respondent=respondent)
        session.add(response)
    response.room_id = answered.room_id
    response.answers = json.dumps(answers, ensure_ascii=False)
    response.submitted_at = now
    await session.flush()
    await tallies.index(session, response)
    return replaced


async def responses(
    session: AsyncSession, workshop: Workshop, form: str, day: int | None, room_id: int | None
) -> list[FeedbackResponse]:
    query = select(FeedbackResponse).where(
        FeedbackResponse.workshop_id == workshop.id, FeedbackResponse.form == form
    )
    if day is not None:
        query = query.where(FeedbackResponse.day == day)
    if room_id is not None:
        query = query.where(FeedbackResponse.room_id == room_id)
    return list((await session.execute(query.order_by(FeedbackResponse.id))).scalars())
