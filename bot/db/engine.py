"""Engine and session factories. SQLite gets the pragmas and locking it needs.

A SQLite transaction that writes starts with BEGIN IMMEDIATE: a command reads
and then writes (seats left, then a membership), and SQLite's default deferred
BEGIN either loses such updates or fails with "database is locked" under load.
Read-only work (listings, help, exports) uses sessions from
`create_reader_sessionmaker`: a plain BEGIN, so in WAL mode it reads a snapshot
without waiting for the writers' lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
import weakref
from collections.abc import AsyncIterator, Callable
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, event, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.db import one_hop

# How long a SQLite connection waits for another one's lock (database.busy_timeout_seconds).
SQLITE_BUSY_TIMEOUT_S = 30.0
# Execution option marking connections that only read.
READ_ONLY = "classroom_bot_read_only"


def create_engine(
    url: str, *, echo: bool = False, busy_timeout_s: float = SQLITE_BUSY_TIMEOUT_S
) -> AsyncEngine:
    path = sqlite_file(url)
    if path is not None:
        _create_private(path)
    # A database error's text would carry the statement's parameters (feedback answers,
    # what a person typed, the access token) into the log line of a failed command.
    options: dict[str, Any] = {}
    if path is not None:  # a file: statements in one hop each (bot/db/one_hop.py)
        options["async_creator"] = partial(one_hop.connect, path)
    engine = create_async_engine(url, echo=echo, hide_parameters=True, **options)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine, busy_timeout_ms=round(busy_timeout_s * 1000))
    return engine


def is_unavailable(exc: BaseException) -> bool:
    """Whether a database error is about the database, not the statement: locked past
    the busy timeout, a lost connection, a deadlock. Worth another try later."""
    return isinstance(exc, OperationalError) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    )


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite address; None for PostgreSQL or an in-memory database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).expanduser()


def _create_private(path: Path) -> None:
    """Create a new SQLite file readable by its owner only (mode 600): it keeps the
    bot's Matrix access token and people's registrations. SQLite gives the -wal and
    -shm files it adds beside it the same mode. An existing file is left as it is."""
    if not path.parent.is_dir():
        return  # the caller reports the missing folder
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def exposed(url: str) -> list[str]:
    """What of a SQLite database other users of this machine may read or change:
    the file, its -wal and -shm files, and its folder. Empty for PostgreSQL."""
    path = sqlite_file(url)
    if path is None:
        return []
    found = []
    for candidate in (path.parent, path, *(Path(f"{path}{end}") for end in ("-wal", "-shm"))):
        try:
            mode = stat.S_IMODE(candidate.stat().st_mode)
        except FileNotFoundError:
            continue
        if mode & 0o077 and (candidate != path.parent or mode & 0o007):
            kind = "folder" if candidate == path.parent else "file"
            found.append(f"the {kind} {candidate} has mode {mode:o}")
    return found


def _configure_sqlite(engine: AsyncEngine, *, busy_timeout_ms: int) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        statement = "BEGIN" if read_only else "BEGIN IMMEDIATE"
        driver = connection.connection.driver_connection
        if isinstance(driver, one_hop.Connection):
            driver.begin_with_next(statement)  # in the first statement's hop
        else:
            connection.exec_driver_sql(statement)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def create_reader_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for work that only reads: they never take SQLite's write lock."""
    return async_sessionmaker(engine.execution_options(**{READ_ONLY: True}),
                              expire_on_commit=False)


def run_without_foreign_keys(connection: Connection, work: Callable[[Connection], None]) -> None:
    """Run `work` in one transaction; on SQLite with foreign keys off, checked afterwards.

    Schema migrations rebuild SQLite tables by copy and drop, and a drop with
    foreign keys on cascades into the tables that refer to it. The pragma is
    ignored inside a transaction, so it is set on the driver connection first.
    """
    if connection.dialect.name != "sqlite":
        with connection.begin():
            work(connection)
        return
    if connection.in_transaction():
        raise RuntimeError("foreign keys can only be switched off outside a transaction")
    driver = connection.connection.dbapi_connection
    assert driver is not None
    _pragma(driver, "PRAGMA foreign_keys=OFF")
    try:
        with connection.begin():
            work(connection)
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"the migration left rows without their parents: {broken[:5]}")
    finally:
        _pragma(driver, "PRAGMA foreign_keys=ON")


def _pragma(driver_connection: Any, statement: str) -> None:
    cursor = driver_connection.cursor()
    try:
        cursor.execute(statement)
    finally:
        cursor.close()


_WRITE_LOCKS: weakref.WeakKeyDictionary[Any, asyncio.Lock] = weakref.WeakKeyDictionary()


def writers_waiting(sessions: async_sessionmaker[AsyncSession]) -> bool:
    """Whether a write transaction of this process holds SQLite's write lock now (so a
    new one would queue behind it). Always False on other databases."""
    bind: Any = sessions.kw.get("bind")
    if bind is None or bind.dialect.name != "sqlite":
        return False
    lock = _WRITE_LOCKS.get(bind.sync_engine.pool)
    return lock is not None and lock.locked()


@contextlib.asynccontextmanager
async def writing(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session in a write transaction, one at a time in this process on SQLite.

    SQLite has one writer; connections that find the lock taken wait in its busy
    handler, which sleeps (up to 100 ms a time) instead of queueing, so a burst of
    commands in many rooms spent most of its time asleep (bench/burst.py). Here
    they queue on an asyncio lock, first come first served, and never meet the
    busy handler; other processes (a console, a migration) still do.
    """
    bind: Any = sessions.kw.get("bind")
    if bind is None or bind.dialect.name != "sqlite":
        async with sessions() as session, session.begin():
            yield session
        return
    lock = _WRITE_LOCKS.setdefault(bind.sync_engine.pool, asyncio.Lock())
    async with lock, sessions() as session, session.begin():
        yield session
