"""The databases the tests run on: a SQLite file, and a throw-away PostgreSQL server.

The PostgreSQL server comes from the package index like Synapse does: the
`pgserver` wheel carries PostgreSQL's binaries (../shared/TESTING.md, "PostgreSQL
for tests"). It is started once per test session, only when a test asks for it,
in a private temporary folder, reachable only through its unix socket there (no
TCP port at all), and stopped at the end. Every test gets a database of its own
(CREATE DATABASE takes a few milliseconds), dropped when the test is done.

`database_url` (tests/conftest.py) is parametrized over both: a test that takes
it, or the `chat` fixture, runs once on each, the PostgreSQL run marked
`postgres` so CI can insist that it ran.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]

SQLITE = "sqlite"
POSTGRES = "postgresql"
KINDS = (SQLITE, POSTGRES)


def sqlite_url(directory: Path, name: str = "bot.db") -> str:
    return f"sqlite+aiosqlite:///{directory / name}"


class PostgresServer:
    """One PostgreSQL cluster for the whole test session, on a unix socket."""

    def __init__(self) -> None:
        # A short path: a unix socket's path must stay under about 100 bytes.
        self.directory = Path(tempfile.mkdtemp(prefix="cb-pg-"))
        self._names = itertools.count(1)
        self._server: Any = None

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

    @asynccontextmanager
    async def database(self) -> AsyncIterator[str]:
        """A new, empty database; its SQLAlchemy address. Dropped afterwards."""
        name = f"test_{next(self._names)}"
        admin = await self._admin()
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        try:
            yield self.url(name)
        finally:
            admin = await self._admin()
            try:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await admin.close()
