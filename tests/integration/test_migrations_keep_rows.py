"""Upgrades never lose data: a database filled at any revision keeps every row.

SQLite batch migrations rebuild a table by copy and drop; with foreign keys on,
the drop cascades into every table that refers to it (a change to `local_room`
would empty `membership`). The rows put in at each revision come from
`migration_rows.ROWS`; each row is looked up again by its primary key. Every
test runs on SQLite and on PostgreSQL (the `database_url` fixture).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db import migrate
from bot.db.engine import create_engine
from tests.integration.migration_rows import DERIVED, ROWS
from tests.integration.test_migrations import revisions

Keys = dict[str, set[tuple[Any, ...]]]


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


def _column_types(connection: Connection, table: str) -> dict[str, Any]:
    return {column["name"]: column["type"] for column in sa.inspect(connection).get_columns(table)}


def _typed(rows: list[dict[str, Any]], types: dict[str, Any]) -> list[dict[str, Any]]:
    """The fixture rows' values as the driver wants them: PostgreSQL's takes a
    timestamp as a datetime, never as text (SQLite stores the text as it is)."""

    def value(name: str, given: Any) -> Any:
        if isinstance(given, str) and isinstance(types[name], sa.DateTime):
            return datetime.fromisoformat(given).replace(tzinfo=UTC)
        if isinstance(given, str) and isinstance(types[name], sa.Date):
            return date.fromisoformat(given)
        return given

    return [{name: value(name, given) for name, given in row.items()} for row in rows]


def _primary_keys(connection: Connection) -> dict[str, list[str]]:
    inspector = sa.inspect(connection)
    return {
        table: inspector.get_pk_constraint(table)["constrained_columns"]
        for table in inspector.get_table_names()
        if table != "alembic_version"
    }


async def stored_keys(engine: AsyncEngine) -> Keys:
    """The primary key of every row in every table."""
    async with engine.connect() as connection:
        keys = await connection.run_sync(_primary_keys)
        found: Keys = {}
        for table, columns in keys.items():
            result = await connection.execute(
                sa.select(*(sa.column(c) for c in columns)).select_from(sa.table(table))
            )
            found[table] = {tuple(row) for row in result}
        return found


async def fill_up_to(engine: AsyncEngine, last: str) -> None:
    """Walk the revisions up to `last`, inserting each revision's rows in its schema."""
    for revision in revisions():
        await migrate.upgrade(engine, revision)
        async with engine.begin() as connection:
            for table, rows in ROWS[revision].items():
                types = await connection.run_sync(_column_types, table)
                columns = (sa.column(name) for name in rows[0])
                await connection.execute(sa.table(table, *columns).insert(), _typed(rows, types))
        if revision == last:
            return


async def expected_keys(engine: AsyncEngine, up_to: str, tables: set[str]) -> Keys:
    """The keys of the fixture rows put in up to revision `up_to`, for `tables`."""
    async with engine.connect() as connection:
        columns = await connection.run_sync(_primary_keys)
    wanted: Keys = {table: set() for table in tables}
    for revision in revisions()[: revisions().index(up_to) + 1]:
        for table, rows in ROWS[revision].items():
            if table in tables:
                wanted[table] |= {tuple(row[c] for c in columns[table]) for row in rows}
    return wanted


def test_every_revision_brings_rows_and_every_table_gets_some() -> None:
    missing = [r for r in revisions() if r not in ROWS]
    assert not missing, f"add the rows of revision(s) {missing} to migration_rows.ROWS"
    assert set(ROWS) == set(revisions()), "migration_rows.ROWS names unknown revisions"


async def test_fixture_rows_cover_every_table(engine: AsyncEngine) -> None:
    await fill_up_to(engine, revisions()[-1])
    empty = [table for table, keys in (await stored_keys(engine)).items() if not keys]
    assert not empty, f"no fixture rows for table(s) {empty} in migration_rows.ROWS"


@pytest.mark.parametrize("start", revisions())
async def test_a_database_filled_at_any_revision_keeps_every_row_up_to_head(
    engine: AsyncEngine, start: str
) -> None:
    await fill_up_to(engine, start)
    before = await stored_keys(engine)
    await migrate.upgrade(engine)
    assert await migrate.current_revision(engine) == migrate.head_revision()
    after = await stored_keys(engine)
    for table, keys in before.items():
        assert keys <= after[table], f"{table} lost rows {sorted(keys - after[table])}"
    # Every fixture row by its key (memberships by id), and nothing else: but for the
    # rows a revision computed from them (kept, as checked above; and checked below).
    derived = set().union(*DERIVED.values())
    wanted = await expected_keys(engine, start, set(after) - derived)
    assert {t: keys for t, keys in after.items() if t not in derived} == wanted


async def test_0010_itemizes_the_responses_saved_before_it(engine: AsyncEngine) -> None:
    await fill_up_to(engine, "0009")
    async with engine.begin() as connection:
        await connection.execute(sa.text(
            "INSERT INTO feedback_response (id, form, workshop_id, day, room_id, respondent,"
            " answers, submitted_at) VALUES (3, 'daily', 1, 2, NULL, NULL, :answers, :at),"
            " (4, 'daily', 1, 2, NULL, NULL, 'not JSON', :at)"
        ), {"answers": '{"today": ["too fast", "right level"], "good": "Pace", "other": null}',
            "at": datetime(2026, 3, 2, 9, tzinfo=UTC)})
    await migrate.upgrade(engine)
    async with engine.connect() as connection:
        items = (await connection.execute(sa.text(
            "SELECT response_id, question, position, text, label, sort_key FROM feedback_item"
            " ORDER BY response_id, question, position"
        ))).all()
    assert [tuple(row) for row in items] == [
        (1, "good", 0, "pace", "pace", b"pace"), (2, "good", 0, "pace", "pace", b"pace"),
        (3, "good", 0, "Pace", "Pace", b"pace"),
        (3, "today", 0, "too fast", "too fast", b"too fast"),
        (3, "today", 1, "right level", "right level", b"right level"),
    ]


async def test_0013_backfills_a_seat_for_every_seat_held(engine: AsyncEngine) -> None:
    """A learner seat each, and one team place per person and room (person 1 hosts and
    leads room 1: one place); waiting learners hold no seat."""
    await fill_up_to(engine, "0011")
    await migrate.upgrade(engine)
    async with engine.connect() as connection:
        seats = (await connection.execute(sa.text(
            "SELECT workshop_id, room_id, kind, since, until FROM seat_history"
            " ORDER BY room_id, kind"
        ))).all()
    held = datetime(2026, 3, 2, 9, tzinfo=UTC)
    assert [(w, r, kind, until) for w, r, kind, _, until in seats] == [
        (1, 1, "learner", None), (1, 1, "staff", None), (1, 3, "learner", None)]
    assert all(_aware(since) == held for *_, since, _ in seats)


async def test_0014_moves_each_polls_message_id_onto_its_outbox_row(
    engine: AsyncEngine,
) -> None:
    """Onto the row still there (poll 1's, from 0008), or onto a sent row made for a
    poll whose row was pruned already; a poll never sent has none. Going down puts
    the ids back on the polls."""
    await fill_up_to(engine, "0013")
    at = datetime(2026, 3, 2, 9, tzinfo=UTC)
    async with engine.begin() as connection:
        await connection.execute(sa.text(
            "INSERT INTO feedback_poll (id, network, workshop_id, day, form, question,"
            " choices, outbox_key, message_ref, created_at) VALUES"
            " (3, 'zulip', 1, 2, 'daily', 'today', '[]', 'poll:zulip:w1:day2:daily', '1234', :at),"
            " (4, 'zulip', 1, 3, 'daily', 'today', '[]', 'poll:zulip:w1:day3:daily', NULL, :at)"
        ), {"at": at})
        await connection.execute(sa.text(
            "INSERT INTO outbox_message (id, dedupe_key, network, room, text, not_before,"
            " status, attempts, reference, created_at) VALUES"
            " (80, 'poll:zulip:w1:day3:daily', 'zulip', 'poll', 'Today was', :at, 'pending',"
            " 0, 'poll', :at)"
        ), {"at": at})
        if connection.dialect.name == "postgresql":  # the fixtures' own ids skip the sequence
            await connection.execute(sa.text(
                "SELECT setval(pg_get_serial_sequence('outbox_message', 'id'),"
                " (SELECT MAX(id) FROM outbox_message))"))
    await migrate.upgrade(engine, "0014")
    async with engine.connect() as connection:
        found = (await connection.execute(sa.text(
            "SELECT dedupe_key, status, network_message_id FROM outbox_message"
            " WHERE dedupe_key LIKE 'poll:zulip:%' ORDER BY dedupe_key"
        ))).all()
        voted = (await connection.execute(sa.text(
            "SELECT feedback_poll.id FROM feedback_poll JOIN outbox_message"
            " ON outbox_message.dedupe_key = feedback_poll.outbox_key"
            " WHERE outbox_message.network = 'zulip'"
            " AND outbox_message.network_message_id = '123'"
        ))).all()
    assert [tuple(row) for row in found] == [
        ("poll:zulip:w1:day1:daily", "sent", "123"), ("poll:zulip:w1:day2:daily", "sent", "1234"),
        ("poll:zulip:w1:day3:daily", "pending", None)]
    assert [tuple(row) for row in voted] == [(1,)]  # not poll 3, whose id it begins
    await migrate.downgrade(engine, "0013")
    async with engine.connect() as connection:
        back = (await connection.execute(sa.text(
            "SELECT id, message_ref FROM feedback_poll ORDER BY id"))).all()
    assert [tuple(row) for row in back] == [(1, "123"), (3, "1234"), (4, None)]


def _aware(value: Any) -> datetime:
    """A stored time as UTC (SQLite gives the text it keeps)."""
    found = datetime.fromisoformat(value) if isinstance(value, str) else value
    return found.replace(tzinfo=UTC) if found.tzinfo is None else found


async def test_down_and_up_again_keeps_the_rows_of_the_tables_that_stay(
    engine: AsyncEngine,
) -> None:
    head = revisions()[-1]
    await fill_up_to(engine, head)
    derived = set().union(*DERIVED.values())
    for revision in reversed(revisions()[:-1]):
        await migrate.downgrade(engine, revision)
        stayed = await stored_keys(engine)
        kept = set(stayed) - derived  # computed rows (0010's items) are checked below
        await migrate.upgrade(engine)
        after = await stored_keys(engine)
        assert {t: after[t] for t in kept} == await expected_keys(engine, head, kept), (
            f"rows lost going down to {revision} and up again"
        )
        for table in derived & set(stayed):
            assert stayed[table] <= after[table], (table, revision)
