"""The bot and the echo floor as processes of their own, as they run in production.

Both build on the tests' process base (tests/e2e/process.py): `BotProcess` is
the tests' `classroom-bot run` for an account on the homeserver, run under
py-spy when `BENCH_PROFILE` names an output file; `EchoProcess` runs
bench/echo.py. Both log to a file in the work folder; `ready()` waits for the
line that says the first sync is done and gives the seconds it took.
`BusyLoad` is a background load for the benchmarks' `--busy` runs.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from tests.e2e.homeserver import Homeserver, RegisteredUser
from tests.e2e.process import BOT_PASSWORD, ChildProcess
from tests.e2e.process import BotProcess as RunBot

__all__ = ["BOT_PASSWORD", "NO_LIMIT", "BotProcess", "BusyLoad", "EchoProcess"]

ECHO_READY = "READY"
# Configuration for a bot without the per-person command limit (bot/commands/limits.py):
# one account sending hundreds of commands is a flood to it, and bench/flood.py
# measures that; the other benchmarks measure the commands.
NO_LIMIT = "\n[limits]\ncommands_per_minute = 0\n"


class BotProcess(RunBot):
    """`classroom-bot run` for `account` (registered with a password), on `workdir/bot.db`."""

    def __init__(self, server: Homeserver, account: RegisteredUser, workdir: Path,
                 *, organizers: tuple[str, ...] = (), extra_config: str = "",
                 encryption: bool = False) -> None:
        profile = os.environ.get("BENCH_PROFILE")  # a py-spy output file: profile the bot
        wrapper = (["py-spy", "record", "--format", "raw", "-r", "500", "-o", profile, "--"]
                   if profile else [])
        # py-spy writes its profile on SIGINT (the bot stops on either).
        super().__init__(server, workdir, account, organizers=organizers,
                         extra_config=extra_config, wrapper=wrapper, encryption=encryption,
                         stop_signal=signal.SIGINT if profile else signal.SIGTERM)


class EchoProcess(ChildProcess):
    def __init__(self, server: Homeserver, account: RegisteredUser, workdir: Path,
                 *, encrypted: bool = False) -> None:
        self.user_id = account.user_id
        store = [str(workdir / "echo-store")] if encrypted else []
        if store:
            (workdir / "echo-store").mkdir(mode=0o700, exist_ok=True)
        super().__init__(
            [sys.executable, "-m", "bench.echo", server.url, account.user_id,
             account.device_id, account.access_token, *store],
            workdir / "echo.log",
        )

    async def ready(self, within: float = 120.0) -> float:
        return await self.wait_for_line(ECHO_READY, within)


# A fixed pure-Python loop that never sleeps: one core's worth of CPU, the same
# for as long as it runs, whatever else the machine does.
SPIN = "n = 0\nwhile True:\n    n = (n * 31 + 7) % 1000003\n"


class BusyLoad(ChildProcess):
    """A background process that keeps one core busy until it is stopped."""

    def __init__(self, workdir: Path) -> None:
        super().__init__([sys.executable, "-c", SPIN], workdir / "busy.log")
