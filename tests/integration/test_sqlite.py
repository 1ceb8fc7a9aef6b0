"""SQLite is set up for concurrency, and instants keep their zone (on both databases)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError

from bot.db import migrate
from bot.db.engine import create_engine, create_sessionmaker
from bot.db.models import Person


async def test_connections_get_wal_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'p.db'}")
    try:
        async with engine.connect() as connection:
            pragmas = {
                name: (await connection.execute(text(f"PRAGMA {name}"))).scalar()
                for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
            }
        assert pragmas == {
            "journal_mode": "wal",
            "foreign_keys": 1,
            "busy_timeout": 30000,
            "synchronous": 1,
        }
    finally:
        await engine.dispose()


async def test_instants_round_trip_as_aware_utc_and_naive_ones_are_refused(
    database_url: str,
) -> None:
    """On SQLite, which drops offsets, and on PostgreSQL (`timestamptz`) alike."""
    engine = create_engine(database_url)
    sessions = create_sessionmaker(engine)
    try:
        await migrate.upgrade(engine)
        oslo_noon = datetime(2026, 3, 17, 12, 0, tzinfo=timezone(timedelta(hours=1)))
        async with sessions() as session, session.begin():
            session.add(Person(network="t", user_id="@a:b.c", created_at=oslo_noon))
        async with sessions() as session:
            stored = await session.scalar(select(Person.created_at))
        assert stored == oslo_noon and stored is not None and stored.tzinfo == UTC
        assert stored.hour == 11

        with pytest.raises(StatementError, match="naive datetime"):
            async with sessions() as session, session.begin():
                session.add(
                    Person(network="t", user_id="@n:b.c", created_at=datetime(2026, 1, 1))  # noqa: DTZ001
                )
    finally:
        await engine.dispose()
