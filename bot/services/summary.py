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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import FeedbackResponse, LocalRoom, MemberRole, Membership, Workshop
from bot.forms.definitions import Audience, Form, Kind
from bot.forms.engine import Value, shown
from bot.services.answer_items import items
from bot.services.cells import spreadsheet_cell
from bot.services.counted import Counted, PollCount, Tally, first_texts
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


async def rates(
    session: AsyncSession,
    workshop: Workshop,
    form: Form,
    counted: Counted,
    room: LocalRoom | None,
    only: Mapping[int, tuple[int, int]] | None = None,
) -> list[Rate]:
    """Responses against people expected to answer: seated learners (staff for a staff
    form), per room; the room a response came from is kept without the person.
    Over several days, each day counts: 3 learners and 2 days expect 6 responses.
    `only` (room id -> its responses and days counted) rates those rooms alone, each
    from its own released groups (`counted` may hold a pool, whose per-room counts a
    lead may not see)."""
    roles = (MemberRole.LEARNER,) if form.audience is Audience.LEARNERS else (
        MemberRole.LEAD, MemberRole.HOST)
    query = (
        select(LocalRoom, func.count(func.distinct(Membership.person_id)))
        .join(Membership, Membership.room_id == LocalRoom.id)
        .where(LocalRoom.workshop_id == workshop.id, Membership.role.in_(roles))
        .group_by(LocalRoom.id)
        .order_by(LocalRoom.id)
    )
    if room is not None:
        query = query.where(LocalRoom.id == room.id)
    if only is not None:
        query = query.where(LocalRoom.id.in_(only))
    per_room = [(r, n) for r, n in (await session.execute(query)).all()]
    days = max(1, len(counted.days))
    if only is not None:
        return [Rate(f"{r.code} {escape(r.name)}", only[r.id][0], n * only[r.id][1])
                for r, n in per_room]
    return [Rate(f"{r.code} {escape(r.name)}", counted.by_room.get(r.id, 0), n * days)
            for r, n in per_room]


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
