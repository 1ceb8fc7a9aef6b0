"""Every row of every table, for tests that check a command changed nothing.

Generated from the models' metadata, so a table added later is covered
without a change here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Base

Dump = dict[str, list[tuple[Any, ...]]]


async def dump(sessions: async_sessionmaker[AsyncSession], *, skip: tuple[str, ...] = ()) -> Dump:
    """Each table's rows (sorted), except the tables named in `skip`."""
    found: Dump = {}
    async with sessions() as session:
        for table in Base.metadata.sorted_tables:
            if table.name in skip:
                continue
            rows = (await session.execute(select(table))).all()
            found[table.name] = sorted((tuple(row) for row in rows), key=repr)
    return found
