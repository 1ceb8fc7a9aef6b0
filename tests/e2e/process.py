"""The bot as a real `classroom-bot run` process, for tests that kill or signal it.

`RunProcess` is the network-neutral part (tests/zulip/bots.py builds on it too);
`BotProcess` writes a configuration for a fresh bot account, starts the
process (its output appended to a log file in the test's directory), sends
it SIGKILL or SIGTERM, starts it again on the same database, and reads the
outbox rows from that database while the process runs (SQLite in WAL mode
lets another process read).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.db.engine import create_engine, create_sessionmaker
from bot.db.models import OutboxMessage, TransportState
from tests.e2e.homeserver import Homeserver

BOT_PASSWORD = "bot-password-not-secret"
POLL_S = 0.05


class RunProcess:
    """`classroom-bot run` on a configuration in `workdir`, with its SQLite database
    there; the subclass writes the network's part of the configuration."""

    def __init__(self, workdir: Path) -> None:
        self.db_url = f"sqlite+aiosqlite:///{workdir / 'bot.db'}"
        self.config = workdir / "config.toml"
        self.log_path = workdir / "bot.log"
        self.process: asyncio.subprocess.Process | None = None

    def write_config(self, network: str, *, busy_timeout_seconds: float = 30.0) -> None:
        """The configuration: the database, `network` (TOML), a fresh feedback key."""
        self.config.write_text(
            f'[database]\nurl = "{self.db_url}"\nbusy_timeout_seconds = {busy_timeout_seconds}\n\n'
            f"{network}\n"
            f'[feedback]\nkey = "{secrets.token_hex(32)}"\n',
            encoding="utf-8",
        )

    async def start(self) -> None:
        assert self.process is None or self.process.returncode is not None
        with self.log_path.open("ab") as log_file:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", "-c", str(self.config),
                stdout=log_file, stderr=asyncio.subprocess.STDOUT,
            )

    async def kill(self) -> None:
        """SIGKILL: no handler runs, nothing more is written or sent."""
        assert self.process is not None
        self.process.kill()
        await self.process.wait()

    async def terminate(self, within: float = 15.0) -> int:
        """SIGTERM, and the exit code."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.process.wait(), timeout=within)

    async def exit_code(self, within: float) -> int:
        """The exit code of a process that stops by itself; fail if it runs on."""
        assert self.process is not None
        try:
            return await asyncio.wait_for(self.process.wait(), timeout=within)
        except TimeoutError:
            pytest.fail(f"the bot still runs after {within:.0f} s\n{self.output()[-3000:]}")

    async def close(self) -> None:
        if self.process is not None and self.process.returncode is None:
            await self.kill()

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    async def rows(self) -> list[OutboxMessage]:
        """The outbox rows in the bot's database, oldest first."""
        engine = create_engine(self.db_url)
        try:
            async with create_sessionmaker(engine)() as session:
                return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        finally:
            await engine.dispose()

    async def wait_for_rows(
        self, found: Callable[[list[OutboxMessage]], bool], what: str, within: float = 30.0
    ) -> list[OutboxMessage]:
        """Read the outbox every 50 ms until `found(rows)`; fail after `within` seconds."""
        deadline = time.monotonic() + within
        while True:
            try:
                rows = await self.rows()
            except Exception:  # the table does not exist before the first migration
                rows = []
            if found(rows):
                return rows
            if time.monotonic() >= deadline:
                pytest.fail(f"no {what} within {within:.0f} s\n{self.output()[-3000:]}")
            await asyncio.sleep(POLL_S)  # the polling interval, not a wait for the result


class BotProcess(RunProcess):
    """One Matrix bot account and its database, run as a child process."""

    def __init__(
        self, server: Homeserver, workdir: Path, localpart: str,
        *, organizers: tuple[str, ...] = (), extra_config: str = "",
        token_only: bool = False, busy_timeout_seconds: float = 30.0,
    ) -> None:
        super().__init__(workdir)
        self.account = server.register(localpart, password=BOT_PASSWORD)
        # `token_only`: the account's access token is configured, and no password.
        login = (f'access_token = "{self.account.access_token}"' if token_only
                 else f'password = "{BOT_PASSWORD}"')
        self.user_id = self.account.user_id
        self.write_config(
            f"[bot]\norganizers = {json.dumps(list(organizers))}\n\n"
            f'[matrix]\nhomeserver = "{server.url}"\nuser_id = "{self.user_id}"\n'
            f'{login}\nallow_invites_from = ["{server.server_name}"]\n'
            "sync_timeout_seconds = 30\nmax_retry_wait_seconds = 1.0\n" + extra_config,
            busy_timeout_seconds=busy_timeout_seconds,
        )

    async def access_token(self) -> str:
        engine = create_engine(self.db_url)
        try:
            async with create_sessionmaker(engine)() as session:
                token = await session.get(TransportState, ("matrix", "access_token"))
        finally:
            await engine.dispose()
        assert token is not None
        return token.value
