"""A terminal chat with the bot: the whole bot, no homeserver.

Lines come from a terminal or from piped standard input, so a session can be
scripted. At a terminal, lines are read with the standard library's readline
where it exists: the arrow keys edit the line and recall the earlier ones of
this session. Piped input is read as it comes, each line echoed after the
prompt. Answers are shown as plain text (no Markdown escapes). The console
is a direct chat, so the prefix is optional.

A line starting with `/` is the console's own (`/help` lists them, an unknown
one is answered here and never reaches the bot): `/as @other:host` switches
who is typing, `/whoami` says who that is, `/quit` (or end of input) stops.
With a simulated clock (`console --clock 2027-03-08T09:00Z`), `/wait 2d3h`
moves it forward and delivers every reminder that falls due on the way, in
order (the rehearsal of a workshop week): each reminder is shown with when it
was due, in UTC and in its recipient's zone, so who hears what, when, can be
read off.

Files the bot sends (exports) are saved in a private folder of this run,
removed when the console ends unless it was started with `--keep-files`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import shutil
import sys
import tempfile
import termios
import threading
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from bot import networks
from bot.config import parse_duration
from bot.render import plain_text
from bot.transport.base import (
    BOARD_ROOM,
    DatabaseUnavailable,
    Due,
    Handler,
    Incoming,
    Outgoing,
)
from bot.values import UserId

CONSOLE_ROOM = "console"

# The console's own commands, as `/help` lists them: (usage, what it does).
CONSOLE_COMMANDS = {
    "/as": (f"/as {networks.get('console').person_usage}", "type as that person from now on"),
    "/whoami": ("/whoami", "say who is typing"),
    "/wait": ("/wait 2d3h", "move the simulated clock on (--clock), delivering what falls due"),
    "/help": ("/help", "list these console commands"),
    "/quit": ("/quit", "stop the console (so does end of input, Ctrl-D)"),
}
ALIASES = {"/exit": "/quit"}


class ConsoleTransport:
    network = "console"

    def __init__(
        self,
        user: str,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        interactive: bool | None = None,
        keep_files: bool = False,
    ) -> None:
        self.user = UserId.parse(user)
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.interactive = self.stdin.isatty() if interactive is None else interactive
        self.keep_files = keep_files
        self._files_dir: Path | None = None
        # The terminal's settings before the line editor changed them, and whether a
        # line is being read: an interrupt (Ctrl-C) must not leave the terminal raw.
        self._terminal: list[Any] | None = None
        self._reading = False
        self._stopped = asyncio.Event()
        # Set by the console command when the clock is simulated: moves it forward,
        # delivers what falls due; returns a line to show (the new time).
        self.on_wait: Callable[[timedelta], Awaitable[str]] | None = None
        self._posted = 0  # ids of the messages later edited (the status board's)

    async def run(self, handler: Handler) -> None:
        lines: asyncio.Queue[str | None] = asyncio.Queue()
        loop = asyncio.get_running_loop()

        def put(line: str | None) -> None:
            # The loop may be gone when a read returns as the process ends.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(lines.put_nowait, line)

        def read_all() -> None:
            for line in self.stdin:
                put(line)
            put(None)

        prompts: queue.SimpleQueue[str] = queue.SimpleQueue()

        def ask() -> None:
            # One line per prompt: the answer to a line is shown before the next prompt,
            # and the line editor redraws the prompt it was given.
            while True:
                line = self._ask(prompts.get())
                put(line)
                if line is None:
                    return

        # A daemon thread: a blocked terminal read must not keep the process alive.
        threading.Thread(target=ask if self.interactive else read_all, name="console-input",
                         daemon=True).start()
        if self.interactive:
            self._print(f"classroom-bot console. You are {self.user}. "
                        "Type help for the bot's commands, /help for the console's.")
        while not self._stopped.is_set():
            if self.interactive:
                prompts.put(f"{self.user}> ")
            line = await lines.get()
            if line is None:
                break
            await self._take(line.rstrip("\r\n"), handler)

    def _ask(self, prompt: str) -> str | None:
        """The next line typed after `prompt`, or None at the end of input."""
        if self.stdin is sys.stdin and self.stdout is sys.stdout:
            self._line_editing()
            self._reading = True
            try:
                # input() edits the line with readline when both are a terminal.
                return input(prompt)
            except EOFError:
                self._print("")  # the shell's prompt then starts on a line of its own
                return None
            finally:
                self._reading = False
        self.stdout.write(prompt)
        self.stdout.flush()
        return self.stdin.readline() or None

    async def _take(self, line: str, handler: Handler) -> None:
        if not self.interactive:
            self._print(f"{self.user}> {line}")
        command = line.strip()
        if command.startswith("/"):
            name, _, rest = command.partition(" ")
            await self._console_command(ALIASES.get(name, name), rest.strip())
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

    async def _console_command(self, name: str, rest: str) -> None:
        """A line starting with `/`: the console's, never the bot's."""
        if name == "/quit":
            self._stopped.set()
        elif name == "/as" and not rest:
            self._print(f"(/as needs whom to type as: {CONSOLE_COMMANDS['/as'][0]})")
        elif name == "/as":
            try:
                self.user = UserId.parse(rest)
                self._print(f"(you are now {self.user})")
            except ValueError as exc:
                example = networks.get(self.network).id_example
                self._print(f"({plain_text(str(exc))}; user ids look like {example})")
        elif name == "/whoami":
            self._print(f"(you are {self.user})")
        elif name == "/wait":
            await self._wait(rest)
        elif name == "/help":
            width = max(len(usage) for usage, _ in CONSOLE_COMMANDS.values())
            self._print("\n".join(
                ["(the console's commands; help lists the bot's)"]
                + [f"  {usage:<{width}}  {what}" for usage, what in CONSOLE_COMMANDS.values()]))
        else:
            self._print(f"(unknown console command {name}; /help lists them)")

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

    async def edit(self, message: Outgoing) -> None:
        """An edit of a message printed before: printed again, whole, saying which."""
        self._print(f"[edit of {message.replaces}]\n" + _indent(plain_text(message.text)))

    async def deliver(self, message: Outgoing) -> str | None:
        text = plain_text(message.text)
        if message.attachment is not None:
            first = self._files_dir is None
            path = self.files_dir / Path(message.attachment.filename).name
            # Exports hold feedback: only the console's user may read them.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "wb") as file:
                file.write(message.attachment.data)
            text += f"\n[file {message.attachment.filename} saved to {path}]"
            if first and not self.keep_files:
                text += "\n(this folder is removed when the console ends; "\
                        "start it with --keep-files to keep it)"
        posted = None
        if message.editable:  # its edits name it
            self._posted += 1
            posted = f"console:{self._posted}"
        if message.user is not None and message.user != self.user:
            self._print(f"[direct message to {message.user}{_due(message.due)}]\n"
                        + _indent(text))
        elif message.room == BOARD_ROOM:
            self._print(f"[to the status board, {posted}]\n" + _indent(text))
        else:
            self._print(_indent(text))
        return posted

    @property
    def files_dir(self) -> Path:
        """A private folder (mode 700) of this run, made on the first file."""
        if self._files_dir is None:
            self._files_dir = Path(tempfile.mkdtemp(prefix="classroom-bot-files-"))
        return self._files_dir

    def _line_editing(self) -> None:
        """Load readline (it hooks itself into input()) where this Python has it, once
        the terminal's own settings are kept for `close`."""
        if self._terminal is None:
            with contextlib.suppress(termios.error, OSError, ValueError):
                self._terminal = termios.tcgetattr(self.stdin.fileno())
        with contextlib.suppress(ImportError):
            import readline  # noqa: F401

    def close(self) -> None:
        """At the end of the console (also an interrupted one): the terminal as it was,
        and the files' folder removed, or where it is kept said."""
        if self._terminal is not None:
            with contextlib.suppress(termios.error, OSError, ValueError):
                termios.tcsetattr(self.stdin.fileno(), termios.TCSADRAIN, self._terminal)
            if self._reading:  # interrupted at the prompt: the shell's starts below it
                self._print("")
        if self._files_dir is None:
            return
        if self.keep_files:
            self._print(f"(the files of this session are kept in {self._files_dir})")
        else:
            shutil.rmtree(self._files_dir, ignore_errors=True)
            self._files_dir = None

    async def stop(self) -> None:
        self._stopped.set()

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
