"""memory: start-up time (process start to first sync done) and peak resident memory
of the bot on a database of `--people` people seated in `--rooms` rooms,
`--responses` feedback responses and `--reminders` pending reminders.

The bot runs as `classroom-bot run`; its peak memory (VmHWM) is read after the
first sync, and again after an organizer asked for `!rooms` and
`!feedback summary` (the largest answers it gives).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

import aiohttp

from bench.common import homeserver, ms, report
from bench.matrix import Client, register, wait_joined
from bench.processes import BOT_PASSWORD, BotProcess
from bench.seed import seed
from tests.e2e.homeserver import Homeserver

NAME = "memory"


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--rooms", type=int, default=500)
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--reminders", type=int, default=10_000)


async def run(args: argparse.Namespace, server: Homeserver | None = None) -> dict[str, Any]:
    with homeserver(server) as hs, tempfile.TemporaryDirectory(prefix="bench-") as folder:
        work = Path(folder)
        async with aiohttp.ClientSession() as http:
            organizer = Client(http, hs, register(hs, "organizer"))
            await seed(work / "bot.db", rooms=args.rooms, capacity=40, people=args.people,
                       responses=args.responses, reminders=args.reminders)
            bot = BotProcess(hs, register(hs, "bot", BOT_PASSWORD), work,
                             organizers=(organizer.user_id,))
            try:
                await bot.start()
                startup = await bot.ready()
                after_start = bot.peak_rss_mb()
                room = await organizer.create_room([bot.user_id])
                await wait_joined(organizer, room, bot.user_id)
                await organizer.listen()
                for command in ("!rooms", "!feedback summary daily"):
                    await organizer.reply_to(await organizer.send(room, command), within=120)
                after_commands = bot.peak_rss_mb()
            finally:
                await organizer.stop()
                await bot.stop()
    result = {"people": args.people, "rooms": args.rooms, "responses": args.responses,
              "reminders": args.reminders, "startup_ms": ms(startup),
              "peak_rss_start_mb": after_start, "peak_rss_mb": after_commands}
    report("memory: the bot as a process on a big database",
           ["figure", "value"],
           [["start-up (process start -> first sync done) ms", ms(startup)],
            ["peak RSS after start-up MB", after_start],
            ["peak RSS after !rooms and !feedback summary MB", after_commands]],
           result)
    return result
