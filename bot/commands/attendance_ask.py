"""The day-end question to a room's hosts and team leads, a conversation kind
(bot/conversations/kinds.py): how many learners came. The reminder that asks it is
planned by bot/scheduling/planner.py and offered by bot/scheduling/asking.py. The
answer counts for the day asked about, whenever it comes (after midnight in the
lead's zone too), until the day's feedback window closes (`feedback.daily_window`).

    day ends ──> asked ──a count in range──> reported (the newest report wins)
                   ├──not a count, or out of range──> asked again, with the range
                   ├──skip / cancel──> nothing reported
                   └──window closed──> ended at the next message, nothing reported
"""

from __future__ import annotations

from datetime import datetime

from bot.commands.attendance import Learners, day_label, reported_text
from bot.commands.wording import word
from bot.config import Settings
from bot.conversations.kinds import Kind, KindSet, Scene, State, Step, Subject
from bot.conversations.router import word as first_word
from bot.db.models import LocalRoom, Workshop
from bot.services import attendance, people, team, windows
from bot.services.errors import UserError
from bot.text import code, escape, when

kinds = KindSet()


def _called(subject: Subject) -> str:
    return f"the attendance of {subject.topic} on day {subject.day}"


def _question(_settings: Settings, _subject: Subject, state: State) -> str:
    return str(state["question"])


def _later(settings: Settings, subject: Subject) -> str:
    return code(f"{settings.bot.prefix}attendance N day={subject.day} room={subject.topic}")


def _help(settings: Settings, subject: Subject) -> str:
    return (f"Type how many learners came to {subject.topic} on day {subject.day}, e.g. "
            f"{code('12')}; {code('skip')} leaves it unreported (later, "
            f"{_later(settings, subject)} reports it).")


async def _start(scene: Scene) -> tuple[State, str]:
    room = await scene.session.get(LocalRoom, scene.subject.room_id)
    workshop = await scene.session.get(Workshop, scene.subject.workshop_id)
    if room is None or workshop is None:  # pragma: no cover - gone with the workshop
        question = f"How many learners came to {scene.subject.topic}?"
    else:
        question = (f"How many learners came to {room.code} {escape(room.name)} on "
                    f"{day_label(workshop, scene.subject.day)}? Type a number from 0 to "
                    f"{attendance.most(room)}, or {code('skip')}.")
    return {"question": question}, question


async def _answer(scene: Scene, state: State, text: str) -> Step:
    subject, prefix = scene.subject, scene.settings.bot.prefix
    if first_word(text, prefix) in ("skip", "cancel"):
        return Step(f"Nothing was reported for {subject.topic}; "
                    f"{_later(scene.settings, subject)} reports it later.", None, ended=True)
    room = await scene.session.get(LocalRoom, subject.room_id)
    workshop = await scene.session.get(Workshop, subject.workshop_id)
    if room is None or workshop is None:
        return Step(f"{subject.topic} no longer exists; nothing was reported.", None, ended=True)
    try:
        count = Learners.parse(text.strip().removeprefix(prefix))
    except ValueError as exc:
        return Step(f"⚠️ {_upper(str(exc))}.\n\n{state['question']}", state)
    try:
        async with scene.session.begin_nested():
            await team.require_manager(scene.session, room, scene.person, False)
            done = await attendance.report(scene.session, room, subject.day, count.number,
                                           scene.person, attendance.VIA_CONVERSATION, scene.now)
    except attendance.OutOfRange as exc:
        return Step(f"⚠️ {exc.count} is more than {room.code} takes: 0 to {exc.most}.\n\n"
                    f"{state['question']}", state)
    except UserError as refused:
        return Step(f"{word(refused, prefix)} Nothing was reported.", None, ended=True)
    return Step(f"Thank you. {reported_text(workshop, done)}", None, ended=True)


def _upper(text: str) -> str:
    return text[:1].upper() + text[1:]


async def _closes_at(scene: Scene) -> datetime:
    workshop = await scene.session.get(Workshop, scene.subject.workshop_id)
    if workshop is None:  # pragma: no cover - the row goes with its workshop
        return scene.now
    return windows.closes_at(scene.settings.feedback, workshop, scene.subject.day)


def _expired(scene: Scene, closes: datetime) -> str:
    zone = people.zone_of(scene.person, scene.settings.bot.default_timezone)
    return (f"could be answered until {when(closes, zone)}, so it has ended; "
            f"{_later(scene.settings, scene.subject)} still reports it.")


KIND = kinds.add(Kind(
    name=attendance.KIND, called=_called, question=_question, help=_help, start=_start,
    answer=_answer, closes_at=_closes_at, expired=_expired, commands_inside=True,
))
