"""The feedback form as a conversation kind: one question at a time in the direct
chat (the pure steps are bot/forms/engine.py), answerable until the form's window
closes (bot/services/windows.py), whatever the person's zone or how long they
paused. Commands may be typed inside a form; the form stays open.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.conversations.kinds import Kind, KindSet, Scene, State, Step, Subject
from bot.db.models import Person, Workshop
from bot.forms import engine
from bot.services import feedback, people, windows
from bot.text import code, when

FORM = "form"
kinds = KindSet()


def engine_state(raw: State) -> engine.State:
    return engine.State(step=int(raw["step"]), answers=dict(raw["answers"]))


def called(subject: Subject) -> str:
    about = f" about day {subject.day}" if subject.day else ""
    return f"the {code(subject.topic or '')} form{about}"


def question(settings: Settings, subject: Subject, raw: State) -> str:
    form = feedback.form_named(settings, subject.topic or "")
    return engine.ask(form, engine_state(raw), settings.bot.prefix)


def explain(settings: Settings, subject: Subject) -> str:
    return (
        f"You are answering {called(subject)} in this chat, one question at a time. Type "
        f"your answer; {code('skip')} skips an optional question, {code('back')} goes to "
        f"the previous one, {code('cancel')} stops without saving. A command typed with "
        f"{code(settings.bot.prefix)} runs as usual and the form stays open."
    )


async def start(scene: Scene) -> tuple[State, str]:
    subject = scene.subject
    form = feedback.form_named(scene.settings, subject.topic or "")
    state, first = engine.start(form, scene.settings.bot.prefix)
    intro = f"Here is {called(subject)}, one question at a time."
    if subject.workshop_id is not None and await feedback.answered_before(
            scene.session, scene.settings, scene.person, form.name, subject.workshop_id,
            subject.day):
        intro += " You answered it before: saving again replaces your earlier answers."
    return asdict(state), f"{intro}\n{first}"


async def answer(scene: Scene, raw: State, text: str) -> Step:
    subject = scene.subject
    form = feedback.form_named(scene.settings, subject.topic or "")
    outcome = engine.answer(form, engine_state(raw), text, scene.settings.bot.prefix)
    said = outcome.text
    if outcome.saved is not None and subject.workshop_id is not None:
        answered = feedback.Answered(form.name, subject.workshop_id, subject.day,
                                     subject.room_id)
        if await feedback.save(scene.session, scene.settings, scene.person, answered,
                               outcome.saved, scene.now):
            said += " They replace your earlier answers."
    if outcome.state is None:
        return Step(said, None, ended=True)
    return Step(said, asdict(outcome.state))


async def closes_at(scene: Scene) -> datetime:
    workshop_id = scene.subject.workshop_id
    workshop = await scene.session.get(Workshop, workshop_id) if workshop_id else None
    if workshop is None:  # pragma: no cover - the row goes with its workshop
        return scene.now
    return windows.closes_at(scene.settings.feedback, workshop, scene.subject.day)


def expired(scene: Scene, closes: datetime) -> str:
    zone = people.zone_of(scene.person, scene.settings.bot.default_timezone)
    return (f"could be answered until {when(closes, zone)}; its window has closed, so "
            "nothing of it was saved and the form has ended.")


def exists(settings: Settings, subject: Subject) -> bool:
    return (subject.topic or "") in feedback.forms(settings)


KIND = kinds.add(Kind(
    name=FORM, called=called, question=question, help=explain, start=start, answer=answer,
    closes_at=closes_at, expired=expired, commands_inside=True, exists=exists,
))


async def subject(
    session: AsyncSession, settings: Settings, person: Person,
    workshop: Workshop, form_name: str, day: int | None, now: datetime,
) -> Subject:
    """What a form conversation is about; WindowClosed when it no longer takes answers."""
    form, room_id = await feedback.form_subject(session, settings, person, workshop,
                                                form_name, day, now)
    return Subject(FORM, form.name, workshop.id, day or 0, room_id)
