"""The databases the tests run on: a SQLite file, and a throw-away PostgreSQL server.

The PostgreSQL server comes from the package index like Synapse does: the
`pgserver` wheel carries PostgreSQL's binaries (../shared/TESTING.md, "PostgreSQL
for tests"). It is started once per test session, only when a test asks for it,
in a private temporary folder, reachable only through its unix socket there (no
TCP port at all), and stopped at the end. Every test gets a database of its own
(CREATE DATABASE takes a few milliseconds), dropped when the test is done: an
empty one, or for the bot a copy of one migrated to the newest schema once per
session (PostgreSQL's CREATE DATABASE ... TEMPLATE), so not every test walks
the migrations again.

`database_url` and `bot_database_url` (tests/conftest.py) are parametrized over
both: a test that takes one, or the `chat` fixture, runs once on each, the
PostgreSQL run marked `postgres` so CI can insist that it ran.
"""

from __future__ import annotations

import atexit
import itertools
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]

from bot.db import migrate
from bot.db.engine import create_engine

SQLITE = "sqlite"
POSTGRES = "postgresql"
KINDS = (SQLITE, POSTGRES)
HEAD_TEMPLATE = "template_at_head"


def sqlite_url(directory: Path, name: str = "bot.db") -> str:
    return f"sqlite+aiosqlite:///{directory / name}"


_sqlite_template: list[Path] = []  # one file at the newest schema, made once per process


async def sqlite_at_head(directory: Path, name: str = "bot.db") -> str:
    """A SQLite file in `directory` already at the newest schema: a copy of one migrated
    once per test process (walking the migrations costs 0.4 s, a copy a millisecond).
    A file already there is kept (a bot opened again on its database). Tests of the
    migrations, and of a file the bot creates, use `sqlite_url`."""
    target = directory / name
    if target.exists():
        return sqlite_url(directory, name)
    if not _sqlite_template:
        folder = Path(tempfile.mkdtemp(prefix="cb-sqlite-"))
        engine = create_engine(sqlite_url(folder, "template.db"))
        try:
            await migrate.upgrade(engine)
        finally:
            await engine.dispose()  # checkpoints the WAL into the file
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        _sqlite_template.append(folder / "template.db")
    shutil.copyfile(_sqlite_template[0], target)
    target.chmod(0o600)
    return sqlite_url(directory, name)


class PostgresServer:
    """One PostgreSQL cluster for the whole test session, on a unix socket."""

    def __init__(self) -> None:
        # A short path: a unix socket's path must stay under about 100 bytes.
        self.directory = Path(tempfile.mkdtemp(prefix="cb-pg-"))
        self._names = itertools.count(1)
        self._server: Any = None
        self._at_head = False

    def start(self) -> None:
        import pgserver  # type: ignore[import-untyped]  # only when a test needs it

        self._server = pgserver.get_server(self.directory, cleanup_mode="stop")
        # A test database may lose its last writes in a crash of the machine:
        # nothing here outlives the session, and it halves the commit time.
        self._server.psql("ALTER SYSTEM SET fsync = off;")
        self._server.psql("ALTER SYSTEM SET synchronous_commit = off;")
        self._server.psql("ALTER SYSTEM SET full_page_writes = off;")
        self._server.psql("SELECT pg_reload_conf();")

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None
        shutil.rmtree(self.directory, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@/{database}?host={self.directory}"

    async def _admin(self) -> Any:
        return await asyncpg.connect(host=str(self.directory), user="postgres",
                                     database="postgres")

    async def _create(self, name: str, template: str | None = None) -> None:
        admin = await self._admin()
        try:
            copy = f' TEMPLATE "{template}"' if template else ""
            await admin.execute(f'CREATE DATABASE "{name}"{copy}')
        finally:
            await admin.close()

    async def _template_at_head(self) -> str:
        """A database migrated to the newest schema, to copy (once per session)."""
        if not self._at_head:
            await self._create(HEAD_TEMPLATE)
            engine = create_engine(self.url(HEAD_TEMPLATE))
            try:
                await migrate.upgrade(engine)
            finally:
                await engine.dispose()  # a template must have no connections
            self._at_head = True
        return HEAD_TEMPLATE

    @asynccontextmanager
    async def database(self, *, at_head: bool = False) -> AsyncIterator[str]:
        """A new database, empty or at the newest schema; its SQLAlchemy address.
        Dropped afterwards."""
        name = f"test_{next(self._names)}"
        await self._create(name, await self._template_at_head() if at_head else None)
        try:
            yield self.url(name)
        finally:
            admin = await self._admin()
            try:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await admin.close()
