"""Feedback summaries and exports, from saved responses; never a name or user id.

`tally` is pure (answers in, numbers out) so it is tested on a known data set;
`render` writes the chat text, `to_csv` the export (formula-safe cells).
Free-text answers are listed sorted, not in the order they came in, so their
order cannot be matched to who answered when.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import FeedbackResponse, LocalRoom, SeatKind, Workshop
from bot.forms.definitions import Audience, Form, Kind
from bot.forms.engine import Value, shown
from bot.services import seat_history
from bot.services.answer_items import items
from bot.services.cells import spreadsheet_cell
from bot.services.counted import PollCount, Tally, first_texts
from bot.text import escape

BAR = 10


def tally(form: Form, answers: Sequence[dict[str, Value]]) -> list[Tally]:
    """The tallies of a form's answers, counted here: what the database counts for a
    summary (bot/services/tallies.py), by the same rules (`tallies.items`)."""
    found = {q.id: Tally.of(q) for q in form.questions}
    texts: dict[str, list[str]] = {q: [] for q in found}
    for given in answers:
        for item in items(given):
            t = found.get(item.question)
            if t is None:
                continue
            t.answered += item.position == 0
            t.add(item.number, item.text)
            if t.question.kind is Kind.TEXT and item.number is None and item.text is not None:
                texts[item.question].append(item.text)
    for question, t in found.items():
        t.texts = first_texts(texts[question])
    return list(found.values())


def bar(share: float) -> str:
    filled = round(share * BAR)
    return "█" * filled + "░" * (BAR - filled)


def number(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


@dataclass(frozen=True)
class Rate:
    label: str
    responses: int
    expected: int

    def __str__(self) -> str:
        share = f" ({100 * self.responses / self.expected:.0f}%)" if self.expected else ""
        return f"{self.label}: {self.responses} of {self.expected}{share}"


Groups = Mapping[int, Mapping[int, int]]  # room id -> day (0: none) -> its responses


def every_room(
    counts: Mapping[tuple[int, int | None], int], room_ids: Iterable[int],
    days: Collection[int],
) -> dict[int, dict[int, int]]:
    """What an organizer's summary rates: each room over the days its summary counts
    (those it has responses about; none: day 0, the form's end), from the responses
    per (day, room)."""
    return {room: {d: counts.get((d, room), 0) for d in days or (0,)} for room in room_ids}


async def rates(
    session: AsyncSession, workshop: Workshop, form: Form, groups: Groups, now: datetime
) -> list[Rate]:
    """Responses against people expected to answer, per room of `groups` over its days:
    the learners (staff for a staff form) seated at the day's end, from the seat history
    (bot/services/seat_history.py): a day not over yet counts who is seated now, a form
    not about a day (day 0) who was at the last day's end. Over several days each day
    counts: 3 learners and 2 days expect 6 responses. A response from someone not
    seated then (who left, or joined later and answered about that day) counts as a
    response, and a day never expects fewer than it has: no rate goes above 100 %.
    The room a response came from is kept without the person."""
    kind = SeatKind.LEARNER if form.audience is Audience.LEARNERS else SeatKind.STAFF
    ends = {d.number: d.ends_at for d in workshop.days}
    last = max(ends.values(), default=now)

    def end_of(day: int) -> datetime:
        return min(ends.get(day, last), now)

    days = {d for per in groups.values() for d in per}
    held = await seat_history.seated_at(session, list(groups), kind, map(end_of, days))
    found = await session.scalars(
        select(LocalRoom).where(LocalRoom.id.in_(groups)).order_by(LocalRoom.id))
    rated = []
    for r in found:
        per = groups[r.id]
        expected = sum(max(held[end_of(d)].get(r.id, 0), n) for d, n in per.items())
        if expected:
            rated.append(Rate(f"{r.code} {escape(r.name)}", sum(per.values()), expected))
    return rated


def heading(form: Form, day: int | None, rooms: Sequence[str] = ()) -> str:
    """A summary's title: `Feedback on the workshop (final, R2)`. A form answered each
    day has a title for the one answering it on the day ("Feedback on today"), not
    for whoever reads the summary later: its summary is titled by the day it is about,
    or as over all days: `Daily feedback (day 2)`, `Daily feedback (all days)`."""
    where = "".join(f", {room}" for room in rooms)
    if not form.each_day:
        return f"{form.title} ({form.name}{where})"
    about = f"day {day}" if day else "all days"
    return f"{form.name[:1].upper()}{form.name[1:]} feedback ({about}{where})"


def render(
    title: str, tallies: list[Tally], responses: int, rates: list[Rate],
    export: str = "", polls: Mapping[str, PollCount] | None = None,
) -> str:
    """The summary as chat text. At most TEXTS_SHOWN free-text answers per question
    (the first in sorted order): a chat message has a size limit (64 KiB on Matrix)
    and thousands of answers are read in the export, `export` (the command) says so.
    `polls` (per question id) adds the poll's counts to a question, apart from the
    form's and labelled as the poll's. `title` is text (a form's title as configured),
    escaped here like the questions."""
    lines = [f"**{escape(title)}**: {responses} response{'s' if responses != 1 else ''}"]
    if rates:
        lines.append("Response rate: " + "; ".join(str(r) for r in rates))
    for t in tallies:
        q = t.question
        lines += ["", f"**{escape(q.text)}** ({t.answered} answered)"]
        if q.kind in (Kind.CHOICE, Kind.MULTI, Kind.SCALE):
            width = max(len(c) for c in t.counts) if t.counts else 0
            lines += [
                f"`{choice.ljust(width)} {bar(t.share(choice))} {count:>3} "
                f"{100 * t.share(choice):3.0f}%`"
                for choice, count in t.counts.items()
            ]
        if t.mean is not None and t.median is not None:
            stats = f"mean {t.mean:.1f}, median {number(t.median)}"
            if t.nps is not None:
                stats += f", NPS {t.nps:+d}"
            lines.append(stats)
        lines += [f"- {escape(' '.join(text.split()))}" for text in t.texts]
        if t.text_count > len(t.texts):
            more = t.text_count - len(t.texts)
            lines.append(f"- … and {more} more" + (f" in {export}" if export else ""))
        poll = (polls or {}).get(q.id)
        if poll is not None:
            lines += _poll_lines(poll)
    return "\n".join(lines)


def _poll_lines(poll: PollCount) -> list[str]:
    """The poll's votes, counted apart from the form's answers. A voter who was
    forgotten still has their votes counted, not among the voters."""
    lines = [f"From the poll, apart from the form's answers ({poll.voters} "
             f"voter{'s' if poll.voters != 1 else ''}):"]
    width = max(len(c) for c in poll.counts) if poll.counts else 0
    for choice, count in poll.counts.items():
        share = min(1.0, count / poll.voters) if poll.voters else 0.0
        lines.append(f"`{choice.ljust(width)} {bar(share)} {count:>3} {100 * share:3.0f}%`")
    return lines


async def room_codes(session: AsyncSession, workshop: Workshop) -> dict[int, str]:
    found = await session.scalars(select(LocalRoom).where(LocalRoom.workshop_id == workshop.id))
    return {room.id: room.code for room in found}


def to_csv(form: Form, found: Sequence[FeedbackResponse], rooms: dict[int, str]) -> bytes:
    """One row per response: its number, day, room and answers. No user id, no pseudonym,
    no time of day; cells that a spreadsheet would run as a formula are made text."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["response", "form", "day", "room", "date", *(q.id for q in form.questions)])
    for n, response in enumerate(found, start=1):
        answers: dict[str, Value] = json.loads(response.answers)
        row: list[object] = [
            n, form.name, response.day or "", rooms.get(response.room_id or 0, ""),
            response.submitted_at.date().isoformat(),
        ]
        row += [_cell(answers.get(q.id)) for q in form.questions]
        writer.writerow([spreadsheet_cell(cell) for cell in row])
    return out.getvalue().encode("utf-8")


def _cell(value: Value) -> object:
    if value is None:
        return ""
    return shown(value) if isinstance(value, list) else value
