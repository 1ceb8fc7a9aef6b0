"""Alembic environment: async engine, batch mode for SQLite.

The bot runs migrations on a connection it already holds (passed in
`config.attributes["connection"]`); the `alembic` command line opens its own
from `-x url=...`, the `sqlalchemy.url` option, or CLASSROOM_BOT_DATABASE_URL.

SQLite batch operations rebuild a table by copy, drop and rename; with foreign
keys on, the drop cascades into every table that refers to it. Foreign keys are
therefore switched off around the migrations (the pragma only works outside a
transaction, see `bot.db.migrate`), and checked once they are done.
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection

from bot.db.engine import create_engine, run_without_foreign_keys
from bot.db.models import Base

config = context.config
target_metadata = Base.metadata
DEFAULT_URL = "sqlite+aiosqlite:///classroom-bot.db"


def _url() -> str:
    return (
        context.get_x_argument(as_dictionary=True).get("url")
        or config.get_main_option("sqlalchemy.url")
        or os.environ.get("CLASSROOM_BOT_DATABASE_URL")
        or DEFAULT_URL
    )


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def _run(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


async def _run_online() -> None:
    engine = create_engine(_url())
    try:
        async with engine.connect() as connection:
            await connection.run_sync(lambda sync: run_without_foreign_keys(sync, _run))
    finally:
        await engine.dispose()


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
elif (connection := config.attributes.get("connection")) is not None:
    _run(connection)
else:
    asyncio.run(_run_online())
