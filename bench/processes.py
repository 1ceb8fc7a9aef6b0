"""The bot and the echo floor as processes of their own, as they run in production.

`BotProcess` writes a configuration for an account on the homeserver and runs
`python -m bot run`; `EchoProcess` runs bench/echo.py. Both log to a file in
the work folder; `ready()` waits for the line that says the first sync is done.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import sys
import time
from pathlib import Path

from tests.e2e.homeserver import Homeserver, RegisteredUser

BOT_PASSWORD = "bench-bot-password"
BOT_READY = "first sync done"
ECHO_READY = "READY"


class Process:
    def __init__(self, command: list[str], log_path: Path, ready_line: str) -> None:
        self.command = command
        self.log_path = log_path
        self.ready_line = ready_line
        self.process: asyncio.subprocess.Process | None = None
        self.started = 0.0

    async def start(self) -> None:
        with self.log_path.open("ab") as log_file:
            self.started = time.perf_counter()
            self.process = await asyncio.create_subprocess_exec(
                *self.command, stdout=log_file, stderr=asyncio.subprocess.STDOUT,
            )

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    async def ready(self, within: float = 120.0) -> float:
        """Seconds from the process start until its ready line (checked every 10 ms)."""
        assert self.process is not None
        deadline = time.perf_counter() + within
        while self.ready_line not in self.output():
            if self.process.returncode is not None or time.perf_counter() > deadline:
                raise RuntimeError(f"{self.command[2]} did not start:\n{self.output()[-3000:]}")
            await asyncio.sleep(0.01)  # polling interval
        return time.perf_counter() - self.started

    def peak_rss_mb(self) -> float:
        """The process's peak resident memory so far (VmHWM), in MB."""
        assert self.process is not None
        status = Path(f"/proc/{self.process.pid}/status").read_text(encoding="utf-8")
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
        raise RuntimeError("no VmHWM in /proc status")

    async def stop(self) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        # py-spy writes its profile on SIGINT (the bot stops on either).
        self.process.send_signal(signal.SIGINT if "py-spy" in self.command[0] else signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), timeout=20)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


class BotProcess(Process):
    """`classroom-bot run` for a fresh account, on the SQLite file `db`."""

    def __init__(self, server: Homeserver, account: RegisteredUser, workdir: Path,
                 *, organizers: tuple[str, ...] = (), db: Path | None = None) -> None:
        self.account = account
        self.user_id = account.user_id
        self.db = db or workdir / "bot.db"
        config = workdir / "bot.toml"
        config.write_text(
            f"[bot]\norganizers = {json.dumps(list(organizers))}\n\n"
            f'[database]\nurl = "sqlite+aiosqlite:///{self.db}"\n\n'
            f'[matrix]\nhomeserver = "{server.url}"\nuser_id = "{self.user_id}"\n'
            f'password = "{account.password}"\n'
            f'allow_invites_from = ["{server.server_name}"]\n'
            "sync_timeout_seconds = 30\nmax_retry_wait_seconds = 1.0\n\n"
            f'[feedback]\nkey = "{secrets.token_hex(32)}"\n',
            encoding="utf-8",
        )
        command = [sys.executable, "-m", "bot", "run", "-c", str(config)]
        profile = os.environ.get("BENCH_PROFILE")  # a py-spy output file: profile the bot
        if profile:
            command = ["py-spy", "record", "--format", "raw", "-r", "500",
                       "-o", profile, "--", *command]
        super().__init__(command, workdir / "bot.log", BOT_READY)


class EchoProcess(Process):
    def __init__(self, server: Homeserver, account: RegisteredUser, workdir: Path) -> None:
        self.user_id = account.user_id
        super().__init__(
            [sys.executable, "-m", "bench.echo", server.url, account.user_id,
             account.device_id, account.access_token],
            workdir / "echo.log", ECHO_READY,
        )
