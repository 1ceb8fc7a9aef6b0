"""matrix-reminder-bot, the peer `python -m bench peers` measures our bot against.

It is installed from the package index into a virtual environment of its own
(`python -m venv` + pip), created once in the cache folder (`VENV`) and reused
while it still imports, so the bot's own environment never gets its
dependencies. `ReminderBotProcess` runs it as a process with a configuration
written for the bench homeserver: password login, SQLite storage and the
encryption store in the work folder, allowlist and blocklist off, prefix `!`.

What its source (0.4.0) does that the benchmark relies on: it joins every room
it is invited to (`Callbacks.invite`), logs "Startup complete" once logged in
(before its first sync), and answers `!help` with `HELP_REPLY` (and more) in an
`m.notice` that is not a reply (no `m.in_reply_to`), so the benchmark takes
the first message from it in the room after the command.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.homeserver import Homeserver, RegisteredUser
from tests.e2e.process import ChildProcess

PACKAGE = "matrix-reminder-bot==0.4.0"
VENV = (Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        / "classroom-bot-bench" / "reminder-bot-venv")
READY = "Startup complete"
HELP_REPLY = "Hello, I am a reminder bot!"
# Its console script runs `asyncio.get_event_loop().run_until_complete(main())`, which
# newer Pythons refuse outside a running loop; asyncio.run is the same on every one.
LAUNCH = ("import asyncio; from matrix_reminder_bot import main; "
          "asyncio.run(main.main())")


def python(venv: Path) -> Path:
    return venv / "bin" / "python"


def works(venv: Path) -> bool:
    """The environment exists and the peer's entry point imports in it."""
    if not python(venv).exists():
        return False
    check = subprocess.run([python(venv), "-c", "import matrix_reminder_bot.main"],
                           capture_output=True, check=False)
    return check.returncode == 0


def install(venv: Path = VENV) -> Path:
    """The environment's interpreter, after creating it if it does not work yet."""
    if works(venv):
        return python(venv)
    print(f"installing {PACKAGE} into {venv} (once)", file=sys.stderr, flush=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", venv], check=True)
    subprocess.run([python(venv), "-m", "pip", "install", "--quiet",
                    "--disable-pip-version-check", PACKAGE], check=True)
    if not works(venv):
        raise SystemExit(f"{PACKAGE} installed into {venv} but does not import")
    return python(venv)


def config(server: Homeserver, account: RegisteredUser, workdir: Path) -> dict[str, object]:
    """Its configuration (bench/reminder_bot.py's module docstring says why each)."""
    return {
        "command_prefix": "!",
        "matrix": {"user_id": account.user_id, "user_password": account.password,
                   "device_id": "BENCHREMINDER", "device_name": "bench",
                   "homeserver_url": server.url},
        "storage": {"database": f"sqlite://{workdir / 'reminders.db'}",
                    "store_path": str(workdir / "reminder-store")},
        "reminders": {"timezone": "Etc/UTC"},
        "allowlist": {"enabled": False, "regexes": []},
        "blocklist": {"enabled": False, "regexes": []},
        "logging": {"level": "INFO", "console_logging": {"enabled": True},
                    "file_logging": {"enabled": False}},
    }


class ReminderBotProcess(ChildProcess):
    """matrix-reminder-bot for `account` (it logs in with the password), run by
    `interpreter` (the environment `install()` gives), its files in `workdir`."""

    def __init__(self, interpreter: Path, server: Homeserver, account: RegisteredUser,
                 workdir: Path) -> None:
        self.user_id = account.user_id
        path = workdir / "reminder-bot.yaml"
        # JSON is YAML: no YAML writer needed on this side.
        path.write_text(json.dumps(config(server, account, workdir), indent=2),
                        encoding="utf-8")
        super().__init__([str(interpreter), "-c", LAUNCH, str(path)],
                         workdir / "reminder-bot.log")

    async def ready(self, within: float = 120.0) -> float:
        """Seconds until it has logged in (it joins rooms from its syncs on)."""
        return await self.wait_for_line(READY, within)
