"""Schema migrations from inside the bot: upgrade, and refuse unknown revisions."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.engine import run_without_foreign_keys


class SchemaError(RuntimeError):
    """The database's schema is one this code cannot work with."""


def migrations_dir() -> Path:
    """The migration scripts: inside the wheel, or beside the package in a checkout."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "_migrations", package.parent / "migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise SchemaError(f"migration scripts not found next to {package}")


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    return cfg


@functools.cache
def _revisions() -> tuple[str | None, frozenset[str]]:
    """The newest revision and every known one. Read once: the scripts are part of the
    installed code (reading them costs a fifth of a second, at every start)."""
    scripts = ScriptDirectory.from_config(alembic_config())
    return scripts.get_current_head(), frozenset(s.revision for s in scripts.walk_revisions())


def head_revision() -> str | None:
    return _revisions()[0]


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(_current)


async def check_known(engine: AsyncEngine) -> None:
    """Raise SchemaError when the database carries a revision this code does not know."""
    revision = await current_revision(engine)
    if revision is None:
        return
    head, known = _revisions()
    if revision not in known:
        raise SchemaError(
            f"the database is at schema revision {revision!r}, which this version of "
            f"classroom-bot does not know (newest known: {head!r}). "
            "It was written by a newer classroom-bot: run that version, or restore a backup."
        )


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    await _run_command(engine, lambda cfg: command.upgrade(cfg, revision))


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    await _run_command(engine, lambda cfg: command.downgrade(cfg, revision))


async def _run_command(engine: AsyncEngine, action: Callable[[Config], None]) -> None:
    def run(connection: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        action(cfg)

    async with engine.connect() as connection:
        await connection.run_sync(lambda sync: run_without_foreign_keys(sync, run))


async def prepare(engine: AsyncEngine, *, auto_migrate: bool) -> None:
    """Make the schema usable: refuse unknown revisions, upgrade or refuse old ones."""
    await check_known(engine)
    current, head = await current_revision(engine), head_revision()
    if current == head:
        return
    if not auto_migrate:
        state = "has no schema yet" if current is None else f"is at schema revision {current!r}"
        raise SchemaError(
            f"the database {state} but this code needs {head!r}: "
            "run `classroom-bot migrate` first"
        )
    await upgrade(engine)
