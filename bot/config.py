"""Configuration: a TOML file loaded into frozen, validated settings.

Every section is a frozen dataclass; the loader walks their fields, so the
dataclasses below are the one description of what a configuration may hold.
The loader gathers every problem of a file before it gives up (one ConfigError
lists them all), and each names the file, the key and what is accepted. Secrets
may come from environment variables instead of the file (see `secret_env`).

A chat network's section (`[NAME]`) is the dataclass its registration names
(bot/networks.py), kept in `Settings.networks`. What only `run` needs (a
network's login) is listed by `run_problems`, not refused.
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

from bot import networks
from bot.config_sections import (
    RETIRED,
    BotSettings,
    DatabaseSettings,
    FeedbackSettings,
    HttpSettings,
    LimitSettings,
    ReminderSettings,
    RoomSettings,
    Settings,
    StatusSettings,
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
    "ReminderSettings",
    "RoomSettings",
    "Settings",
    "StatusSettings",
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

class ConfigError(ValueError):
    """A configuration that cannot be used: one or more problems, each saying where and why."""

    def __init__(self, *problems: str) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


# Secrets of the bot's own sections read from the environment; a set variable wins
# over the file. A network's registration names its own (`secret_env`).
_OWN_SECRETS = {
    ("feedback", "key"): "CLASSROOM_BOT_FEEDBACK_KEY",
    ("database", "url"): "CLASSROOM_BOT_DATABASE_URL",
}


def secret_env() -> dict[tuple[str, str], str]:
    """(section, key) -> the environment variable that may hold that secret."""
    found = {(network.name, key): variable for network in networks.every()
             for key, variable in network.secrets.items()}
    return found | _OWN_SECRETS


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
    for (section, key), variable in secret_env().items():
        if environ.get(variable):
            merged.setdefault(section, {})
            if isinstance(merged[section], dict):
                merged[section][key] = environ[variable]
    problems: list[str] = []
    where = f"{source}: "
    sections = {network.name: _build(network.section, merged.pop(network.name), where,
                                     f"{network.name}.", problems)
                for network in networks.every()
                if network.section is not None and network.name in merged}
    settings: Settings = _build(Settings, merged, where, "", problems, also=tuple(
        network.name for network in networks.every() if network.section is not None))
    settings = dataclasses.replace(settings, networks=sections, source=source)
    problems += (f"{source}: {problem}" for problem in _whole_problems(settings))
    return settings, problems


class _Bad(ValueError):
    """One value that is not accepted; the loader records it and goes on."""


def _build(cls: type[Any], raw: Any, where: str, prefix: str, problems: list[str],
           also: tuple[str, ...] = ()) -> Any:
    """An instance of `cls` from the table `raw`; what is wrong goes to `problems`,
    and a value that is wrong keeps its default, so checking goes on. `also`: keys
    read elsewhere (the networks' sections), known but not fields."""
    if not isinstance(raw, dict):
        problems.append(f"{where}[{prefix.rstrip('.')}] must be a table")
        return cls()
    fields = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
    known_keys = [*fields, *also]
    for key in raw:
        if (retired := RETIRED.get(prefix + key)) is not None:
            problems.append(f"{where}{prefix + key} is no longer read: {retired}")
        elif key not in fields:
            close = difflib.get_close_matches(key, known_keys, n=1)
            hint = f"; did you mean {prefix + close[0]!r}?" if close else ""
            known = ", ".join(known_keys)
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
    if (check := spec.metadata.get("check")) is not None:
        try:
            check(item)  # a network's own rule for its section's values
        except ValueError as exc:
            raise _Bad(str(exc)) from None
    if kind == "user id" and networks.owner_of(item) is None:
        examples = dict.fromkeys(network.id_example for network in networks.every())
        raise _Bad("a user id like " + " or ".join(examples))
    elif kind == "room id" and not any(
        network.room_id.fullmatch(item) for network in networks.every() if network.room_id
    ):
        examples = dict.fromkeys(network.room_example for network in networks.every()
                                 if network.room_id)
        raise _Bad("a room id like " + " or ".join(examples))
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
    secrets = secret_env()
    configured = networks.configured(settings)
    if not configured:
        named = " or ".join(f"[{network.name}]" for network in networks.every()
                            if network.section is not None)
        logins = ", or ".join(network.login for network in networks.every() if network.login)
        return [f"{settings.source}: no {named} section ({needed}: {logins})"]
    problems = []
    for network, section in configured:
        for need in network.needed:
            keys = [f"{network.name}.{key}" for key in need.keys]
            wrong = any(f" {key} = " in problem for key in keys for problem in reported)
            if wrong or any(getattr(section, key) for key in need.keys):
                continue
            problem = f"{settings.source}: {' or '.join(keys)} is missing ({needed})"
            variables = [secrets[(network.name, key)] for key in need.keys
                         if (network.name, key) in secrets]
            if variables:
                fill = "fill one in" if len(need.keys) > 1 else "fill it in"
                hint = f" ({need.hint})" if need.hint else ""
                problem += f"; {fill}{hint}, or set {' or '.join(variables)}"
            problems.append(problem)
    if settings.feedback.enabled and not settings.feedback.key:
        problems.append(
            f"{settings.source}: feedback.key is missing ({needed} while feedback.enabled is "
            "true: it keys the pseudonyms of feedback answers); fill in a long random string "
            f"(e.g. `openssl rand -hex 32`), or set {secrets[('feedback', 'key')]}, "
            "or set feedback.enabled = false"
        )
    return problems


def organizers_on(settings: Settings, network: str) -> tuple[str, ...]:
    """The configured organizers' user ids on a network (to tell them something):
    those of `bot.organizers` and of the network's own section that are ids of its
    people; organizers by e-mail or role are not listed."""
    registered = networks.get(network)
    section = settings.network(network)
    own = registered.organizers(section) if section is not None else ()
    return tuple(dict.fromkeys(
        user for user in (*settings.bot.organizers, *own) if registered.fits(user)))


def poll_networks(settings: Settings) -> tuple[str, ...]:
    """The networks configured to post the daily question as a poll (in their
    `POLL_ROOM`, a room or channel their section names)."""
    return tuple(network.name for network, section in networks.configured(settings)
                 if network.polls(section))


def require_runnable(settings: Settings) -> None:
    """Raise ConfigError when `run` cannot log in with these settings."""
    problems = run_problems(settings)
    if problems:
        raise ConfigError(*problems)
