"""A terminal chat with the bot: the whole bot, no homeserver.

Lines come from a terminal or from piped standard input, so a session can be
scripted. Answers are shown as plain text (no Markdown escapes). The console
is a direct chat, so the prefix is optional.
`/as @other:host` switches who is typing; `/quit` (or end of input) stops.
With a simulated clock (`console --clock 2027-03-08T09:00Z`), `/wait 2d3h`
moves it forward and delivers every reminder that falls due on the way, in
order (the rehearsal of a workshop week): each reminder is shown with when it
was due, in UTC and in its recipient's zone, so who hears what, when, can be
read off.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import threading
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, timedelta
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.config import parse_duration
from bot.transport.base import DatabaseUnavailable, Due, Handler, Incoming, Outgoing
from bot.transport.render import plain_text
from bot.values import UserId

CONSOLE_ROOM = "console"


class ConsoleTransport:
    network = "console"

    def __init__(
        self,
        user: str,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        interactive: bool | None = None,
    ) -> None:
        self.user = UserId.parse(user)
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.interactive = self.stdin.isatty() if interactive is None else interactive
        self._files_dir: Path | None = None
        self._stopped = asyncio.Event()
        # Set by the console command when the clock is simulated: moves it forward,
        # delivers what falls due; returns a line to show (the new time).
        self.on_wait: Callable[[timedelta], Awaitable[str]] | None = None

    async def run(self, handler: Handler) -> None:
        lines: asyncio.Queue[str | None] = asyncio.Queue()
        loop = asyncio.get_running_loop()

        def read() -> None:
            for line in self.stdin:
                loop.call_soon_threadsafe(lines.put_nowait, line)
            loop.call_soon_threadsafe(lines.put_nowait, None)

        # A daemon thread: a blocked terminal read must not keep the process alive.
        threading.Thread(target=read, name="console-input", daemon=True).start()
        if self.interactive:
            self._print(f"classroom-bot console. You are {self.user}. Type help, or /quit.")
        while not self._stopped.is_set():
            self._prompt()
            line = await lines.get()
            if line is None:
                break
            await self._take(line.rstrip("\r\n"), handler)

    async def _take(self, line: str, handler: Handler) -> None:
        if not self.interactive:
            self._print(f"{self.user}> {line}")
        command = line.strip()
        if command in ("/quit", "/exit"):
            self._stopped.set()
        elif command.startswith("/as"):
            try:
                self.user = UserId.parse(command.removeprefix("/as"))
                self._print(f"(you are now {self.user})")
            except ValueError as exc:
                self._print(f"({plain_text(str(exc))})")
        elif command.startswith("/wait"):
            await self._wait(command.removeprefix("/wait").strip())
        elif command:
            try:
                sent = await handler(
                    Incoming(
                        network=self.network,
                        sender=self.user,
                        room=CONSOLE_ROOM,
                        body=line,
                        is_direct=True,
                        event_id=uuid.uuid4().hex,
                    )
                )
            except DatabaseUnavailable as exc:
                # The person typing is the one to retry: say so, and go on.
                self._print(f"(the database is busy, nothing was done; type it again: {exc})")
                return
            await sent.wait()  # the answer is printed before the next prompt

    async def _wait(self, text: str) -> None:
        if self.on_wait is None:
            self._print("(/wait needs a simulated clock: start the console with --clock)")
            return
        try:
            by = parse_duration(text)
        except ValueError as exc:
            self._print(f"({exc}; e.g. /wait 2d3h)")
            return
        self._print(await self.on_wait(by))

    async def deliver(self, message: Outgoing) -> None:
        text = plain_text(message.text)
        if message.attachment is not None:
            path = self.files_dir / Path(message.attachment.filename).name
            # Exports hold feedback: only the console's user may read them.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "wb") as file:
                file.write(message.attachment.data)
            text += f"\n[file {message.attachment.filename} saved to {path}]"
        if message.user is not None and message.user != self.user:
            self._print(f"[direct message to {message.user}{_due(message.due)}]\n"
                        + _indent(text))
        else:
            self._print(_indent(text))

    @property
    def files_dir(self) -> Path:
        """A private folder (mode 700) of this run, made on the first file."""
        if self._files_dir is None:
            self._files_dir = Path(tempfile.mkdtemp(prefix="classroom-bot-files-"))
        return self._files_dir

    async def stop(self) -> None:
        self._stopped.set()

    def _prompt(self) -> None:
        if self.interactive:
            self.stdout.write(f"{self.user}> ")
            self.stdout.flush()

    def _print(self, text: str) -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()


def _due(due: Due | None) -> str:
    """` · due Mon 15 Mar 08:00 UTC · 09:00 Europe/Oslo`: when a reminder was due, in UTC
    and in its recipient's zone (with the date too when it is another day there)."""
    if due is None:
        return ""
    utc = due.at.astimezone(UTC)
    local = due.at.astimezone(ZoneInfo(due.zone))
    day = "" if local.date() == utc.date() else f"{local:%a} {local.day} {local:%b} "
    return f" · due {utc:%a} {utc.day} {utc:%b %H:%M} UTC · {day}{local:%H:%M} {due.zone}"


def _indent(text: str) -> str:
    return "\n".join("  " + line if line else "" for line in text.splitlines())
