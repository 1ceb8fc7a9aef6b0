"""How long re-planning takes for a big workshop (300 rooms x 20 learners); prints RESULT {json}.

Run: .venv/bin/python bench/replan.py
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, select

from bot.config import DatabaseSettings, Settings
from bot.db import migrate
from bot.db.engine import create_engine, create_sessionmaker
from bot.db.models import LocalRoom, Membership, Person, Workshop
from bot.scheduling.reminders import replan
from bot.services import workshops
from bot.values import TimeRange

ROOMS, LEARNERS = 300, 20
NOW = datetime(2027, 3, 1, 9, tzinfo=UTC)


async def main() -> None:
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
        for label in ("first", "unchanged"):
            async with sessions() as session, session.begin():
                started = time.perf_counter()
                changed = await replan(session, settings, NOW)
                timings[label] = (round(time.perf_counter() - started, 3), changed)
        await engine.dispose()
    print("RESULT " + json.dumps({"rooms": ROOMS, "learners": ROOMS * LEARNERS,
                                  "first_s_changed": timings["first"],
                                  "unchanged_s_changed": timings["unchanged"]}))


if __name__ == "__main__":
    asyncio.run(main())
