"""Feedback summaries counted by the database, from `feedback_item` rows.

`index` writes a response's items (bot/services/answer_items.py) in the
transaction that saves it. `count` asks for small results only: responses per
day and room, per question how many answered and how many free-text answers,
how often each choice and each number was given, and the first TEXTS_SHOWN
free-text answers in their order. Each is one walk along an index; nothing is
decoded in Python, so a summary of thousands of responses stays quick. The plain
SQL runs alike on SQLite and PostgreSQL; `summary.tally` counts the same in Python.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    delete,
    false,
    func,
    insert,
    literal,
    literal_column,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import FeedbackItem, FeedbackResponse
from bot.forms.definitions import Form, Kind
from bot.services import answer_items, whole_ids
from bot.services.counted import TEXTS_SHOWN, Counted, Tally, first_texts
from bot.services.release import Block

Item = FeedbackItem
# `position = 0` written out, not as a parameter: the condition of the partial index
# of first items (a planner cannot match a parameter to it).
FIRST: ColumnElement[int] = literal_column("0")
Query = TypeVar("Query", bound="Select[*tuple[Any, ...]]")


async def index(session: AsyncSession, response: FeedbackResponse) -> None:
    """(Re)write the items of a saved response, from its answers."""
    await session.execute(delete(Item).where(Item.response_id == response.id))
    found = answer_items.rows(response.id, response.workshop_id, response.form, response.day,
                              response.room_id, json.loads(response.answers))
    if found:
        await session.execute(insert(Item), found)


async def forget_text(session: AsyncSession, user_id: str, gone: str) -> None:
    """Forget-me replaces a user id where the whole id stands in free text; an item's
    text is replaced here, with its label and sort key (bytes: out of that search)
    to match."""
    named = await session.execute(
        select(Item.id, Item.text).where(Item.text.contains(user_id, autoescape=True)))
    for item_id, text in named.all():
        changed = whole_ids.replace(text or "", user_id, gone)
        if changed != text:
            await session.execute(update(Item).where(Item.id == item_id).values(
                answer_items.text_columns(changed)))


@dataclass(frozen=True)
class _Scope:
    workshop_id: int
    form: str
    day: int | None
    room_id: int | None
    # Only these released groups and pools (a lead's view, bot/services/release.py).
    blocks: tuple[Block, ...] | None = None

    def of(self, query: Query, table: type[Item] | type[FeedbackResponse]) -> Query:
        query = query.where(table.workshop_id == self.workshop_id, table.form == self.form)
        if self.day is not None:
            query = query.where(table.day == self.day)
        if self.room_id is not None:
            query = query.where(table.room_id == self.room_id)
        if self.blocks is not None:
            query = query.where(_within(self.blocks, table))
        return query


def _within(blocks: tuple[Block, ...], table: type[Item] | type[FeedbackResponse]
            ) -> ColumnElement[bool]:
    """Rows of these blocks: per room its days, and the pools' days (one term per room,
    not per block: a planner walks the index once per term)."""
    days: dict[int | None, list[int]] = {}
    for block in blocks:
        days.setdefault(block.room_id, []).append(block.day)
    terms = [table.day.in_(numbers) if room is None
             else and_(table.room_id == room, table.day.in_(numbers))
             for room, numbers in days.items()]
    return or_(false(), *terms) if len(terms) != 1 else terms[0]


async def response_ids(
    session: AsyncSession, workshop_id: int, form: str, blocks: tuple[Block, ...]
) -> set[int]:
    """The responses `count` counts for these blocks: by the same filter, to check it."""
    scope = _Scope(workshop_id, form, None, None, blocks)
    R = FeedbackResponse
    return set((await session.scalars(scope.of(select(R.id), R))).all())


async def count(
    session: AsyncSession, workshop_id: int, form: Form, day: int | None, room_id: int | None,
    blocks: tuple[Block, ...] | None = None,
) -> Counted:
    """The responses to `form` in a workshop (one day, one room, when given; only those
    of `blocks`, when given), counted."""
    scope = _Scope(workshop_id, form.name, day, room_id, blocks)
    tallies = {q.id: Tally.of(q) for q in form.questions}
    counted = Counted(list(tallies.values()))
    R = FeedbackResponse
    per = select(R.day, R.room_id, func.count()).group_by(R.day, R.room_id)
    for number, room, n in (await session.execute(scope.of(per, R))).all():
        counted.responses += n
        counted.by_room[room] = counted.by_room.get(room, 0) + n
        counted.days.add(number)
    if not counted.responses or not tallies:
        return counted
    texts = [q for q, t in tallies.items() if t.question.kind is Kind.TEXT]
    others = [q for q in tallies if q not in texts]
    # Answered (a first item), and for a text question its free-text answers (counted,
    # not listed): one walk along the index that has both.
    answered = select(Item.question, func.count(), literal(0)).where(
        Item.question.in_(others), Item.position == FIRST,
    )
    written = select(Item.question, func.sum(case((Item.position == 0, 1), else_=0)),
                     func.count(Item.sort_key)).where(Item.question.in_(texts))
    for query in (answered, written):
        for question, n, free in await session.execute(
                scope.of(query, Item).group_by(Item.question)):
            tallies[question].answered = n
            tallies[question].text_count = free
    for question, label, number, n in await _given(session, scope, tallies, texts):
        tallies[question].add(number, label, n)
    for question in texts:
        if tallies[question].text_count:
            tallies[question].texts = await _first_texts(session, scope, question)
    return counted


async def _given(
    session: AsyncSession, scope: _Scope, tallies: dict[str, Tally], texts: list[str]
) -> list[Any]:
    """(question, choice or None, number or None, how often): the choices of the
    choice and scale questions, and every number. Each query is a range of an index
    (no entry is read that does not count)."""
    others = [q for q in tallies if q not in texts]
    choices = {c for q in others for c in tallies[q].counts}
    short = sorted(c for c in choices if len(c) <= answer_items.LABEL)
    long = sorted(choices - set(short))
    found: list[Any] = []
    queries: list[Select[str, str | None, int | None, int]] = [
        select(Item.question, null(), Item.number, func.count())
        .where(Item.question.in_(tallies), Item.label.is_(None), Item.number.is_not(None))
        .group_by(Item.question, Item.number),
    ]
    if others and short:
        queries.append(
            select(Item.question, Item.label, null(), func.count())
            .where(Item.question.in_(others), Item.label.in_(short))
            .group_by(Item.question, Item.label))
    if others and long:  # a choice too long for the label column: compared in full
        queries.append(
            select(Item.question, Item.text, null(), func.count())
            .where(Item.question.in_(others), Item.label.is_(None), Item.text.in_(long))
            .group_by(Item.question, Item.text))
    for query in queries:
        found += (await session.execute(scope.of(query, Item))).all()
    return found


async def _first_texts(session: AsyncSession, scope: _Scope, question: str) -> list[str]:
    """The first TEXTS_SHOWN free-text answers in `summary.first_texts` order. The index
    orders by the first SORT case-folded characters only: answers that share those
    with the last one fetched are all fetched, and all are put in order here."""
    query = scope.of(select(Item.text, Item.sort_key, Item.response_id, Item.position), Item
                     ).where(Item.question == question, Item.sort_key.is_not(None))
    first = (await session.execute(
        query.order_by(Item.sort_key, Item.response_id, Item.position).limit(TEXTS_SHOWN)
    )).all()
    last = first[-1] if len(first) == TEXTS_SHOWN else None
    if last is not None and len(last.text.casefold()) >= answer_items.SORT:
        alike = (await session.execute(
            query.where(Item.sort_key == last.sort_key).order_by(Item.response_id, Item.position)
        )).all()
        first = [*(row for row in first if row.sort_key < last.sort_key), *alike]
    return first_texts(row.text for row in first)
