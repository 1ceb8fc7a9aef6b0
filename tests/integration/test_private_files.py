"""The database keeps the bot's Matrix access token: others on the machine cannot read it.

A SQLite file the bot creates is mode 600, and so are the -wal and -shm files
SQLite adds beside it; `classroom-bot run` warns when the file or its folder is
open to others (bot/db/engine.py `exposed`).
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from bot.app import network_app
from bot.config import BotSettings, DatabaseSettings, Settings
from bot.db.engine import exposed
from bot.db.state import StateStore
from bot.transport.matrix_network import MatrixSettings
from tests.chat import Chat
from tests.databases import sqlite_url


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> object:
    """A umask that would leave new files readable by everyone (0644)."""
    old = os.umask(0o022)
    yield old
    os.umask(old)


async def test_the_database_files_are_readable_by_their_owner_only(
    tmp_path: Path, open_umask: object
) -> None:
    chat = await Chat.open(tmp_path)
    try:
        await StateStore(chat.app.sessions, "matrix").set("access_token", "syt_secret")
        await chat.say("@ana:example.org", "!tz Europe/Oslo")
        files = {
            name: mode(tmp_path / name)
            for name in os.listdir(tmp_path) if name.startswith("bot.db")
        }
    finally:
        await chat.close()
    assert {"bot.db", "bot.db-wal", "bot.db-shm"} <= set(files), files
    assert set(files.values()) == {0o600}, {name: oct(m) for name, m in files.items()}


async def test_an_existing_file_is_left_as_the_operator_set_it(tmp_path: Path) -> None:
    (tmp_path / "bot.db").touch(mode=0o640)
    os.chmod(tmp_path / "bot.db", 0o640)
    chat = await Chat.open(tmp_path)
    await chat.close()
    assert mode(tmp_path / "bot.db") == 0o640


def test_run_warns_when_others_can_open_the_database(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o700)
    os.chmod(folder, 0o700)
    (folder / "bot.db").touch()
    os.chmod(folder / "bot.db", 0o600)
    url = sqlite_url(folder)
    assert exposed(url) == []
    os.chmod(folder / "bot.db", 0o644)
    os.chmod(folder, 0o755)
    assert exposed(url) == [f"the folder {folder} has mode 755",
                            f"the file {folder / 'bot.db'} has mode 644"]
    assert exposed("postgresql+asyncpg://bot@/bot?host=/run/postgresql") == []

    settings = Settings(
        bot=BotSettings(organizers=("@org:example.org",)),
        database=DatabaseSettings(url=url),
        networks={"matrix": MatrixSettings(homeserver="http://127.0.0.1:9",
                                           user_id="@bot:example.org", password="x")},
    )
    with caplog.at_level(logging.WARNING, logger="bot.app"):
        network_app(settings)
    warned = [r.getMessage() for r in caplog.records if "access token" in r.getMessage()]
    assert len(warned) == 2 and "has mode 644" in warned[1], warned
