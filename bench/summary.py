"""summary: `!feedback summary` on `--small` and on `--large` daily-form responses spread
over `--rooms` rooms; the time of each (through the whole dispatcher, in process,
until the answer was delivered) and their ratio.

No homeserver: the bot runs in this process on a SQLite file with a recording
transport (tests/chat.py), so the figure is the bot's own work.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import ms, report
from bench.seed import seed
from tests.chat import ORGANIZER, Chat
from tests.e2e.homeserver import Homeserver

NAME = "summary"


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--small", type=int, default=10_000, help="responses, first run")
    parser.add_argument("--large", type=int, default=100_000, help="responses, second run")
    parser.add_argument("--rooms", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5, help="summaries of each (median)")


async def timed_summaries(responses: int, rooms: int, repeats: int) -> tuple[float, str]:
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        await seed(Path(folder) / "bot.db", rooms=rooms, people=rooms * 20,
                   responses=responses)
        chat = await Chat.open(Path(folder))
        try:
            took, reply = [], ""
            for _ in range(repeats):
                started = time.perf_counter()
                answer = await chat.say(ORGANIZER, "!feedback summary daily")
                took.append(time.perf_counter() - started)
                reply = answer.reply
        finally:
            await chat.close()
    if f"{responses} responses" not in reply:
        raise RuntimeError(f"unexpected summary: {reply[:300]}")
    return statistics.median(took), reply


async def run(args: argparse.Namespace, server: Homeserver | None = None) -> dict[str, Any]:
    small, small_reply = await timed_summaries(args.small, args.rooms, args.repeats)
    large, large_reply = await timed_summaries(args.large, args.rooms, args.repeats)
    growth = round(large / small, 2) if small else float("nan")
    result = {"small": args.small, "large": args.large, "rooms": args.rooms,
              "small_ms": ms(small), "large_ms": ms(large), "ratio": growth,
              "size_ratio": round(args.large / args.small, 2),
              "reply_chars": {"small": len(small_reply), "large": len(large_reply)}}
    report(f"summary: !feedback summary daily over {args.rooms} rooms "
           f"(median of {args.repeats})",
           ["responses", "ms", "reply chars"],
           [[args.small, ms(small), len(small_reply)], [args.large, ms(large), len(large_reply)]],
           result)
    return result
