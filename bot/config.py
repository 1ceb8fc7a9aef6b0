"""Configuration: a TOML file loaded into frozen, validated settings.

Every section is a frozen dataclass; the loader walks their fields, so the
dataclasses below are the one description of what a configuration may hold.
The loader gathers every problem of a file before it gives up (one ConfigError
lists them all), and each names the file, the key and what is accepted. Secrets
may come from environment variables instead of the file (see `SECRET_ENV`).

What only `run` needs (the Matrix login) is listed by `run_problems`, not refused.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import tomllib
import types
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.config_sections import (
    RETIRED,
    BotSettings,
    DatabaseSettings,
    FeedbackSettings,
    HttpSettings,
    LimitSettings,
    MatrixSettings,
    ReminderSettings,
    RoomSettings,
    Settings,
    ZulipSettings,
    parse_duration,
    parse_optional_duration,
)
from bot.forms import definitions

__all__ = [
    "BotSettings",
    "ConfigError",
    "DatabaseSettings",
    "FeedbackSettings",
    "HttpSettings",
    "LimitSettings",
    "MatrixSettings",
    "ReminderSettings",
    "RoomSettings",
    "Settings",
    "ZulipSettings",
    "examine",
    "forms_path",
    "from_mapping",
    "load",
    "organizers_on",
    "parse_duration",
    "parse_listen",
    "poll_networks",
    "run_problems",
]

USER_ID = re.compile(r"^@[^:\s]+:[^\s]+$")
# `!opaque:server`, or from room version 12 on `!` and an opaque id alone (the hash of
# the room's create event, URL-safe base64). Never read a server out of either.
ROOM_ID = re.compile(r"^!(?:[^:\s]+:\S+|[A-Za-z0-9_-]+)$")


# The Zulip roles that may make someone an organizer (`zulip.organizer_roles`).
ZULIP_ROLES = ("owner", "administrator", "moderator")


class ConfigError(ValueError):
    """A configuration that cannot be used: one or more problems, each saying where and why."""

    def __init__(self, *problems: str) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


# Secrets read from the environment; a set variable wins over the file.
SECRET_ENV = {
    ("matrix", "password"): "CLASSROOM_BOT_MATRIX_PASSWORD",
    ("matrix", "access_token"): "CLASSROOM_BOT_MATRIX_ACCESS_TOKEN",
    ("zulip", "api_key"): "CLASSROOM_BOT_ZULIP_API_KEY",
    ("feedback", "key"): "CLASSROOM_BOT_FEEDBACK_KEY",
    ("database", "url"): "CLASSROOM_BOT_DATABASE_URL",
}


def load(path: Path, environ: Mapping[str, str] | None = None) -> Settings:
    """Read, merge secrets from the environment, and validate a configuration file.

    Raises one ConfigError listing every problem found, each naming the file and key.
    """
    settings, problems = examine(path, environ)
    if problems or settings is None:
        raise ConfigError(*problems)
    return settings


def examine(
    path: Path, environ: Mapping[str, str] | None = None
) -> tuple[Settings | None, list[str]]:
    """A file's settings (a value that is wrong keeps its default) and every problem."""
    source = str(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, [f"{source}: no such file"]
    except (OSError, UnicodeDecodeError) as exc:
        return None, [f"{source}: cannot be read ({exc})"]
    except tomllib.TOMLDecodeError as exc:
        return None, [f"{source}: not valid TOML ({exc})"]
    return _collect(raw, source, os.environ if environ is None else environ)


def from_mapping(
    raw: Mapping[str, Any], *, source: str = "<mapping>", environ: Mapping[str, str] = {}
) -> Settings:
    settings, problems = _collect(raw, source, environ)
    if problems:
        raise ConfigError(*problems)
    return settings


def _collect(
    raw: Mapping[str, Any], source: str, environ: Mapping[str, str]
) -> tuple[Settings, list[str]]:
    merged: dict[str, Any] = {
        name: dict(value) if isinstance(value, dict) else value for name, value in raw.items()
    }
    for (section, key), variable in SECRET_ENV.items():
        if environ.get(variable):
            merged.setdefault(section, {})
            if isinstance(merged[section], dict):
                merged[section][key] = environ[variable]
    problems: list[str] = []
    settings: Settings = _build(Settings, merged, f"{source}: ", "", problems)
    settings = dataclasses.replace(settings, source=source)
    problems += (f"{source}: {problem}" for problem in _whole_problems(settings))
    return settings, problems


class _Bad(ValueError):
    """One value that is not accepted; the loader records it and goes on."""


def _build(cls: type[Any], raw: Any, where: str, prefix: str, problems: list[str]) -> Any:
    """An instance of `cls` from the table `raw`; what is wrong goes to `problems`,
    and a value that is wrong keeps its default, so checking goes on."""
    if not isinstance(raw, dict):
        problems.append(f"{where}[{prefix.rstrip('.')}] must be a table")
        return cls()
    fields = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
    for key in raw:
        if (retired := RETIRED.get(prefix + key)) is not None:
            problems.append(f"{where}{prefix + key} is no longer read: {retired}")
        elif key not in fields:
            close = difflib.get_close_matches(key, fields, n=1)
            hint = f"; did you mean {prefix + close[0]!r}?" if close else ""
            known = ", ".join(fields)
            problems.append(f"{where}unknown key {prefix + key!r}{hint} (known: {known})")
    hints = get_type_hints(cls)
    values: dict[str, Any] = {}
    for name, spec in fields.items():
        if name not in raw:
            continue
        key = f"{prefix}{name}"
        try:
            values[name] = _value(hints[name], raw[name], spec, where, key, problems)
        except _Bad as bad:
            problems.append(
                f"{where}{key} = {raw[name]!r} is not accepted; expected {bad.args[0]}"
            )
    return cls(**values)


def _value(
    hint: Any, value: Any, spec: dataclasses.Field[Any], where: str, key: str, problems: list[str]
) -> Any:
    optional = get_origin(hint) in (Union, types.UnionType) and type(None) in get_args(hint)
    if optional:
        hint = next(arg for arg in get_args(hint) if arg is not type(None))
        if value == "":
            return None
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, where, f"{key}.", problems)  # type: ignore[arg-type]
    if get_origin(hint) is tuple:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise _Bad("a list of strings")
        for item in value:
            _check_item(item, spec)
        return tuple(value)
    if hint is bool:
        if not isinstance(value, bool):
            raise _Bad("true or false")
        return value
    if hint in (int, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _Bad("a number")
        if hint is int and not isinstance(value, int):
            raise _Bad("a whole number")
        minimum = spec.metadata.get("min")
        if minimum is not None and value < minimum:
            raise _Bad(f"a number of at least {minimum}")
        return hint(value)
    if not isinstance(value, str):
        raise _Bad("a string")
    choices = spec.metadata.get("choices")
    if choices and value not in choices:
        raise _Bad("one of " + ", ".join(choices))
    _check_item(value, spec)
    return value


def _check_item(item: str, spec: dataclasses.Field[Any]) -> None:
    kind = spec.metadata.get("each")
    if kind == "user id" and not USER_ID.match(item):
        raise _Bad("a user id like @ana:example.org")
    elif kind == "room id" and not ROOM_ID.match(item):
        raise _Bad("a room id like !abcdef:example.org (or, room version 12 and later, "
                   "!Tt8Y6oRcJxdV4SEQyHjNLS6vUNvbGIYPDKhpqzLIl_A)")
    elif kind == "user id or server name" and not (USER_ID.match(item) or _is_server(item)):
        raise _Bad("user ids like @ana:example.org or server names like example.org")
    elif kind == "zulip user" and not re.match(r"^(\d{1,12}|[^@\s]+@[^@\s]+)$", item):
        raise _Bad("Zulip user ids (digits, as strings: \"1234\") or e-mail addresses")
    elif kind == "zulip role" and item not in ZULIP_ROLES:
        raise _Bad("roles among " + ", ".join(ZULIP_ROLES))
    elif kind == "url" and not re.match(r"^https?://[^\s/]+", item):
        raise _Bad("an http:// or https:// address")
    elif kind == "time zone":
        try:
            ZoneInfo(item)
        except (ZoneInfoNotFoundError, ValueError):
            raise _Bad("an IANA time zone such as Europe/Oslo or UTC") from None
    elif kind == "listen address":
        _check_listen(item)
    elif kind in ("duration", "duration or off"):
        try:
            (parse_optional_duration if kind == "duration or off" else parse_duration)(item)
        except ValueError:
            off = ', or "0" for none' if kind == "duration or off" else ""
            raise _Bad(f"a duration such as 1d, 24h, 30m or 2h30m{off}") from None
    elif kind == "database url":
        _check_database_url(item)


def parse_listen(address: str) -> tuple[str, int]:
    """`127.0.0.1:8080` or `[::1]:8080` -> host and port; ValueError when it is not one."""
    host, sep, port = address.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not sep or not host or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ValueError(f"{address!r} is not HOST:PORT (e.g. 127.0.0.1:8080)")
    return host, int(port)


def _check_listen(address: str) -> None:
    try:
        parse_listen(address)
    except ValueError:
        raise _Bad("HOST:PORT to serve the web side on, e.g. 127.0.0.1:8080") from None


def _is_server(name: str) -> bool:
    return re.match(r"^[A-Za-z0-9.-]+(:\d+)?$", name) is not None


def _check_database_url(url: str) -> None:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise _Bad("a database address such as sqlite+aiosqlite:///classroom-bot.db") from None
    if parsed.get_backend_name() == "sqlite" and parsed.get_driver_name() != "aiosqlite":
        raise _Bad("sqlite+aiosqlite:///FILE for SQLite (the bot needs the async driver)")
    path = sqlite_path(url)
    if path is not None and not path.parent.is_dir():
        raise _Bad(f"a file in an existing folder (there is no folder {path.parent})")


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite database address (relative to here), None for other databases."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).expanduser().resolve()


def _whole_problems(settings: Settings) -> list[str]:
    """What is wrong with values together, or with a value every command needs."""
    problems = []
    if settings.bot.organizers_room is not None and not settings.bot.organizers_room:
        problems.append("bot.organizers_room must not be empty")
    prefix = settings.bot.prefix
    if not prefix or any(ch.isspace() or ch.isalnum() for ch in prefix):
        problems.append(
            f"bot.prefix = {prefix!r} is not accepted; expected one or more symbols such as ! or ."
        )
    problems += _forms_problems(settings)
    return problems


def _forms_problems(settings: Settings) -> list[str]:
    """The forms file is read at start: a mistake in it is a configuration problem."""
    if not settings.feedback.enabled or settings.feedback.forms_file is None:
        return []
    try:
        definitions.load(forms_path(settings))
    except definitions.FormsError as exc:
        return [f"feedback.forms_file: {problem}" for problem in exc.problems]
    return []


def forms_path(settings: Settings) -> Path | None:
    """The forms file, relative to the configuration file's folder."""
    name = settings.feedback.forms_file
    if name is None:
        return None
    path = Path(name).expanduser()
    if not path.is_absolute() and settings.source != "<defaults>":
        path = Path(settings.source).parent / path
    return path


def run_problems(settings: Settings, reported: Sequence[str] = ()) -> list[str]:
    """What `run` still needs that the other commands do without (a network's login);
    a key whose wrong value is among the `reported` problems is not repeated."""
    needed = "needed by `run`"
    if settings.matrix is None and settings.zulip is None:
        return [f"{settings.source}: no [matrix] or [zulip] section ({needed}: a Matrix "
                "homeserver, user_id and password, or a Zulip site, email and api_key)"]

    def missing(section: str, *keys: str) -> bool:
        values = getattr(settings, section)
        wrong = any(f" {section}.{key} = " in problem for key in keys for problem in reported)
        return not wrong and not any(getattr(values, key) for key in keys)

    problems = []
    if settings.matrix is not None:
        problems += [
            f"{settings.source}: matrix.{key} is missing ({needed})"
            for key in ("homeserver", "user_id")
            if missing("matrix", key)
        ]
        if missing("matrix", "password", "access_token"):
            problems.append(
                f"{settings.source}: matrix.password or matrix.access_token is missing "
                f"({needed}); fill one in, or set {SECRET_ENV[('matrix', 'password')]} or "
                f"{SECRET_ENV[('matrix', 'access_token')]}"
            )
    if settings.zulip is not None:
        problems += [
            f"{settings.source}: zulip.{key} is missing ({needed})"
            for key in ("site", "email")
            if missing("zulip", key)
        ]
        if missing("zulip", "api_key"):
            problems.append(
                f"{settings.source}: zulip.api_key is missing ({needed}); fill it in (the "
                f"bot's zuliprc has it), or set {SECRET_ENV[('zulip', 'api_key')]}"
            )
    if settings.feedback.enabled and not settings.feedback.key:
        problems.append(
            f"{settings.source}: feedback.key is missing ({needed} while feedback.enabled is "
            "true: it keys the pseudonyms of feedback answers); fill in a long random string "
            f"(e.g. `openssl rand -hex 32`), or set {SECRET_ENV[('feedback', 'key')]}, "
            "or set feedback.enabled = false"
        )
    return problems


def organizers_on(settings: Settings, network: str) -> tuple[str, ...]:
    """The configured organizers' user ids on a network (to tell them something):
    on Zulip those given by numeric id (`zulip:1234`, the form the Zulip transport
    uses); elsewhere `bot.organizers`. Organizers by e-mail or role are not listed."""
    if network == "zulip":
        zulip = settings.zulip
        return tuple(f"zulip:{item}" for item in (zulip.organizers if zulip else ())
                     if item.isdigit())
    return settings.bot.organizers


def poll_networks(settings: Settings) -> tuple[str, ...]:
    """The networks configured to post the daily question as a poll (in their
    `POLL_ROOM`: Matrix's `poll_room`, Zulip's `poll_channel`)."""
    matrix, zulip = settings.matrix, settings.zulip
    return (*(("matrix",) if matrix is not None and matrix.poll_room else ()),
            *(("zulip",) if zulip is not None and zulip.poll_channel else ()))


def require_runnable(settings: Settings) -> None:
    """Raise ConfigError when `run` cannot log in with these settings."""
    problems = run_problems(settings)
    if problems:
        raise ConfigError(*problems)
