"""Feedback forms in progress and saved responses, keyed by pseudonyms.

A person's form in progress is a `Conversation` row (the engine's state as
JSON); a saved form is a `FeedbackResponse` carrying a keyed pseudonym of the
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
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings, forms_path
from bot.db.models import (
    Conversation,
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

FORM = "form"
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


async def conversation_of(
    session: AsyncSession, person: Person, *, lock: bool = False
) -> Conversation | None:
    query = select(Conversation).where(Conversation.person_id == person.id)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def begin(
    session: AsyncSession,
    person: Person,
    kind: str,
    now: datetime,
    *,
    form: str | None = None,
    workshop: Workshop | None = None,
    day: int = 0,
    room_id: int | None = None,
    state: engine.State | None = None,
) -> Conversation:
    """A new conversation for the person, replacing one in progress."""
    await session.execute(delete(Conversation).where(Conversation.person_id == person.id))
    row = Conversation(
        person_id=person.id, kind=kind, form=form,
        workshop_id=workshop.id if workshop else None, day=day, room_id=room_id,
        state=json.dumps(asdict(state or engine.State())), started_at=now, updated_at=now,
    )
    session.add(row)
    await session.flush()
    return row


def state_of(row: Conversation) -> engine.State:
    raw = json.loads(row.state)
    return engine.State(step=int(raw["step"]), answers=dict(raw["answers"]))


def store_state(row: Conversation, state: engine.State, now: datetime) -> None:
    row.state = json.dumps(asdict(state))
    row.updated_at = now


async def start_form(
    session: AsyncSession,
    settings: Settings,
    person: Person,
    workshop: Workshop,
    form_name: str,
    day: int | None,
    now: datetime,
) -> str:
    """Start a form for a person (a command or a reminder): the conversation row is
    written, and the text returned is what to send them (the first question).

    The caller sends it in the same transaction (a reply or an outbox notice).
    WindowClosed when the form about that day can no longer be answered.
    """
    form = form_named(settings, form_name)
    windows.require_open(settings.feedback, workshop, form.name, day, now)
    room_id = await _room_of(session, workshop, person, form)
    await begin(session, person, FORM, now, form=form.name, workshop=workshop,
                day=day or 0, room_id=room_id)
    _, question = engine.start(form, settings.bot.prefix)
    key = await feedback_key(session, settings)
    earlier = await _response(session, pseudonym(key, person), form.name, workshop.id, day or 0)
    about = f" about day {day}" if day else ""
    intro = f"Here is the {code(form.name)} form{about}, one question at a time."
    if earlier is not None:
        intro += " You answered it before: saving again replaces your earlier answers."
    return f"{intro}\n{question}"


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
    row: Conversation,
    answers: dict[str, engine.Value],
    now: datetime,
) -> None:
    """Store the confirmed answers under the person's pseudonym (replacing earlier ones)."""
    if row.form is None or row.workshop_id is None:
        raise ValueError("only a form conversation is saved")
    respondent = pseudonym(await feedback_key(session, settings), person)
    response = await _response(session, respondent, row.form, row.workshop_id, row.day)
    if response is None:
        response = FeedbackResponse(
            form=row.form, workshop_id=row.workshop_id, day=row.day, respondent=respondent
        )
        session.add(response)
    response.room_id = row.room_id
    response.answers = json.dumps(answers, ensure_ascii=False)
    response.submitted_at = now
    await session.flush()
    await tallies.index(session, response)


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
