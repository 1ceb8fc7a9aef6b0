"""Fixtures shared by unit and integration tests."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.chat import Chat, take_notifying
from tests.databases import POSTGRES, SQLITE, PostgresServer, sqlite_at_head, sqlite_url


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The throw-away PostgreSQL server, started at the first test that needs it."""
    server = PostgresServer()
    try:
        server.start()
    except Exception as exc:  # counted as a skip: CI fails on it (below)
        server.stop()
        pytest.skip(f"could not start PostgreSQL from the pgserver wheel: {exc}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=[SQLITE, pytest.param(POSTGRES, marks=pytest.mark.postgres)])
def database_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def _database(
    request: pytest.FixtureRequest, tmp_path: Path, kind: str, *, at_head: bool
) -> AsyncIterator[str]:
    if kind == SQLITE:
        yield await sqlite_at_head(tmp_path) if at_head else sqlite_url(tmp_path)
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    async with server.database(at_head=at_head) as url:
        yield url


@pytest.fixture
async def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, database_kind: str
) -> AsyncIterator[str]:
    """A fresh, empty database: a SQLite file, then a PostgreSQL database."""
    async for url in _database(request, tmp_path, database_kind, at_head=False):
        yield url


@pytest.fixture
async def bot_database_url(
    request: pytest.FixtureRequest, tmp_path: Path, database_kind: str
) -> AsyncIterator[str]:
    """A fresh database for the bot: a SQLite file, then a PostgreSQL database
    already at the newest schema."""
    async for url in _database(request, tmp_path, database_kind, at_head=True):
        yield url


@pytest.fixture(autouse=True)
def _notifies_nobody_unmeant() -> Iterator[None]:
    """Every message a test's recording transport delivered notifies, on Zulip and
    on Matrix, only the people it means (tests/zulip/mentions.py)."""
    take_notifying()
    yield
    if found := take_notifying():
        pytest.fail("the bot's text would notify someone it does not mean to: "
                    + "; ".join(found), pytrace=False)


@pytest.fixture
async def chat(tmp_path: Path, bot_database_url: str) -> AsyncIterator[Chat]:
    chat = await Chat.open(tmp_path, url=bot_database_url)
    try:
        yield chat
    finally:
        await chat.close()


# --- The real servers must run in CI, never skip quietly. -------------------------
# With CLASSROOM_BOT_REQUIRE_E2E set (by .ci/run), the run fails when no test of a
# kind below was collected or one was skipped: the end-to-end tests against a real
# Synapse, and the tests against the throw-away PostgreSQL server.

REQUIRED = {"e2e": "end-to-end", "postgres": "PostgreSQL"}
_collected = dict.fromkeys(REQUIRED, 0)
_skipped = dict.fromkeys(REQUIRED, 0)


def pytest_collection_finish(session: pytest.Session) -> None:
    # After deselection (`-m "not postgres"` counts as not run).
    for marker in REQUIRED:
        _collected[marker] = sum(1 for item in session.items if item.get_closest_marker(marker))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    for marker in REQUIRED:
        if report.skipped and marker in report.keywords:
            _skipped[marker] += 1


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not os.environ.get("CLASSROOM_BOT_REQUIRE_E2E"):
        return
    for marker, kind in REQUIRED.items():
        if _collected[marker] and not _skipped[marker]:
            continue
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(
                f"FAILED: CLASSROOM_BOT_REQUIRE_E2E is set but {_collected[marker]} {kind} "
                f"tests were collected and {_skipped[marker]} skipped",
                red=True,
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
