"""The `classroom-bot` command line: console, run, migrate, check-config, export-rooms."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from importlib import metadata
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError

import bot
from bot import logs, networks
from bot.app import App
from bot.clock import FrozenClock
from bot.config import (
    BotSettings,
    ConfigError,
    DatabaseSettings,
    LimitSettings,
    Settings,
    examine,
    load,
    parse_listen,
    require_runnable,
    run_problems,
    sqlite_path,
)
from bot.db import migrate
from bot.db.engine import create_engine, create_sessionmaker
from bot.services import listing, workshops
from bot.services.errors import UserError
from bot.text import when
from bot.transport.console import ConsoleTransport

log = logging.getLogger(__name__)

CONSOLE_USER = "@you:example.org"
CONSOLE_DB = "classroom-bot.db"


def console_defaults() -> Settings:
    """The embedded default: a SQLite file here, and the console user as organizer."""
    return Settings(
        bot=BotSettings(organizers=(CONSOLE_USER,)),
        database=DatabaseSettings(url=f"sqlite+aiosqlite:///{CONSOLE_DB}"),
        source="<embedded console defaults>",
    )


def _settings(args: argparse.Namespace, *, existing_database: bool = False) -> Settings:
    """The settings of this run: the file or the embedded defaults, then `--db`.

    A SQLite file must be in a folder that exists (nothing is created otherwise),
    and must exist already when the command only reads it.
    """
    settings = load(Path(args.config)) if args.config else console_defaults()
    where = f"{settings.source}: database.url"
    if getattr(args, "db", None):
        given = Path(args.db).expanduser().resolve()
        database = dataclasses.replace(settings.database, url=f"sqlite+aiosqlite:///{given}")
        settings = dataclasses.replace(settings, database=database)
        where = f"--db {args.db}"
    path = sqlite_path(settings.database.url)
    if path is not None and not path.parent.is_dir():
        raise ConfigError(f"{where}: the folder {path.parent} does not exist")
    if existing_database and path is not None and not path.is_file():
        raise ConfigError(f"{where}: there is no database file {path}")
    return settings


def _console(args: argparse.Namespace) -> int:
    # One person at one keyboard, on a clock that may stand still between `/wait`s:
    # nobody to keep answering, so no per-person command limit (bot/commands/limits.py).
    settings = dataclasses.replace(_settings(args), limits=LimitSettings(commands_per_minute=0))
    if args.http:
        try:
            parse_listen(args.http)
        except ValueError as exc:
            raise ConfigError(f"--http: {exc}") from None
        http = dataclasses.replace(settings.http, listen=args.http)
        settings = dataclasses.replace(settings, http=http)
    user = args.as_user or (settings.bot.organizers[0] if settings.bot.organizers else CONSOLE_USER)
    try:
        transport = ConsoleTransport(user, keep_files=args.keep_files)
    except ValueError as exc:
        raise ConfigError(f"--as: {exc}") from None
    clock = _clock(args.clock) if args.clock else None
    app = App(settings, lambda _app: transport, clock)
    if clock is not None:
        simulated = clock

        async def wait(by: timedelta) -> str:
            await app.reminders.advance(simulated, by)
            return f"(the time is now {when(simulated.now(), ZoneInfo('UTC'))})"

        transport.on_wait = wait
    if settings.http.listen:
        print(f"The web side: http://{settings.http.listen}/", file=sys.stderr)
    try:
        asyncio.run(app.run())
    except OSError as exc:  # the address is taken, or not this machine's
        if not settings.http.listen:
            raise
        raise ConfigError(f"cannot serve the web side on {settings.http.listen}: {exc}") from None
    finally:
        transport.close()  # also after Ctrl-C: no export is left behind unasked
    return 0


def _clock(text: str) -> FrozenClock:
    """`2027-03-08T09:00Z` (an offset or Z is required) -> a simulated clock there."""
    try:
        start = datetime.fromisoformat(text.strip())
    except ValueError:
        start = None
    if start is None or start.tzinfo is None:
        raise ConfigError(
            f"--clock: {text!r} is not an instant with its zone, like 2027-03-08T09:00Z"
        )
    return FrozenClock(start)


def _run(args: argparse.Namespace) -> int:
    settings = _settings(args)
    require_runnable(settings)
    from bot.app import run  # a network's client library loads only when needed

    return run(settings)


def _migrate(args: argparse.Namespace) -> int:
    settings = _settings(args)

    async def go() -> tuple[str | None, str | None]:
        engine = create_engine(settings.database.url)
        try:
            await migrate.check_known(engine)
            before = await migrate.current_revision(engine)
            await migrate.upgrade(engine)
            return before, await migrate.current_revision(engine)
        finally:
            await engine.dispose()

    before, after = asyncio.run(go())
    url = settings.database.url
    where = sqlite_path(url) or make_url(url).render_as_string(hide_password=True)
    if before == after:
        print(f"{where}: already at the newest schema revision {after}")
    else:
        print(f"{where}: upgraded from schema revision {before or '(empty)'} to {after}")
    return 0


def _export_rooms(args: argparse.Namespace) -> int:
    settings = _settings(args, existing_database=True)
    folder = Path(args.output or ".").resolve().parent
    if not folder.is_dir():
        raise ConfigError(f"-o {args.output}: the folder {folder} does not exist")

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
    settings, problems = examine(Path(args.config))
    for problem in problems:
        print(f"classroom-bot: {problem}", file=sys.stderr)
    missing = run_problems(settings, problems) if settings is not None else []
    if settings is not None and not problems:
        configured = networks.configured(settings)
        named = " and ".join(network.name for network, _ in configured) or "no chat network"
        organizers = len(settings.bot.organizers) + sum(
            len(network.organizers(section)) for network, section in configured)
        print(f"{args.config}: valid ({named}; {organizers} organizer(s))")
    elif Path(args.config).is_file():  # a file that is not there needs no verdict
        count = f"{len(problems)} problem" + ("s" if len(problems) > 1 else "")
        print(f"{args.config}: not valid ({count}); no command can use it "
              "until they are fixed")
    if missing:
        print("run also needs:" if problems else "valid for console, migrate and export-rooms; "
              "run still needs:")
        print("\n".join(f"  {problem}" for problem in missing))
    if problems:
        return 2
    if missing:
        return 1
    print("ready for every command, run included")
    return 0


def _version() -> str:
    try:
        return metadata.version("classroom-bot")
    except metadata.PackageNotFoundError:  # run from a checkout that is not installed
        return bot.__version__


# The networks `run` can use, their sections and logins, as their registrations say.
_RUNNABLE = [network for network in networks.every() if network.transport is not None]
_TITLES = " or ".join(network.title for network in _RUNNABLE)
_SECTIONS = ", ".join(f"[{network.name}]" for network in _RUNNABLE)
_LOGINS = "; ".join(" or ".join(f"{network.name}.{key}" for key in network.secrets)
                    for network in _RUNNABLE)

# Each subcommand: its one-line summary (the list in --help), then what its own --help says.
COMMANDS = {
    "console": (
        "chat with the whole bot in this terminal",
        "Chat with the whole bot (database, scheduler, commands) in this terminal, no "
        f"chat server needed. Type help; /as {networks.get('console').person_usage} switches "
        "who types, /help lists the console's commands, /quit stops. At a terminal the arrow "
        "keys edit the line and recall earlier ones; input may be piped. Files the bot sends "
        "are saved in a private folder, removed at exit unless --keep-files. Needs no chat "
        "login, even with -c.",
    ),
    "run": (
        f"run the bot on {_TITLES}, or several at once",
        f"Run the bot on the networks whose sections the configuration holds ({_SECTIONS}: "
        "one or several), until SIGTERM or Ctrl-C. The only command that needs a "
        f"login ({_LOGINS}). Exit codes: "
        "0 stopped, 2 configuration or schema problem, "
        "3 cannot log in, 130 interrupted.",
    ),
    "migrate": (
        "upgrade the database schema to this version",
        "Upgrade the database to the schema of this version of classroom-bot and say from "
        "which revision to which. Refuses a database written by a newer version. Creates "
        "the SQLite file if missing (its folder must exist).",
    ),
    "export-rooms": (
        "write the publicly listed local rooms",
        "Write the local rooms whose hosts agreed to be listed (public=yes) as Markdown, "
        "JSON or CSV for the workshop's web page: no people, no venues. Reads an existing "
        "database; changes nothing.",
    ),
    "check-config": (
        "check a configuration file",
        "Check a configuration file and list every problem at once, each with its key. "
        "Exit code 0: ready for every command; 1: valid, but run still needs a network's "
        "login; 2: not valid.",
    ),
}


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="classroom-bot", description=__doc__)
    top.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = top.add_subparsers(dest="action", required=True)

    def command(name: str) -> argparse.ArgumentParser:
        summary, description = COMMANDS[name]
        return sub.add_parser(name, help=summary, description=description)

    console = command("console")
    console.add_argument("-c", "--config", help="configuration file (default: embedded)")
    console.add_argument("--as", dest="as_user", help=f"who types (default {CONSOLE_USER})")
    console.add_argument("--db", help=f"SQLite file (default ./{CONSOLE_DB})")
    console.add_argument(
        "--http", metavar="HOST:PORT",
        help="also serve the web side (room page, feeds, /healthz, /metrics) there, "
        "e.g. 127.0.0.1:8080",
    )
    console.add_argument(
        "--clock",
        help="rehearse on a simulated clock starting at this instant (2027-03-08T09:00Z); "
        "/wait 2d3h moves it forward, delivering what falls due",
    )
    console.add_argument(
        "--keep-files", action="store_true",
        help="keep the folder of the files the bot sent (exports) at exit, and say where",
    )
    console.set_defaults(func=_console)

    run = command("run")
    run.add_argument("-c", "--config", required=True, help="configuration file")
    run.set_defaults(func=_run)

    mig = command("migrate")
    mig.add_argument("-c", "--config", help="configuration file (default: embedded)")
    mig.add_argument("--db", help="SQLite file instead of the configured database")
    mig.set_defaults(func=_migrate)

    export = command("export-rooms")
    export.add_argument("-c", "--config", help="configuration file (default: embedded)")
    export.add_argument("--db", help="SQLite file instead of the configured database")
    export.add_argument(
        "--format", choices=["md", "json", "csv"], default=listing.DEFAULT_FORMAT,
        help=f"file format (default {listing.DEFAULT_FORMAT})",
    )
    export.add_argument("--workshop", help="workshop slug (default: the current one)")
    export.add_argument("-o", "--output", help="file to write (default: standard output)")
    export.set_defaults(func=_export_rooms)

    check = command("check-config")
    check.add_argument("-c", "--config", required=True, help="configuration file")
    check.set_defaults(func=_check_config)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    # Only `run` logs what it does; the other commands print their own lines.
    level = logging.INFO if args.action == "run" else logging.WARNING
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Alembic narrates every migration step at INFO; the bot says what matters itself.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logs.install()  # no token or password in any record; `run` adds the secrets' values
    try:
        return int(args.func(args))
    except (ConfigError, migrate.SchemaError) as exc:
        for line in str(exc).splitlines():
            print(f"classroom-bot: {line}", file=sys.stderr)
        return 2
    except DatabaseError as exc:  # e.g. a file that is not a SQLite database
        log.debug("database error", exc_info=True)
        print(f"classroom-bot: the database cannot be used: {exc.orig}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
