"""A person's conversations: the active one (position 0) and the queue waiting behind
it (1, 2... in order), durable rows of `conversation`.

Everything here runs in the caller's transaction: a reminder's delivery or a
command writes the rows together with what it says, so a conversation starts,
waits or ends with the message saying so, or not at all. When the active one
ends, the next waiting one whose subject is still answerable starts at once;
ones that closed while waiting are dropped, each said in one line.

    offer ──(none active)──> active (0) ──answer──> active ... ──ends──> gone
      └──(one active)──> waiting (n) ──(the one before ends, still open)──> active
    push ──> active (0), the one that was active waiting first (1), its state kept
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.conversations.kinds import Kind, Kinds, Scene, State, Subject
from bot.db.models import Conversation, Person

NOT_STARTED = "null"


async def active_of(
    session: AsyncSession, person: Person, *, lock: bool = False
) -> Conversation | None:
    """The person's active conversation: one indexed query (locked when answering)."""
    query = select(Conversation).where(
        Conversation.person_id == person.id, Conversation.position == 0)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def waiting_of(session: AsyncSession, person: Person) -> list[Conversation]:
    query = select(Conversation).where(
        Conversation.person_id == person.id, Conversation.position > 0
    ).order_by(Conversation.position, Conversation.id)
    return list((await session.execute(query)).scalars())


def subject_of(row: Conversation) -> Subject:
    return Subject(row.kind, row.topic, row.workshop_id, row.day, row.room_id)


def state_of(row: Conversation) -> State:
    return json.loads(row.state)


def store_state(row: Conversation, state: State, now: datetime) -> None:
    row.state = json.dumps(state, ensure_ascii=False)
    row.updated_at = now


def scene_of(session: AsyncSession, settings: Settings, now: datetime, person: Person,
             row: Conversation, chat: str | None = None) -> Scene:
    return Scene(session, settings, now, person, subject_of(row), row.started_at, chat)


def called(kinds: Kinds, subject: Subject) -> str:
    kind = kinds.get(subject.kind)
    return kind.called(subject) if kind is not None else "what you had started"


async def over(kind: Kind | None, scene: Scene) -> str | None:
    """Why the conversation can no longer go on (closed, gone), or None."""
    if kind is None or not kind.exists(scene.settings, scene.subject):
        return "no longer exists, so nothing of it was saved."
    closes = await kind.closes_at(scene)
    if scene.now >= closes:
        return kind.expired(scene, closes)
    return None


async def end(session: AsyncSession, settings: Settings, kinds: Kinds, person: Person,
              row: Conversation, now: datetime) -> str:
    """The active conversation ended (saved, cancelled, expired): the row goes and the
    next waiting one starts; what to add to the answer about it (may be empty)."""
    await session.delete(row)
    await session.flush()
    lines: list[str] = []
    for waiting in await waiting_of(session, person):
        kind = kinds.get(waiting.kind)
        scene = scene_of(session, settings, now, person, waiting)
        if (why := await over(kind, scene)) is not None or kind is None:
            await session.delete(waiting)
            lines.append(f"{_capital(called(kinds, scene.subject))} was waiting, but it {why}")
            continue
        waiting.position, waiting.started_at = 0, now
        scene = scene_of(session, settings, now, person, waiting)
        if waiting.state == NOT_STARTED:
            state, text = await kind.start(scene)
            store_state(waiting, state, now)
            lines.append(f"Next: {text}")
        else:
            waiting.updated_at = now
            lines.append(f"Back to {kind.called(scene.subject)}, where you were:\n"
                         + kind.question(settings, scene.subject, state_of(waiting)))
        break
    await session.flush()
    return "\n\n".join(lines)


async def offer(session: AsyncSession, settings: Settings, kinds: Kinds, person: Person,
                subject: Subject, now: datetime) -> str:
    """A reminder (or anything not typed by the person) would start a conversation:
    it starts now when none is active, else it waits at the end of the queue. What
    to tell the person (the intro and first question, or one line)."""
    said, active = await _current(session, settings, kinds, person, now)
    if active is not None and subject_of(active).same(subject):
        return said.rstrip() if said else _where_you_are(settings, kinds, active)
    if active is None:
        return said + await _start(session, settings, kinds, person, subject, now, 0)
    waiting = await waiting_of(session, person)
    what = called(kinds, subject)
    if any(subject_of(row).same(subject) for row in waiting):
        return said + f"{_capital(what)} is already waiting: it starts here when you are done."
    _add(session, person, subject, now, max((row.position for row in waiting), default=0) + 1)
    await session.flush()
    return said + (f"{_capital(what)} waits: it starts here when you finish or cancel "
                   f"{called(kinds, subject_of(active))}.")


async def push(session: AsyncSession, settings: Settings, kinds: Kinds, person: Person,
               subject: Subject, now: datetime) -> str:
    """The person asked for a conversation (a command): it starts now, on top. The one
    in progress keeps its state and waits first, going on where it was when this one
    ends. One already waiting comes to the top with its answers so far."""
    said, active = await _current(session, settings, kinds, person, now)
    if active is not None and subject_of(active).same(subject):
        return said.rstrip() if said else _where_you_are(settings, kinds, active)
    waiting = await waiting_of(session, person)
    chosen = next((row for row in waiting if subject_of(row).same(subject)), None)
    kept = ""
    if active is not None:
        kept = (f"{_capital(called(kinds, subject_of(active)))} keeps your answers and waits: "
                "it goes on where you were when this one ends.\n\n")
        for row in (active, *waiting):
            row.position += 1
        await session.flush()
    if chosen is None or chosen.state == NOT_STARTED:
        if chosen is not None:
            await session.delete(chosen)
            await session.flush()
        return said + kept + await _start(session, settings, kinds, person, subject, now, 0)
    chosen.position, chosen.updated_at = 0, now
    await session.flush()
    return said + kept + _where_you_are(settings, kinds, chosen, resumed=True)


async def _current(session: AsyncSession, settings: Settings, kinds: Kinds, person: Person,
                   now: datetime) -> tuple[str, Conversation | None]:
    """The active conversation, once one that is over has ended (said, with what
    started after it)."""
    active = await active_of(session, person, lock=True)
    if active is None:
        return "", None
    why = await over(kinds.get(active.kind), scene_of(session, settings, now, person, active))
    if why is None:
        return "", active
    what = _capital(called(kinds, subject_of(active)))
    after = await end(session, settings, kinds, person, active, now)
    said = f"{what} {why}" + (f"\n\n{after}" if after else "")
    return said + "\n\n", await active_of(session, person)


async def _start(session: AsyncSession, settings: Settings, kinds: Kinds, person: Person,
                 subject: Subject, now: datetime, position: int) -> str:
    kind = kinds.get(subject.kind)
    if kind is None:
        raise ValueError(f"no conversation kind {subject.kind!r} is mounted")
    row = _add(session, person, subject, now, position)
    state, text = await kind.start(scene_of(session, settings, now, person, row))
    store_state(row, state, now)
    await session.flush()
    return text


def _add(session: AsyncSession, person: Person, subject: Subject, now: datetime,
         position: int) -> Conversation:
    row = Conversation(
        person_id=person.id, position=position, kind=subject.kind, topic=subject.topic,
        workshop_id=subject.workshop_id, day=subject.day, room_id=subject.room_id,
        state=NOT_STARTED, started_at=now, updated_at=now,
    )
    session.add(row)
    return row


def _where_you_are(settings: Settings, kinds: Kinds, row: Conversation,
                   resumed: bool = False) -> str:
    kind = kinds.get(row.kind)
    subject = subject_of(row)
    question = kind.question(settings, subject, state_of(row)) if kind else ""
    opening = (f"Back to {called(kinds, subject)}, where you were:" if resumed else
               f"You have already started {called(kinds, subject)}; here is where you are:")
    return f"{opening}\n{question}"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]

