"""SQLite through aiosqlite with one hop to its thread per statement.

aiosqlite runs sqlite3 in a thread of its own and hands it every call: making
a cursor, executing, fetching the rows, closing the cursor, each a trip to that
thread and back (a queue put, a thread wake-up, a wake-up of the event loop).
SQLAlchemy's adapter makes those four calls for every SELECT and three for
every other statement, and BEGIN, COMMIT and the rollback with which its pool
takes a connection back are more: a `!help` made 27 of them, which cost more
of the bot's CPU than the statements themselves (bench/FINDINGS.md).

`Connection` is an aiosqlite connection whose cursors do their whole work in
one hop: the statement is executed, its rows fetched and the cursor closed in
the thread, and what SQLAlchemy then asks of the cursor (description, rows,
row count) is already at hand. The BEGIN that opens a transaction
(bot/db/engine.py) waits for the first statement and goes with it
(`begin_with_next`), and a rollback or commit when no transaction is open does
nothing without asking the thread: the connection keeps what sqlite3 said
about its transaction after each hop.

Statements run exactly as before, in the same order on the same sqlite3
connection and thread; only the trips between are fewer.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import aiosqlite

Rows = list[Any]


class _Done:
    """What a statement's hop brings back."""

    __slots__ = ("description", "lastrowid", "rowcount", "rows")

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self.description = cursor.description
        self.rows: Rows = cursor.fetchall() if cursor.description else []
        self.rowcount = cursor.rowcount
        self.lastrowid = cursor.lastrowid


class Cursor:
    """The part of aiosqlite's cursor SQLAlchemy uses, each statement in one hop."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._done: _Done | None = None
        self.arraysize = 1

    async def __aenter__(self) -> Cursor:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> Cursor:
        run = partial(_execute, sql, () if parameters is None else parameters, False)
        self._done = await self._connection.run(run)
        return self

    async def executemany(self, sql: str, parameters: Sequence[Sequence[Any]]) -> Cursor:
        self._done = await self._connection.run(partial(_execute, sql, parameters, True))
        return self

    @property
    def description(self) -> Any:
        return self._done.description if self._done else None

    @property
    def rowcount(self) -> int:
        return self._done.rowcount if self._done else -1

    @property
    def lastrowid(self) -> int | None:
        return self._done.lastrowid if self._done else None

    async def fetchall(self) -> Rows:
        if self._done is None:
            return []
        rows, self._done.rows = self._done.rows, []
        return rows

    async def fetchmany(self, size: int | None = None) -> Rows:
        if self._done is None:
            return []
        count = self.arraysize if size is None else size
        rows, self._done.rows = self._done.rows[:count], self._done.rows[count:]
        return rows

    async def fetchone(self) -> Any:
        rows = await self.fetchmany(1)
        return rows[0] if rows else None

    async def close(self) -> None:
        # The rows go; what the statement did stays readable, as on a closed sqlite3
        # cursor (SQLAlchemy reads the row count after closing it).
        if self._done is not None:
            self._done.rows = []


class _Opened:
    """`connection.cursor()` as aiosqlite gives it: awaitable and an async context."""

    def __init__(self, cursor: Cursor) -> None:
        self._cursor = cursor

    def __await__(self) -> Any:
        return self.__aenter__().__await__()

    async def __aenter__(self) -> Cursor:
        return self._cursor

    async def __aexit__(self, *_: object) -> None:
        await self._cursor.close()


def _execute(sql: str, parameters: Any, many: bool, connection: sqlite3.Connection) -> _Done:
    """In the thread: the statement (for each of `parameters` if `many`), its rows."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters)
        return _Done(cursor)
    finally:
        cursor.close()


class Connection(aiosqlite.Connection):
    def __init__(self, connector: Callable[[], sqlite3.Connection]) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._thread.daemon = True  # as SQLAlchemy makes aiosqlite's own
        self._begin: str | None = None
        # What sqlite3 said after the last hop; None when a hop failed (unknown).
        self._in_transaction: bool | None = False

    def begin_with_next(self, statement: str) -> None:
        """Run `statement` (a BEGIN) right before the next one, in its hop."""
        self._begin = statement

    async def run(self, work: Callable[[sqlite3.Connection], _Done]) -> _Done:
        """`work` on the sqlite3 connection in its thread, after a waiting BEGIN."""
        begin, self._begin = self._begin, None
        try:
            done, self._in_transaction = await self._hop(partial(self._in_thread, begin, work))
        except BaseException:
            self._in_transaction = None
            raise
        assert isinstance(done, _Done)
        return done

    def _in_thread(
        self, begin: str | None, work: Callable[[sqlite3.Connection], _Done]
    ) -> tuple[_Done, bool]:
        connection = self._conn
        if begin is not None:
            connection.execute(begin).close()
        return work(connection), connection.in_transaction

    def cursor(self) -> Any:  # aiosqlite's type is its own cursor; this is one too
        return _Opened(Cursor(self))

    async def commit(self) -> None:
        await self._end(sqlite3.Connection.commit)

    async def rollback(self) -> None:
        await self._end(sqlite3.Connection.rollback)

    async def _end(self, how: Callable[[sqlite3.Connection], None]) -> None:
        self._begin = None  # a transaction that ran no statement never began
        if self._in_transaction is False:
            return
        await self._hop(lambda: how(self._conn))
        self._in_transaction = False

    async def _hop(self, function: Callable[[], Any]) -> Any:
        """`function` run in the connection's thread: one hop there and back."""
        return await self._execute(function)  # type: ignore[no-untyped-call]


async def connect(path: Path | str) -> Connection:
    """A connection to the SQLite file at `path` (SQLAlchemy's `async_creator`), in
    sqlite3's autocommit mode: transactions begin where a BEGIN says so, never
    implicitly before a statement that writes."""
    connection = Connection(partial(sqlite3.connect, str(path), isolation_level=None))
    await connection
    return connection
