"""Processes of their own, for tests that kill or signal the bot and for the benchmarks.

`ChildProcess` is any command run as a child process, its output appended to a
log file: start, wait for a line of output, SIGTERM (killed if it does not
stop), SIGKILL, peak memory. `RunProcess` is the network-neutral
`classroom-bot run` on a configuration and SQLite database in a folder
(tests/zulip/bots.py and bench/processes.py build on it too); it reads the
outbox rows from that database while the process runs (SQLite in WAL mode lets
another process read). `BotProcess` writes the configuration for a bot account
on the test homeserver, so it can be started again on the same database.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import signal
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.db.engine import create_engine, create_sessionmaker
from bot.db.models import OutboxMessage, TransportState
from tests.e2e.homeserver import Homeserver, RegisteredUser

BOT_PASSWORD = "bot-password-not-secret"
POLL_S = 0.05
MATRIX_READY = "first sync done"  # the bot's log line once it answers commands


class ChildProcess:
    """`command` as a child process, its output appended to `log_path`."""

    def __init__(self, command: Sequence[str], log_path: Path, *,
                 stop_signal: signal.Signals = signal.SIGTERM) -> None:
        self.command = list(command)
        self.log_path = log_path
        self.stop_signal = stop_signal
        self.process: asyncio.subprocess.Process | None = None
        self.started = 0.0

    async def start(self) -> None:
        assert self.process is None or self.process.returncode is not None
        with self.log_path.open("ab") as log_file:
            self.started = time.perf_counter()
            self.process = await asyncio.create_subprocess_exec(
                *self.command, stdout=log_file, stderr=asyncio.subprocess.STDOUT,
            )

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    async def wait_for_line(self, line: str, within: float = 120.0) -> float:
        """Seconds from the start until `line` is in the output (read every 10 ms); an
        error with the output's end if the process exits or `within` passes first."""
        assert self.process is not None
        deadline = time.perf_counter() + within
        while line not in self.output():
            if self.process.returncode is not None or time.perf_counter() > deadline:
                raise RuntimeError(f"no {line!r} from {' '.join(self.command)}:\n"
                                   f"{self.output()[-3000:]}")
            await asyncio.sleep(0.01)  # the polling interval, not a wait for the result
        return time.perf_counter() - self.started

    async def kill(self) -> None:
        """SIGKILL: no handler runs, nothing more is written or sent."""
        assert self.process is not None
        self.process.kill()
        await self.process.wait()

    async def terminate(self, within: float = 15.0) -> int:
        """The stop signal (SIGTERM unless told), and the exit code."""
        assert self.process is not None
        self.process.send_signal(self.stop_signal)
        return await asyncio.wait_for(self.process.wait(), timeout=within)

    async def stop(self, within: float = 20.0) -> None:
        """Stop it if it runs: the stop signal, and SIGKILL if it still runs after `within`."""
        if self.process is None or self.process.returncode is not None:
            return
        try:
            await self.terminate(within)
        except TimeoutError:
            await self.kill()

    async def exit_code(self, within: float) -> int:
        """The exit code of a process that stops by itself; fail if it runs on."""
        assert self.process is not None
        try:
            return await asyncio.wait_for(self.process.wait(), timeout=within)
        except TimeoutError:
            pytest.fail(f"the process still runs after {within:.0f} s\n{self.output()[-3000:]}")

    async def close(self) -> None:
        if self.process is not None and self.process.returncode is None:
            await self.kill()

    def peak_rss_mb(self) -> float:
        """The running process's peak resident memory so far (VmHWM), in MB."""
        assert self.process is not None
        status = Path(f"/proc/{self.process.pid}/status").read_text(encoding="utf-8")
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
        raise RuntimeError("no VmHWM in /proc status")


class RunProcess(ChildProcess):
    """`classroom-bot run` on a configuration in `workdir`, with its SQLite database
    `bot.db` there; the subclass writes the network's part of the configuration.
    `wrapper` goes before the command (a profiler), stopped by `stop_signal`."""

    def __init__(self, workdir: Path, *, wrapper: Sequence[str] = (),
                 stop_signal: signal.Signals = signal.SIGTERM) -> None:
        self.db_url = f"sqlite+aiosqlite:///{workdir / 'bot.db'}"
        self.config = workdir / "config.toml"
        super().__init__([*wrapper, sys.executable, "-m", "bot", "run", "-c", str(self.config)],
                         workdir / "bot.log", stop_signal=stop_signal)

    def write_config(self, network: str, *, busy_timeout_seconds: float = 30.0) -> None:
        """The configuration: the database, `network` (TOML), a fresh feedback key."""
        self.config.write_text(
            f'[database]\nurl = "{self.db_url}"\nbusy_timeout_seconds = {busy_timeout_seconds}\n\n'
            f"{network}\n"
            f'[feedback]\nkey = "{secrets.token_hex(32)}"\n',
            encoding="utf-8",
        )

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
    """One Matrix bot account and its database, run as a child process. `account` is a
    localpart to register, or an account already registered (with a password)."""

    def __init__(
        self, server: Homeserver, workdir: Path, account: str | RegisteredUser,
        *, organizers: tuple[str, ...] = (), extra_config: str = "",
        token_only: bool = False, busy_timeout_seconds: float = 30.0,
        wrapper: Sequence[str] = (), stop_signal: signal.Signals = signal.SIGTERM,
        encryption: bool = False,
    ) -> None:
        super().__init__(workdir, wrapper=wrapper, stop_signal=stop_signal)
        self.account = (server.register(account, password=BOT_PASSWORD)
                        if isinstance(account, str) else account)
        # `token_only`: the account's access token is configured, and no password.
        login = (f'access_token = "{self.account.access_token}"' if token_only
                 else f'password = "{self.account.password}"')
        self.user_id = self.account.user_id
        self.write_config(
            f"[bot]\norganizers = {json.dumps(list(organizers))}\n\n"
            f'[matrix]\nhomeserver = "{server.url}"\nuser_id = "{self.user_id}"\n'
            f'{login}\nallow_invites_from = ["{server.server_name}"]\n'
            "sync_timeout_seconds = 30\nmax_retry_wait_seconds = 1.0\n"
            # Off unless asked: most tests' people read the bot with plain clients.
            f"encryption = {str(encryption).lower()}\n" + extra_config,
            busy_timeout_seconds=busy_timeout_seconds,
        )

    async def ready(self, within: float = 120.0) -> float:
        """Seconds from the start until the first sync is done (commands are answered)."""
        return await self.wait_for_line(MATRIX_READY, within)

    async def access_token(self) -> str:
        engine = create_engine(self.db_url)
        try:
            async with create_sessionmaker(engine)() as session:
                token = await session.get(TransportState, ("matrix", "access_token"))
        finally:
            await engine.dispose()
        assert token is not None
        return token.value
