"""The `classroom-bot` command line: console, run, migrate, check-config, export-rooms."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.app import App
from bot.config import BotSettings, ConfigError, DatabaseSettings, Settings, load
from bot.db import migrate
from bot.db.engine import create_engine, create_sessionmaker
from bot.services import listing, workshops
from bot.services.errors import UserError
from bot.transport.console import ConsoleTransport

CONSOLE_USER = "@you:example.org"
CONSOLE_DB = "classroom-bot.db"


def console_defaults() -> Settings:
    """The embedded default: a SQLite file here, and the console user as organizer."""
    return Settings(
        bot=BotSettings(organizers=(CONSOLE_USER,)),
        database=DatabaseSettings(url=f"sqlite+aiosqlite:///{CONSOLE_DB}"),
        source="<embedded console defaults>",
    )


def _sqlite_url(path: str) -> str:
    return f"sqlite+aiosqlite:///{Path(path).expanduser().resolve()}"


def _settings(args: argparse.Namespace) -> Settings:
    settings = load(Path(args.config)) if args.config else console_defaults()
    if getattr(args, "db", None):
        database = dataclasses.replace(settings.database, url=_sqlite_url(args.db))
        settings = dataclasses.replace(settings, database=database)
    return settings


def _console(args: argparse.Namespace) -> int:
    settings = _settings(args)
    user = args.as_user or (settings.bot.organizers[0] if settings.bot.organizers else CONSOLE_USER)
    try:
        transport = ConsoleTransport(user)
    except ValueError as exc:
        raise ConfigError(f"--as: {exc}") from None
    asyncio.run(App(settings, lambda _app: transport).run())
    return 0


def _run(args: argparse.Namespace) -> int:
    from bot.app import run

    return run(_settings(args))


def _migrate(args: argparse.Namespace) -> int:
    settings = _settings(args)

    async def go() -> str | None:
        engine = create_engine(settings.database.url)
        try:
            await migrate.check_known(engine)
            await migrate.upgrade(engine)
            return await migrate.current_revision(engine)
        finally:
            await engine.dispose()

    print(f"database at schema revision {asyncio.run(go())}")
    return 0


def _export_rooms(args: argparse.Namespace) -> int:
    settings = _settings(args)

    async def go() -> str:
        engine = create_engine(settings.database.url)
        try:
            await migrate.prepare(engine, auto_migrate=False)
            async with create_sessionmaker(engine)() as session:
                if args.workshop:
                    workshop = await workshops.by_slug(session, args.workshop)
                else:
                    workshop = await workshops.require_current(session)
                return listing.render(await listing.public_rooms(session, workshop), args.format)
        finally:
            await engine.dispose()

    try:
        text = asyncio.run(go())
    except UserError as exc:
        print(f"classroom-bot: {exc.message}", file=sys.stderr)
        return 1
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def _check_config(args: argparse.Namespace) -> int:
    settings = load(Path(args.config))
    networks = "matrix" if settings.matrix else "no chat network (console only)"
    print(f"{args.config}: OK ({networks}; {len(settings.bot.organizers)} organizer(s))")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="classroom-bot", description=__doc__)
    sub = top.add_subparsers(dest="action", required=True)

    console = sub.add_parser("console", help="chat with the whole bot in this terminal")
    console.add_argument("-c", "--config", help="configuration file (default: embedded)")
    console.add_argument("--as", dest="as_user", help=f"who types (default {CONSOLE_USER})")
    console.add_argument("--db", help=f"SQLite file (default ./{CONSOLE_DB})")
    console.set_defaults(func=_console)

    run = sub.add_parser("run", help="run the Matrix bot")
    run.add_argument("-c", "--config", required=True, help="configuration file")
    run.set_defaults(func=_run)

    mig = sub.add_parser("migrate", help="upgrade the database schema to this version")
    mig.add_argument("-c", "--config", help="configuration file (default: embedded)")
    mig.add_argument("--db", help="SQLite file instead of the configured database")
    mig.set_defaults(func=_migrate)

    export = sub.add_parser("export-rooms", help="write the publicly listed local rooms")
    export.add_argument("-c", "--config", help="configuration file (default: embedded)")
    export.add_argument("--db", help="SQLite file instead of the configured database")
    export.add_argument("--format", choices=["md", "json", "csv"], default="md")
    export.add_argument("--workshop", help="workshop slug (default: the current one)")
    export.add_argument("-o", "--output", help="file to write (default: standard output)")
    export.set_defaults(func=_export_rooms)

    check = sub.add_parser("check-config", help="validate a configuration file")
    check.add_argument("-c", "--config", required=True, help="configuration file")
    check.set_defaults(func=_check_config)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    level = logging.WARNING if args.action == "console" else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args))
    except (ConfigError, migrate.SchemaError) as exc:
        print(f"classroom-bot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
