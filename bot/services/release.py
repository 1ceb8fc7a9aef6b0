"""What feedback a team lead or host may see: the release model of
../shared/PRODUCT.md section 11.

A *group* is a room's responses to one form about one day (day 0: final,
debrief). It is *closed* once the form's window for that day is over
(bot/services/windows.py): nothing can join, leave or change it any more. A
closed group of at least k (`feedback.min_responses_for_leads`) responses is
*released* to its room's leads (SETTLE after the window's end, once a last
answer's transaction has surely committed). A lead none of whose rooms has a released group
for a form and day may see that day's workshop-wide *pool* instead, when it is
closed, holds at least k, its part outside all the lead's rooms holds 0 or
at least k, and so does its part outside every released group of that day
(anyone's): the pool minus any union of released groups is then 0 or at least k
too, whoever asks and whatever rooms they lead now or later.

What a lead sees is a union of *blocks*: released groups of their rooms, and
pools of days where none of their rooms has one. Blocks are disjoint (a pool is
never shown beside a group of the same day) and each holds at least k; a
closed day's blocks never change. So every summary a lead can ask for, and the
difference of any two, holds 0 or at least k responses, at any time.

`decide` is the rule, pure; `view` counts the groups and asks it.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import FeedbackSettings
from bot.db.models import FeedbackResponse, Workshop
from bot.services import windows

# The form whose responses are about the workshop's days, each day one group.
PER_DAY = "daily"
# A closed group is shown this long after its window closed: an answer given just
# before the end read the clock then, and its transaction may commit a little later
# (a busy database waits up to `database.busy_timeout_seconds`, 30 s by default).
SETTLE = timedelta(minutes=10)


@dataclass(frozen=True, order=True)
class Block:
    """Responses a lead sees together: a released group of a room (`room_id`), or the
    workshop-wide pool of the form and day (`room_id` None)."""

    day: int
    room_id: int | None


class Status(enum.StrEnum):
    OPEN = "open"  # the window is not over: nothing of the day is shown yet
    RELEASED = "released"  # released groups of the lead's rooms are shown
    POOL = "pool"  # the workshop-wide pool is shown
    WITHHELD = "withheld"  # closed, and nothing of the day will ever be shown


@dataclass(frozen=True)
class DayView:
    day: int
    closes_at: datetime  # its window's end; shown from SETTLE later
    status: Status
    rooms: tuple[int, ...] = ()  # RELEASED: the rooms whose groups are shown
    # The lead's rooms whose group closed with fewer than k, maybe 0 (never shown).
    withheld: tuple[int, ...] = ()


@dataclass(frozen=True)
class View:
    days: tuple[DayView, ...]
    # Responses per (day, room id): the counts the decision was made on.
    counts: Mapping[tuple[int, int | None], int] = field(default_factory=dict)

    def released(self) -> dict[int, dict[int, int]]:
        """Per room whose groups are shown: the days shown, each with its responses."""
        found: dict[int, dict[int, int]] = {}
        for block in self.blocks:
            if block.room_id is not None:
                found.setdefault(block.room_id, {})[block.day] = self.counts.get(
                    (block.day, block.room_id), 0)
        return found

    @property
    def blocks(self) -> tuple[Block, ...]:
        found: list[Block] = []
        for day in self.days:
            if day.status is Status.RELEASED:
                found += [Block(day.day, room) for room in day.rooms]
            elif day.status is Status.POOL:
                found.append(Block(day.day, None))
        return tuple(found)


def decide(
    counts: Mapping[tuple[int, int | None], int],
    closes: Mapping[int, datetime],
    now: datetime,
    least: int,
    mine: Collection[int],
    wanted: Collection[int] | None = None,
) -> View:
    """What a lead sees of one form. `counts`: responses per (day, room id; None for
    those without a room), every room of the workshop; `closes`: the days asked, each
    with when its window closes; `mine`: every room the lead leads or hosts (the pool
    rule is about all of them); `wanted`: the rooms whose groups to show (None: all of
    `mine`), a pool is shown whatever room was asked for."""
    shown = set(mine) if wanted is None else set(wanted) & set(mine)
    days: list[DayView] = []
    for day, closes_at in sorted(closes.items()):
        if now < closes_at + SETTLE:
            days.append(DayView(day, closes_at, Status.OPEN))
            continue
        own = {room: counts.get((day, room), 0) for room in sorted(mine)}
        released = [room for room, n in own.items() if n >= least]
        # Rooms without an answer too: "fewer than k" never tells 0 from 1.
        withheld = tuple(room for room, n in own.items() if n < least)
        if released:
            rooms = tuple(room for room in released if room in shown)
            status = Status.RELEASED if rooms else Status.WITHHELD
            days.append(DayView(day, closes_at, status, rooms, withheld))
            continue
        pool = sum(n for (number, _), n in counts.items() if number == day)
        outside = pool - sum(own.values())
        # The pool less every released group of the day (anyone's): what the pool
        # shows beyond the groups other leads see, or this lead would see leading
        # another room tomorrow.
        unreleased = pool - sum(n for (number, room), n in counts.items()
                                if number == day and room is not None and n >= least)
        status = Status.POOL if pool >= least and all(
            part == 0 or part >= least for part in (outside, unreleased)) else Status.WITHHELD
        days.append(DayView(day, closes_at, status, (), withheld))
    return View(tuple(days), counts)


async def group_counts(
    session: AsyncSession, workshop_id: int, form: str
) -> dict[tuple[int, int | None], int]:
    """Responses to `form` per (day, room id) in a workshop, every room."""
    R = FeedbackResponse
    rows = await session.execute(
        select(R.day, R.room_id, func.count())
        .where(R.workshop_id == workshop_id, R.form == form)
        .group_by(R.day, R.room_id)
    )
    return {(day, room): n for day, room, n in rows.all()}


async def view(
    session: AsyncSession,
    settings: FeedbackSettings,
    workshop: Workshop,
    form: str,
    day: int | None,
    mine: Collection[int],
    now: datetime,
    wanted: Collection[int] | None = None,
) -> View:
    """What a lead of `mine` sees of `form` (about `day`, or every day) now. Every day
    is asked of the daily form; of another form, the days it has responses about
    (day 0, the form not about one day, when it has none)."""
    counts = await group_counts(session, workshop.id, form)
    if day is not None:
        days = {day}
    else:
        days = {number for number, _ in counts}
        if form == PER_DAY:
            days |= {d.number for d in workshop.days}
        elif not days:
            days = {0}  # nothing answered yet: say when the form closes
    closes = {number: windows.closes_at(settings, workshop, number) for number in days}
    return decide(counts, closes, now, settings.min_responses_for_leads, mine, wanted)
