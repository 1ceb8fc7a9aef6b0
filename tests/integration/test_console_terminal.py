"""The console at a real terminal: a pseudo-terminal, keys typed as a person types them."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]  # the checkout under test runs
LEFT, UP, CTRL_C = "\x1b[D", "\x1b[A", "\x03"
CONTROLLING = (
    "import fcntl, os, sys, termios; fcntl.ioctl(0, termios.TIOCSCTTY, 0); "
    "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])"
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")


class Terminal:
    """`python -m bot console` with a pseudo-terminal as its standard input and output."""

    def __init__(self, cwd: Path, *args: str) -> None:
        self.master, slave = pty.openpty()
        # A terminal of 24 x 100: the line editor wraps nothing of ours.
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
        env = {**os.environ, "TERM": "xterm", "PYTHONPATH": str(ROOT)}
        self.before = termios.tcgetattr(slave)
        # In a session of its own, the pseudo-terminal its controlling terminal (so that
        # Ctrl-C interrupts it as at a real one), then the console.
        self.process = subprocess.Popen(
            [sys.executable, "-c", CONTROLLING, "-m", "bot", "console", *args],
            stdin=slave, stdout=slave, stderr=slave, cwd=cwd, env=env, start_new_session=True,
        )
        self.slave = slave
        self.seen = ""

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def expect(self, text: str, *, count: int = 1, timeout: float = 10.0) -> None:
        """Read until `text` has been shown `count` times; fail with what was seen."""
        deadline = time.monotonic() + timeout
        while self.seen.count(text) < count:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.master], [], [], max(left, 0))
            if not ready:
                raise AssertionError(f"{text!r} x{count} not shown; the terminal showed:\n"
                                     f"{self.seen}")
            try:
                self.seen += os.read(self.master, 4096).decode(errors="replace")
            except OSError:  # the console ended: nothing more will come
                raise AssertionError(f"{text!r} not shown before the end:\n{self.seen}") from None

    def settings_kept(self) -> bool:
        """Whether the terminal's local modes (echo, line at a time) are as before."""
        return termios.tcgetattr(self.slave)[3] == self.before[3]

    def close(self) -> None:
        """Stop the console if it still runs (a failed test), and release the terminal."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        os.close(self.slave)
        os.close(self.master)


def test_arrow_keys_edit_the_line_and_recall_the_previous_one(tmp_path: Path) -> None:
    terminal = Terminal(tmp_path, "--db", str(tmp_path / "term.db"))
    prompt = "@you:example.org> "
    try:
        terminal.expect(prompt)
        # A letter left out: two steps back, the letter, two more steps, Enter.
        terminal.type("!tz Europe/Olo" + LEFT * 2 + "s" + LEFT * 2 + "\r")
        terminal.expect("Your time zone is now `Europe/Oslo`")
        terminal.expect(prompt, count=2)  # keys typed ahead would be echoed raw
        terminal.type("!tz Asia/Tokyo\r")
        terminal.expect("Your time zone is now `Asia/Tokyo`")
        terminal.expect(prompt, count=3)
        # Twice back through this session's lines: the corrected one, as it was sent.
        terminal.type(UP * 2 + "\r")
        terminal.expect("Your time zone is now `Europe/Oslo`", count=2)
        terminal.expect(prompt, count=4)
        terminal.type("/whoami\r")
        terminal.expect("(you are @you:example.org)")
        terminal.type("/quit\r")
        assert terminal.process.wait(timeout=10) == 0
    finally:
        terminal.close()
    assert "^[[" not in terminal.seen and "IANA" not in terminal.seen


def test_ctrl_c_at_the_prompt_leaves_the_terminal_as_it_was(tmp_path: Path) -> None:
    terminal = Terminal(tmp_path, "--db", str(tmp_path / "term.db"))
    try:
        terminal.expect("@you:example.org> ")
        terminal.type("!tz Eur")
        terminal.expect("!tz Eur")  # the line editor has it: the terminal is its, raw
        assert not terminal.settings_kept()
        terminal.type(CTRL_C)
        assert terminal.process.wait(timeout=10) == 130
        assert terminal.settings_kept()
    finally:
        terminal.close()
