"""A host or team lead taking a learner's seat in another room: told what that means and
asked first, a conversation kind (bot/conversations/kinds.py). `yes` seats them (or
puts them on the waitlist) as `!join` would; `no` or `cancel` takes nothing; anything
else asks again. No command runs inside it, as in forget-me's confirmation.

    !join R2 (leading R1) ──> confirming ──yes──> seat in R2, still leading R1
                                  ├──no / cancel──> nothing changed
                                  ├──anything else──> asked again
                                  └──confirm_minutes later──> ended at the next message
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.commands.joined import joined
from bot.commands.wording import word
from bot.config import Settings
from bot.conversations.kinds import Kind, KindSet, Scene, State, Step, Subject
from bot.conversations.router import word as first_word
from bot.db.models import LocalRoom, Person, RoomStatus
from bot.forms.engine import NO, YES
from bot.services import seats
from bot.services.errors import UserError
from bot.text import code, escape

KIND = "seat-elsewhere"
kinds = KindSet()


def subject(room: LocalRoom) -> Subject:
    """The seat asked for: the room, by its code as the topic (so a second `!join` of
    the same room finds this conversation, one of another room is another one)."""
    return Subject(KIND, topic=room.code, workshop_id=room.workshop_id, room_id=room.id)


async def led_elsewhere(session: AsyncSession, room: LocalRoom, person: Person) -> list[str]:
    """The other rooms of the workshop the person hosts or leads (`R1 Oslo classroom`)."""
    mine = await seats.my_memberships(session, room.workshop, person)
    return list(dict.fromkeys(
        f"{m.room.code} {escape(m.room.name)}" for m in mine
        if m.role in seats.STAFF and m.room_id != room.id
    ))


async def needs_confirming(session: AsyncSession, room: LocalRoom, person: Person) -> bool:
    """Whether joining `room` would give a host or team lead of another room a learner's
    place: not when they are there already, nor when the join is refused anyway (they run
    `room` itself, or it is withdrawn): the refusal comes at once."""
    if room.status is RoomStatus.WITHDRAWN or await seats.roles_in(session, room, person):
        return False
    return bool(await led_elsewhere(session, room, person))


def _called(subject: Subject) -> str:
    return f"confirming a seat in {subject.topic}"


def _question(_settings: Settings, _subject: Subject, state: State) -> str:
    return str(state["question"])


def _help(_settings: Settings, subject: Subject) -> str:
    return (f"Type {code('yes')} to take the seat in {subject.topic}, {code('no')} to "
            "leave things as they are.")


async def _start(scene: Scene) -> tuple[State, str]:
    room = await scene.session.get(LocalRoom, scene.subject.room_id)
    led = await led_elsewhere(scene.session, room, scene.person) if room else []
    lead_of = ", ".join(led) or "another room"
    target = f"{room.code} {escape(room.name)}" if room else scene.subject.topic
    question = (
        f"You are a host or team lead of {lead_of}. Joining {target} gives you a "
        f"learner's seat there (or a place on its waitlist), counted among its learners, "
        f"while you still run {lead_of} as before. Take the seat in {target}? Type "
        f"{code('yes')} or {code('no')}."
    )
    return {"question": question}, question


async def _answer(scene: Scene, state: State, text: str) -> Step:
    typed = first_word(text, scene.settings.bot.prefix)
    room_code = scene.subject.topic
    if typed in NO or typed == "cancel":
        return Step(f"No seat was taken in {room_code}; nothing changed.", None, ended=True)
    if typed not in YES:
        return Step(f"Please answer {code('yes')} or {code('no')}.\n\n{state['question']}",
                    state)
    room = await scene.session.get(LocalRoom, scene.subject.room_id)
    if room is None:
        return Step(f"{room_code} no longer exists, so no seat was taken.", None, ended=True)
    try:
        async with scene.session.begin_nested():
            reply = await joined(scene.session, scene.settings, room, scene.person, scene.now)
    except UserError as refused:
        said = word(refused, scene.settings.bot.prefix)
        return Step(f"{said} No seat was taken.", None, ended=True)
    return Step(reply.text, None, ended=True, notices=reply.notices)


async def _closes_at(scene: Scene) -> datetime:
    return scene.started_at + timedelta(minutes=scene.settings.conversations.confirm_minutes)


def _expired(scene: Scene, _closes: datetime) -> str:
    minutes = scene.settings.conversations.confirm_minutes
    return (f"was not answered within {minutes} min, so it has ended: no seat was taken in "
            f"{scene.subject.topic}.")


kinds.add(Kind(
    name=KIND, called=_called, question=_question, help=_help, start=_start,
    answer=_answer, closes_at=_closes_at, expired=_expired, commands_inside=False,
))
