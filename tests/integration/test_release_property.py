"""The release model's promise as a property: no lead can isolate a response.

Hypothesis builds workshops (1-3 days, zones from UTC-03:30 to UTC+13:45), rooms,
leads (some leading several rooms), responses to the daily and final forms (with
a room, or without one: only in the workshop-wide pool; some people answering
again, from another room), each sent at some instant around its window's end,
and summaries leads ask for at any instant (all days or one, all their rooms
or one). Events run in time order: a response is saved only while its window
is open (`windows.is_open`, the check the router makes); a summary covers the
response ids that `release.view` (what `!feedback summary` asks) selects through
`tallies.response_ids` (the filter `tallies.count` counts with). Every set a
lead saw and every difference of two of them must hold 0 or at least k, and so
must what a set holds beyond the responses of the lead's own rooms of one form
and day (a lead may know what was said in their room: the pool's rule).

`test_the_property_finds_the_old_per_request_threshold` runs the same check
against today's main's rule (a lead's first room, k per request, no windows)
and must find a response isolated: the examples are enough to find the defect.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import FeedbackSettings
from bot.db.models import FeedbackResponse, LocalRoom, RoomMode, RoomStatus, Workshop
from bot.db.models.workshops import WorkshopState
from bot.services import feedback, release, tallies, windows
from bot.services.workshops import build_days
from bot.values import TimeRange
from tests.chat import Chat

ZONES = ("UTC", "Asia/Kolkata", "America/St_Johns", "Pacific/Chatham")
WINDOW = 36 * 60  # the default daily window, in minutes: instants cluster around it
# Instants (minutes after a day's end): around a window's end (daily, final), and any.
NEAR = st.one_of(st.integers(WINDOW - 3, WINDOW + 1), st.integers(-300, 3 * 1440 + 2400),
                 st.integers(7 * 1440 - 3, 7 * 1440 + 1))
# Answers mostly in time (most are), some just before or after the window's end.
SENT = st.one_of(st.integers(-300, WINDOW), NEAR)


@dataclass(frozen=True)
class Answer:
    who: int  # the same person answering again replaces their response
    form: str
    day: int  # 0: the final form
    room: int | None
    at: int  # minutes after the end of its day (final: the last day)


@dataclass(frozen=True)
class Ask:
    lead: int
    form: str
    day: int | None
    room: int | None  # an index into the lead's rooms, or all of them
    at: int  # minutes after the end of day 1


@dataclass(frozen=True)
class World:
    k: int
    zone: str
    days: int
    rooms: int
    leads: tuple[tuple[int, ...], ...]
    answers: tuple[Answer, ...]
    asks: tuple[Ask, ...]


@st.composite
def worlds(draw: st.DrawFn) -> World:
    days = draw(st.integers(1, 3))
    rooms = draw(st.integers(1, 4))
    room = st.integers(0, rooms - 1)
    leads = draw(st.lists(st.sets(room, min_size=1).map(lambda s: tuple(sorted(s))),
                          min_size=1, max_size=3))
    # Mostly in a room (a pool's room-less answers are rarer), often the first one.
    where = st.one_of(st.just(0), st.just(0), room, st.none())
    daily = st.builds(Answer, st.integers(0, 14), st.just("daily"), st.integers(1, days),
                      where, SENT)
    final = st.builds(Answer, st.integers(0, 14), st.just("final"), st.just(0), where, SENT)
    asks = st.builds(
        Ask, st.integers(0, len(leads) - 1), st.sampled_from(["daily", "final"]),
        st.none() | st.integers(1, days), st.none() | st.integers(0, 3),
        st.one_of(NEAR, st.integers(days * 1440 + 7 * 1440 - 60, days * 1440 + 8 * 1440)))
    # Enough answers per room and day for groups of k to form: small k more often.
    answers = st.lists(st.one_of(daily, daily, final), min_size=10, max_size=30)
    return World(draw(st.sampled_from([2, 2, 3, 5])), draw(st.sampled_from(ZONES)), days,
                 rooms, leads, tuple(draw(answers)),
                 tuple(draw(st.lists(asks, min_size=3, max_size=10))))


Rule = Callable[[AsyncSession, FeedbackSettings, Workshop, Ask, list[int], datetime],
                Awaitable[set[int]]]


async def released(session: AsyncSession, config: FeedbackSettings, workshop: Workshop,
                   ask: Ask, mine: list[int], now: datetime) -> set[int]:
    """What `!feedback summary` shows a lead: the view, through the count's filter."""
    wanted = None if ask.room is None else (mine[ask.room % len(mine)],)
    view = await release.view(session, config, workshop, ask.form, ask.day, mine, now, wanted)
    return await tallies.response_ids(session, workshop.id, ask.form, view.blocks)


async def old_threshold(session: AsyncSession, config: FeedbackSettings, workshop: Workshop,
                        ask: Ask, mine: list[int], now: datetime) -> set[int]:
    """Today's main: the lead's first room (or the one named), shown from k on."""
    room = mine[0] if ask.room is None else mine[ask.room % len(mine)]
    found = await feedback.responses(session, workshop, ask.form, ask.day, room)
    return {r.id for r in found} if len(found) >= config.min_responses_for_leads else set()


_slugs = itertools.count()


async def play(chat: Chat, world: World, rule: Rule) -> None:
    config = FeedbackSettings(min_responses_for_leads=world.k)
    async with chat.app.sessions() as session, session.begin():
        start = datetime(2026, 3, 17, tzinfo=UTC)
        workshop = Workshop(
            slug=f"w{next(_slugs)}", title="W", timezone=world.zone, state=WorkshopState.PLANNED,
            created_at=start, days=build_days(ZoneInfo(world.zone), [
                (date(2026, 3, 17) + timedelta(days=n), TimeRange(time(10), time(15)))
                for n in range(world.days)]))
        rooms = [LocalRoom(workshop=workshop, name=f"R{n}", organization="O",
                           mode=RoomMode.ONLINE, language="en", capacity=30, public=False,
                           status=RoomStatus.OPEN, created_at=start) for n in range(world.rooms)]
        session.add_all([workshop, *rooms])
        await session.flush()
        ends = {d.number: d.ends_at for d in workshop.days} | {0: workshop.days[-1].ends_at}
        events = sorted(
            [(ends[a.day] + timedelta(minutes=a.at), 0, n, a) for n, a in enumerate(world.answers)]
            + [(ends[1] + timedelta(minutes=q.at), 1, n, q) for n, q in enumerate(world.asks)],
            key=lambda e: e[:3])
        seen: dict[int, list[set[int]]] = {}
        for now, _, _, event in events:
            if isinstance(event, Answer):
                if windows.is_open(config, workshop, event.day, now):
                    await answer(session, workshop, rooms, event, now)
                continue
            mine = sorted(rooms[n].id for n in world.leads[event.lead])
            shown = await rule(session, config, workshop, event, mine, now)
            seen.setdefault(event.lead, []).append(shown)
        for lead, sets in seen.items():
            # A lead may know what their own rooms said (they were there): what they see
            # beyond that must not single anyone out either.
            known = await own(session, workshop, [rooms[n].id for n in world.leads[lead]])
            for a, b in itertools.product(sets, [*sets, *known]):
                assert len(a - b) == 0 or len(a - b) >= world.k, (sorted(a), sorted(b))
        # Leads whose rooms change (a lead of one room, then of another too) are two
        # leads here, and leads may compare what they saw: no two sets any lead saw
        # may differ by fewer than k either.
        everything = [shown for sets in seen.values() for shown in sets]
        for a, b in itertools.product(everything, everything):
            assert len(a - b) == 0 or len(a - b) >= world.k, ("across leads", sorted(a),
                                                              sorted(b))


async def own(session: AsyncSession, workshop: Workshop, mine: list[int]) -> list[set[int]]:
    """The responses of the lead's rooms, per form and day."""
    R = FeedbackResponse
    found: dict[tuple[str, int], set[int]] = {}
    for form, day, number in await session.execute(select(R.form, R.day, R.id).where(
            R.workshop_id == workshop.id, R.room_id.in_(mine))):
        found.setdefault((form, day), set()).add(number)
    return list(found.values())


async def answer(session: AsyncSession, workshop: Workshop, rooms: list[LocalRoom],
                 given: Answer, now: datetime) -> None:
    """Saved as `feedback.save` saves: a second answer replaces the first, room too."""
    R = FeedbackResponse
    earlier = await session.scalar(select(R).where(
        R.workshop_id == workshop.id, R.respondent == f"p{given.who}", R.form == given.form,
        R.day == given.day))
    room = None if given.room is None else rooms[given.room].id
    if earlier is None:
        session.add(R(form=given.form, workshop_id=workshop.id, day=given.day, room_id=room,
                      respondent=f"p{given.who}", answers="{}", submitted_at=now))
    else:
        earlier.room_id, earlier.submitted_at = room, now
    await session.flush()


def check(tmp_path: Path, url: str, rule: Rule, examples: int, phases: tuple[Phase, ...]
          ) -> None:
    with asyncio.Runner() as runner:
        chat = runner.run(Chat.open(tmp_path, url=url))
        try:
            @settings(max_examples=examples, deadline=None, database=None, phases=phases,
                      suppress_health_check=[HealthCheck.too_slow])
            @given(world=worlds())
            def each(world: World) -> None:
                runner.run(play(chat, world, rule))

            each()
        finally:
            runner.run(chat.close())


EXAMPLES = 300


def test_no_lead_can_isolate_a_response(tmp_path: Path, bot_database_url: str) -> None:
    """300 examples on each database: about 20 s each on SQLite and PostgreSQL (2 cores).
    Against the old rule the generator finds a leak after 4-116 examples (16 runs)."""
    check(tmp_path, bot_database_url, released, EXAMPLES, tuple(Phase))


def test_the_property_finds_the_old_per_request_threshold(tmp_path: Path) -> None:
    """As many examples (no shrinking) against the old rule find an isolated response,
    in about a second (a run that finds none fails)."""
    with pytest.raises(AssertionError):
        check(tmp_path, "", old_threshold, EXAMPLES, (Phase.generate,))
