"""The SQLite driver that takes each statement to aiosqlite's thread in one hop
(bot/db/one_hop.py): what SQLAlchemy reads of a cursor, and transactions that end
exactly when sqlite3 says they are open."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.db import one_hop


@pytest.fixture
async def connection(tmp_path: Path) -> AsyncIterator[one_hop.Connection]:
    found = await one_hop.connect(tmp_path / "x.db")
    cursor = await found.cursor()
    await cursor.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE)")
    try:
        yield found
    finally:
        await found.close()


def other_writer(tmp_path: Path) -> sqlite3.Connection:
    """Another connection that gives up on the write lock at once."""
    return sqlite3.connect(tmp_path / "x.db", isolation_level=None, timeout=0)


async def test_what_a_statement_did_stays_readable_after_its_cursor_closed(
    connection: one_hop.Connection,
) -> None:
    cursor = await connection.cursor()
    await cursor.execute("INSERT INTO t (name) VALUES (?)", ("ana",))
    await cursor.close()
    assert cursor.rowcount == 1 and cursor.lastrowid == 1
    again = await connection.cursor()
    await again.execute("INSERT INTO t (name) VALUES (?) ON CONFLICT DO NOTHING", ("ana",))
    await again.close()
    assert again.rowcount == 0  # a claim that was made before reads as not made


async def test_rows_are_fetched_in_the_same_hop_and_handed_out_once(
    connection: one_hop.Connection,
) -> None:
    cursor = await connection.cursor()
    await cursor.executemany("INSERT INTO t (name) VALUES (?)", [("a",), ("ab",), ("abc",)])
    assert cursor.rowcount == 3
    await cursor.execute("SELECT name FROM t ORDER BY id")
    assert [d[0] for d in cursor.description] == ["name"]
    assert await cursor.fetchone() == ("a",)
    assert await cursor.fetchmany(1) == [("ab",)]
    assert await cursor.fetchall() == [("abc",)]
    assert await cursor.fetchall() == [] and await cursor.fetchone() is None


async def test_a_begin_waits_for_the_next_statement_and_a_commit_ends_it(
    connection: one_hop.Connection, tmp_path: Path
) -> None:
    connection.begin_with_next("BEGIN IMMEDIATE")
    other = other_writer(tmp_path)
    other.execute("BEGIN IMMEDIATE")  # nothing taken yet: the BEGIN has not run
    other.execute("ROLLBACK")
    cursor = await connection.cursor()
    await cursor.execute("INSERT INTO t (name) VALUES ('x')")
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        other.execute("BEGIN IMMEDIATE")  # now it holds the write lock
    await connection.commit()
    other.execute("BEGIN IMMEDIATE")
    other.execute("ROLLBACK")
    other.close()


async def test_a_transaction_that_ran_nothing_never_began(
    connection: one_hop.Connection, tmp_path: Path
) -> None:
    connection.begin_with_next("BEGIN IMMEDIATE")
    await connection.commit()
    cursor = await connection.cursor()
    await cursor.execute("INSERT INTO t (name) VALUES ('y')")  # autocommit: no BEGIN left over
    other = other_writer(tmp_path)
    other.execute("BEGIN IMMEDIATE")
    other.execute("ROLLBACK")
    other.close()


async def test_a_failed_statement_inside_a_transaction_is_still_rolled_back(
    connection: one_hop.Connection, tmp_path: Path
) -> None:
    cursor = await connection.cursor()
    await cursor.execute("INSERT INTO t (name) VALUES ('z')")
    connection.begin_with_next("BEGIN IMMEDIATE")
    with pytest.raises(sqlite3.IntegrityError):
        await cursor.execute("INSERT INTO t (name) VALUES ('z')")
    # The BEGIN ran, the insert failed: the transaction is open and holds the lock
    # until the rollback, which must reach the thread.
    await connection.rollback()
    other = other_writer(tmp_path)
    other.execute("BEGIN IMMEDIATE")
    other.execute("ROLLBACK")
    other.close()
