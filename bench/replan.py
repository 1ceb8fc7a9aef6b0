"""replan: how long re-planning the reminders takes for a big workshop (`--rooms` rooms x
`--learners` learners, 3 days, a lead each): the first time, when nothing changed, and
narrowed as a command narrows it (bot/scheduling/touched.py): the people of one
room (a `!join`), one person (a `!tz`).

No homeserver: the planner and the reminder table only, in process.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from bench.common import report
from bot.config import DatabaseSettings, Settings
from bot.db import migrate
from bot.db.engine import create_engine, create_sessionmaker
from bot.db.models import LocalRoom, Membership, Person, Workshop
from bot.scheduling.reminders import replan
from bot.scheduling.touched import Touched
from bot.services import workshops
from bot.values import TimeRange
from tests.e2e.homeserver import Homeserver

NAME = "replan"
NOW = datetime(2027, 3, 1, 9, tzinfo=UTC)


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rooms", type=int, default=300)
    parser.add_argument("--learners", type=int, default=20, help="learners of each room")


async def run(args: argparse.Namespace, server: Homeserver | None = None) -> dict[str, Any]:
    ROOMS, LEARNERS = args.rooms, args.learners
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        settings = Settings(database=DatabaseSettings(url=url))
        engine = create_engine(url)
        await migrate.prepare(engine, auto_migrate=True)
        sessions = create_sessionmaker(engine)
        from datetime import date
        from datetime import time as clock_time
        from zoneinfo import ZoneInfo

        async with sessions() as session, session.begin():
            await workshops.add(
                session, slug="big", title="Big", zone=ZoneInfo("Europe/Oslo"),
                dates=tuple(date(2027, 3, 15 + n) for n in range(4)),
                hours=TimeRange(clock_time(9), clock_time(15)),
                stream_url=None, notes_url=None, registration_url=None, now=NOW,
            )
            workshop = await session.scalar(select(Workshop))
            assert workshop is not None
            await session.execute(insert(Person), [
                {"network": "b", "user_id": f"@p{n}:x.org", "reminders": True,
                 "created_at": NOW} for n in range(ROOMS * (LEARNERS + 1))
            ])
            await session.execute(insert(LocalRoom), [
                {"workshop_id": workshop.id, "name": f"Room {n}", "organization": "O",
                 "mode": "in-person", "language": "en", "capacity": LEARNERS, "public": True,
                 "status": "open", "created_at": NOW} for n in range(ROOMS)
            ])
            await session.execute(insert(Membership), [
                {"room_id": r + 1, "workshop_id": workshop.id,
                 "person_id": r * (LEARNERS + 1) + k + 1,
                 "role": "lead" if k == 0 else "learner", "joined_at": NOW}
                for r in range(ROOMS) for k in range(LEARNERS + 1)
            ])
        timings = {}
        # What a command re-plans since issue 13: everything only when it cannot be
        # narrowed; a `!join` into room 1, or one learner's `!tz`, only their people.
        for label, touched in (("first", None), ("unchanged", None),
                               ("room", Touched(rooms={1}, people={2})),
                               ("person", Touched(people={LEARNERS + 3}))):
            async with sessions() as session, session.begin():
                started = time.perf_counter()
                changed = await replan(session, settings, NOW, touched)
                timings[label] = (round(time.perf_counter() - started, 3), changed)
        await engine.dispose()
    result = {"rooms": ROOMS, "learners": ROOMS * LEARNERS,
              **{f"{label}_s_changed": value for label, value in timings.items()}}
    report(f"replan: {ROOMS} rooms x {LEARNERS} learners",
           ["re-plan", "seconds", "reminder rows changed"],
           [[label, *value] for label, value in timings.items()], result)
    return result
