"""Filling a bot's database for a benchmark, in bulk (set-up, not measured).

`seed()` creates the schema and a current workshop a month from now (three
days, 09:00-17:00 UTC) with `rooms` open local rooms (R1, R2...) of
`capacity` seats, `people` people (the first ones are seated round-robin),
`responses` daily-form responses spread over the rooms and `reminders`
pending reminders (of kind `bench`, which the planner leaves alone). Matrix
ids come from `user_ids` (the first ones) and made-up ones after those. Last,
the planner's own reminders are planned as the bot would have planned them
command by command, with the fingerprint of the default configuration recorded
as its last start would have (bot/scheduling/at_start.py): a bot started on the
seeded database with that configuration (the benchmarks') finds it in step and
does not re-plan.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import DatabaseSettings, Settings
from bot.db import migrate
from bot.db.engine import create_engine, create_sessionmaker
from bot.db.models import (
    FeedbackItem,
    FeedbackResponse,
    LocalRoom,
    MemberRole,
    Membership,
    Person,
    Reminder,
    ReminderStatus,
    Workshop,
)
from bot.scheduling.at_start import replan_if_changed
from bot.services import answer_items, workshops
from bot.values import TimeRange

NETWORK = "matrix"
CHOICES = ("too fast", "too slow", "right speed", "right level", "too basic",
           "I will use what I learned today", "I would recommend today to others")
WORDS = ("clear", "fun", "slow", "the exercises", "the breaks", "more examples", "coffee",
         "the stream", "the notes", "pair work", "the room", "questions")


@dataclass(frozen=True)
class Seeded:
    workshop_id: int
    person_ids: tuple[int, ...]


def sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 6)))


async def seed_responses(
    session: AsyncSession, workshop_id: int, room_ids: Sequence[int], responses: int,
    rng: random.Random, now: datetime,
) -> None:
    """Daily-form responses, with their items (bot/services/answer_items.py) as saving
    one writes them."""
    first = (await session.scalar(select(func.max(FeedbackResponse.id)))) or 0
    found = [
        {"id": first + 1 + n, "form": "daily", "workshop_id": workshop_id, "day": 1 + n % 3,
         "room_id": room_ids[n % len(room_ids)] if room_ids else None,
         "respondent": f"{n:016x}", "submitted_at": now,
         "answers": json.dumps({
             "today": rng.sample(CHOICES, rng.randint(1, 3)),
             "good": sentence(rng), "improve": sentence(rng),
         })}
        for n in range(responses)
    ]
    await session.execute(insert(FeedbackResponse), found)
    items = [item for r in found for item in answer_items.rows(
        r["id"], workshop_id, "daily", r["day"], r["room_id"], json.loads(r["answers"]))]
    for start in range(0, len(items), 50_000):
        await session.execute(insert(FeedbackItem), items[start:start + 50_000])


async def seed(
    db: Path,
    *,
    rooms: int = 0,
    capacity: int = 20,
    people: int = 0,
    seated: int | None = None,
    responses: int = 0,
    reminders: int = 0,
    reminders_due: datetime | None = None,
    user_ids: Sequence[str] = (),
    now: datetime | None = None,
) -> Seeded:
    now = now or datetime.now(UTC)
    rng = random.Random(13)
    url = f"sqlite+aiosqlite:///{db}"
    engine = create_engine(url)
    try:
        await migrate.prepare(engine, auto_migrate=True)
        sessions = create_sessionmaker(engine)
        async with sessions() as session, session.begin():
            first = date.fromordinal(now.date().toordinal() + 30)
            await workshops.add(
                session, slug="bench", title="Bench workshop", zone=ZoneInfo("UTC"),
                dates=tuple(date.fromordinal(first.toordinal() + n) for n in range(3)),
                hours=TimeRange(clock_time(9), clock_time(17)),
                stream_url=None, notes_url=None, registration_url=None, now=now,
            )
            workshop = await session.scalar(select(Workshop).where(Workshop.slug == "bench"))
            assert workshop is not None
            ids = [*user_ids, *(f"@seeded{n}:bench.invalid" for n in range(people))][:max(
                people, len(user_ids))]
            if ids:
                await session.execute(insert(Person), [
                    {"network": NETWORK, "user_id": user, "reminders": True, "created_at": now}
                    for user in ids
                ])
            person_ids = tuple((await session.scalars(
                select(Person.id).where(Person.network == NETWORK).order_by(Person.id)
            )).all())
            if rooms:
                await session.execute(insert(LocalRoom), [
                    {"workshop_id": workshop.id, "name": f"Room {n} at Org {n % 37}",
                     "organization": f"Org {n % 37}", "mode": "in-person",
                     "city": rng.choice(("Oslo", "Bergen", "Lund", "Turku", "Aarhus")),
                     "country": "NO", "venue": f"Street {n}", "language": "en",
                     "capacity": capacity, "public": True, "status": "open",
                     "created_at": now}
                    for n in range(rooms)
                ])
            room_ids = list((await session.scalars(
                select(LocalRoom.id).where(LocalRoom.workshop_id == workshop.id)
                .order_by(LocalRoom.id)
            )).all())
            to_seat = person_ids[len(user_ids):][: seated if seated is not None else None]
            if room_ids and to_seat:
                await session.execute(insert(Membership), [
                    {"room_id": room_ids[n % len(room_ids)], "workshop_id": workshop.id,
                     "person_id": pid, "role": MemberRole.LEARNER, "joined_at": now}
                    for n, pid in enumerate(to_seat)
                ])
            if responses:
                await seed_responses(session, workshop.id, room_ids, responses, rng, now)
            if reminders:
                due = reminders_due or now + timedelta(days=1)
                await session.execute(insert(Reminder), [
                    {"dedupe_key": f"bench:{n}", "workshop_id": workshop.id,
                     "person_id": person_ids[n % len(person_ids)], "kind": "bench",
                     "due_at": due, "text": f"Bench reminder {n}: the day starts soon.",
                     "status": ReminderStatus.PENDING, "created_at": now}
                    for n in range(reminders)
                ])
            await replan_if_changed(session, Settings(database=DatabaseSettings(url=url)), now)
            return Seeded(workshop.id, person_ids)
    finally:
        await engine.dispose()
