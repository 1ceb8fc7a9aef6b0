"""The writes behind every message, made cheap (issue 13): the sync position is one
statement, and rows sent at the same time are marked sent in one transaction."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, select

from bot.clock import FrozenClock
from bot.db import migrate
from bot.db.engine import create_engine, create_sessionmaker, writing
from bot.db.models import DeliveryStatus, OutboxMessage
from bot.db.state import StateStore
from bot.messages import Outgoing
from bot.outbox import rows
from bot.outbox.marks import SentMarks

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)


async def test_the_state_store_writes_overwrites_and_forgets(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    await migrate.prepare(engine, auto_migrate=True)
    store, other = (StateStore(create_sessionmaker(engine), n) for n in ("matrix", "zulip"))
    seen: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    await store.set("sync_token", "s1")
    await other.set("sync_token", "z1")
    await store.set("sync_token", "s2")
    assert [await store.get("sync_token"), await other.get("sync_token")] == ["s2", "z1"]
    writes = [s for s in seen if not s.lstrip().startswith(("SELECT", "BEGIN"))]
    assert len(writes) == 3, writes  # one statement each, no look-up first
    await store.set("sync_token", None)
    assert [await store.get("sync_token"), await other.get("sync_token")] == [None, "z1"]
    await engine.dispose()


async def test_rows_sent_together_are_marked_in_one_transaction(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    await migrate.prepare(engine, auto_migrate=True)
    sessions = create_sessionmaker(engine)
    async with sessions() as session, session.begin():
        added = [rows.add(session, key=f"k{n}", network="test", reference="r", now=NOW,
                          message=Outgoing(text=f"hello {n}", user=f"@p{n}:example.org"))
                 for n in range(50)]
        await session.flush()
        ids = [row.id for row in added]
    commits: list[Any] = []
    event.listen(engine.sync_engine, "commit", lambda *a: commits.append(a))
    marks = SentMarks(sessions, FrozenClock(NOW))
    await asyncio.gather(*(marks.mark(row_id) for row_id in ids))
    assert 1 <= len(commits) <= 2  # the first mark's write, and everyone who came meanwhile
    async with sessions() as session:
        statuses = set(await session.scalars(select(OutboxMessage.status)))
    assert statuses == {DeliveryStatus.SENT}
    await marks.close()
    await engine.dispose()


async def test_writers_queue_in_arrival_order_instead_of_sleeping_in_sqlite(
    tmp_path: Path,
) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    await migrate.prepare(engine, auto_migrate=True)
    sessions = create_sessionmaker(engine)
    store = StateStore(sessions, "matrix")
    order: list[int] = []
    busy: list[Any] = []
    event.listen(engine.sync_engine, "handle_error", lambda context: busy.append(context))

    async def write(n: int) -> None:
        async with writing(sessions) as session:
            await session.execute(select(OutboxMessage.id).limit(1))
            await asyncio.sleep(0.01 if n == 0 else 0)  # the first holds the lock a while
            order.append(n)

    await asyncio.gather(*(write(n) for n in range(8)), store.set("k", "v"))
    assert order == list(range(8)) and busy == []
    assert await store.get("k") == "v"
    await engine.dispose()
