"""Matrix, as the rest of the bot knows it: its `[matrix]` section and registration.

Light on purpose: nothing here imports nio; the transport (bot/transport/matrix.py)
is imported only when `run` builds it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from bot import networks
from bot.config import sqlite_path
from bot.transport.base import Transport

# A Matrix user id as commands accept it: a lowercase localpart (the grammar of
# new ids) and a server name, with a port where one is given.
USER_ID = re.compile(r"@[a-z0-9._=/+-]+:[A-Za-z0-9.-]+(:\d{1,5})?")
# `!opaque:server`, or from room version 12 on `!` and an opaque id alone (the hash of
# the room's create event, URL-safe base64). Never read a server out of either.
ROOM_ID = re.compile(r"!(?:[^:\s]+:\S+|[A-Za-z0-9_-]+)")
_SERVER = re.compile(r"[A-Za-z0-9.-]+(:\d+)?")
# What the configuration accepts as the bot's own id: historical ids too.
_ANY_USER = re.compile(r"@[^:\s]+:\S+")


def _user(item: str) -> None:
    if not _ANY_USER.fullmatch(item):
        raise ValueError("a user id like @ana:example.org")


def _inviter(item: str) -> None:
    if not (_ANY_USER.fullmatch(item) or _SERVER.fullmatch(item)):
        raise ValueError("user ids like @ana:example.org or server names like example.org")


def _folder(item: str) -> None:
    if not item.strip():
        raise ValueError("a folder for the crypto store, such as /var/lib/classroom-bot/keys")
    path = Path(item).expanduser()
    if path.exists() and not path.is_dir():
        raise ValueError(f"a folder for the crypto store ({path} is a file)")


@dataclass(frozen=True)
class MatrixSettings:
    homeserver: str = field(default="", metadata={"each": "url"})
    user_id: str = field(default="", metadata={"check": _user})
    password: str | None = None
    access_token: str | None = None
    device_name: str = "classroom-bot"
    allow_invites_from: tuple[str, ...] = field(default=(), metadata={"check": _inviter})
    command_max_age_minutes: int = field(default=10, metadata={"min": 0})
    sync_timeout_seconds: int = field(default=30, metadata={"min": 1})
    max_retry_wait_seconds: float = field(default=2.0, metadata={"min": 0.1})
    poll_room: str | None = field(
        default=None, metadata={"each": "room id", "doc": "room for the daily poll"}
    )
    status_room: str | None = field(
        default=None, metadata={"each": "room id", "doc": "room for the status board"}
    )
    # The Space every workshop's chats go in ([chats]); unset: one per workshop, made
    # by the bot.
    chats_space: str | None = field(default=None, metadata={"each": "room id"})
    # Replace cross-signing keys of the account that are not the bot's own (someone
    # set them up in Element); off: they are left alone and the device stays unsigned.
    cross_signing_reset: bool = False
    # End-to-end encryption: read and answer encrypted rooms, open direct chats encrypted.
    encryption: bool = True
    # nio's crypto store (the device's Olm account and sessions); unset: beside the
    # SQLite database (`store_folder`).
    store_path: str | None = field(default=None, metadata={"check": _folder})


STORE_SUFFIX = ".matrix-store"


def store_folder(settings: MatrixSettings, database_url: str | None) -> Path:
    """Where nio keeps the device's keys: `matrix.store_path`, else a folder beside the
    SQLite database named after it (`bot.db` -> `bot.matrix-store`), else (another
    database) `classroom-bot.matrix-store` in the working directory."""
    if settings.store_path:
        return Path(settings.store_path).expanduser().resolve()
    database = sqlite_path(database_url) if database_url else None
    if database is None:
        return Path("classroom-bot" + STORE_SUFFIX).resolve()
    return database.with_name(database.stem + STORE_SUFFIX)


def _transport(wiring: networks.Wiring) -> Transport:
    from bot.transport.matrix import MatrixTransport  # nio loads only if used

    database = wiring.settings.database
    return MatrixTransport(
        wiring.section, wiring.state, wiring.clock,
        store=store_folder(wiring.section, database.url if database else None),
        # Organizers may always bring the bot into their rooms.
        trusted_inviters=wiring.settings.bot.organizers, on_vote=wiring.on_vote,
    )


NETWORK = networks.register(networks.Network(
    name="matrix",
    title="Matrix",
    user_id=USER_ID,
    id_example="@ana:example.org",
    room_id=ROOM_ID,
    room_example="!abcdef:example.org (or, room version 12 and later, "
                 "!Tt8Y6oRcJxdV4SEQyHjNLS6vUNvbGIYPDKhpqzLIl_A)",
    person_usage="@user:server",
    person_example="@ana:uni.no",
    section=MatrixSettings,
    secrets={"password": "CLASSROOM_BOT_MATRIX_PASSWORD",
             "access_token": "CLASSROOM_BOT_MATRIX_ACCESS_TOKEN"},
    needed=(networks.Needed(("homeserver",)), networks.Needed(("user_id",)),
            networks.Needed(("password", "access_token"))),
    login="a Matrix homeserver, user_id and password",
    polls=lambda section: bool(section.poll_room),
    board=lambda section: bool(section.status_room),
    transport=_transport,
))
