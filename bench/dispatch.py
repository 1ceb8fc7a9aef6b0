"""dispatch: the bot's own time per command, in process (no homeserver): from the
message to its answer delivered to a recording transport, through the real
dispatcher, outbox worker and a SQLite file; `!help`, `!rooms` on `--rooms`
rooms and `!tz` (a changing command, with its reminder re-plan).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import ms, percentile, report
from bench.seed import seed
from bot.config import LimitSettings
from tests.chat import Chat
from tests.e2e.homeserver import Homeserver

NAME = "dispatch"
COMMANDS = ("!help", "!rooms", "!tz Europe/Oslo")


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rounds", type=int, default=200, help="commands of each kind")
    parser.add_argument("--rooms", type=int, default=50)


async def run(args: argparse.Namespace, server: Homeserver | None = None) -> dict[str, Any]:
    took: dict[str, list[float]] = {command: [] for command in COMMANDS}
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        await seed(Path(folder) / "bot.db", rooms=args.rooms)
        # Without the per-person limit, as bench.processes.NO_LIMIT says.
        chat = await Chat.open(Path(folder), limits=LimitSettings(commands_per_minute=0))
        try:
            for n in range(args.rounds + 10):
                for command in COMMANDS:  # alternated, the first 10 rounds not counted
                    started = time.perf_counter()
                    await chat.say("@learner:example.org", command)
                    if n >= 10:
                        took[command].append(time.perf_counter() - started)
        finally:
            await chat.close()
    result: dict[str, Any] = {"rounds": args.rounds, "rooms": args.rooms}
    rows = []
    for command, samples in took.items():
        figures = {f"p{p}_ms": ms(percentile(samples, p)) for p in (50, 95)}
        result[command.split()[0].lstrip("!")] = figures
        rows.append([command, *figures.values()])
    report(f"dispatch: in process, {args.rounds} of each, alternated", ["command", "p50 ms",
                                                                       "p95 ms"], rows, result)
    return result
