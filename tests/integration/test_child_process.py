"""The process base the e2e tests and the benchmarks share (tests/e2e/process.py):
a child process's ready line, its peak memory, and stopping it, gently or not."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.e2e.process import ChildProcess

# Prints READY, then waits for a signal; with IGNORE it shrugs SIGTERM off.
SCRIPT = """
import signal, sys
if "IGNORE" in sys.argv:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("READY", flush=True)
while True:
    signal.pause()
"""


def child(tmp_path: Path, *args: str) -> ChildProcess:
    return ChildProcess([sys.executable, "-c", SCRIPT, *args], tmp_path / "child.log")


async def test_ready_line_memory_and_a_gentle_stop(tmp_path: Path) -> None:
    process = child(tmp_path)
    await process.start()
    try:
        assert await process.wait_for_line("READY", within=30) > 0
        assert process.peak_rss_mb() > 1
        await process.stop(within=30)
        assert process.process is not None and process.process.returncode == -15  # SIGTERM
    finally:
        await process.close()


async def test_a_process_that_will_not_stop_is_killed(tmp_path: Path) -> None:
    process = child(tmp_path, "IGNORE")
    await process.start()
    try:
        await process.wait_for_line("READY", within=30)
        await process.stop(within=0.5)  # it ignores SIGTERM: killed after 0.5 s
        assert process.process is not None and process.process.returncode == -9  # SIGKILL
    finally:
        await process.close()


async def test_no_ready_line_says_what_it_printed(tmp_path: Path) -> None:
    process = ChildProcess([sys.executable, "-c", "print('no such module: bot')"],
                           tmp_path / "child.log")
    await process.start()
    with pytest.raises(RuntimeError, match="no such module: bot"):
        await process.wait_for_line("READY", within=30)
