"""latency: commands one at a time from a learner's client, timed from the send to the
reply arriving at that client, against the echo floor in the same run.

Each round sends, one after the other and waiting for each answer: a message to
the echo floor, `!help`, a message to the floor again, then `!rooms` on a
workshop of `--rooms` rooms. The bot and the floor run as processes of their
own; the learner's client is this process (one long-polling sync).

`--encrypted`: the same in encrypted direct chats (opened as Element opens them),
the bot with `matrix.encryption` on, the floor plain matrix-nio with encryption,
and the learner a matrix-nio client with encryption (bench/encrypted.py): the
time to a reply the learner has decrypted.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.common import homeserver, ms, percentile, ratio, report
from bench.encrypted import EncryptedClient
from bench.matrix import Client, register, wait_joined
from bench.processes import BOT_PASSWORD, NO_LIMIT, BotProcess, EchoProcess
from bench.seed import seed
from tests.e2e.homeserver import Homeserver

NAME = "latency"


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rounds", type=int, default=200, help="commands of each kind")
    parser.add_argument("--rooms", type=int, default=50, help="local rooms !rooms lists")
    parser.add_argument("--warmup", type=int, default=5, help="rounds not counted")
    parser.add_argument("--encrypted", action="store_true",
                        help="in encrypted direct chats, against a floor that encrypts")


async def timed(client: Client | EncryptedClient, room: str, text: str) -> float:
    started = time.perf_counter()
    event_id = await client.send(room, text)
    arrived, _ = await client.reply_to(event_id)
    return arrived - started


def figures(samples: list[float]) -> dict[str, float]:
    return {f"p{p}_ms": ms(percentile(samples, p)) for p in (50, 95, 99)}


async def run(args: argparse.Namespace, server: Homeserver | None = None) -> dict[str, Any]:
    with homeserver(server) as hs, tempfile.TemporaryDirectory(prefix="bench-") as folder:
        work = Path(folder)
        await seed(work / "bot.db", rooms=args.rooms)
        bot = BotProcess(hs, register(hs, "bot", BOT_PASSWORD), work, extra_config=NO_LIMIT,
                         encryption=args.encrypted)
        echo = EchoProcess(hs, register(hs, "echo"), work, encrypted=args.encrypted)
        async with aiohttp.ClientSession() as http:
            learner: Client | EncryptedClient = (
                EncryptedClient(hs, register(hs, "learner"), work / "learner-store")
                if args.encrypted else Client(http, hs, register(hs, "learner")))
            try:
                await bot.start()
                await echo.start()
                await bot.ready()
                await echo.ready()
                bot_room, echo_room = await rooms_of(learner, bot.user_id, echo.user_id)
                await learner.listen()
                samples: dict[str, list[float]] = {"floor": [], "help": [], "rooms": []}
                for n in range(args.warmup + args.rounds):
                    floor_1 = await timed(learner, echo_room, f"ping {n}")
                    help_ = await timed(learner, bot_room, "!help")
                    floor_2 = await timed(learner, echo_room, f"pong {n}")
                    rooms = await timed(learner, bot_room, "!rooms")
                    if n >= args.warmup:
                        samples["floor"] += [floor_1, floor_2]
                        samples["help"].append(help_)
                        samples["rooms"].append(rooms)
            finally:
                await learner.stop()
                await bot.stop()
                await echo.stop()
    result: dict[str, Any] = {"rounds": args.rounds, "room_count": args.rooms,
                              "encrypted": args.encrypted}
    floor = figures(samples["floor"])
    rows = []
    for kind, label in (("floor", "echo floor"), ("help", "!help"),
                        ("rooms", f"!rooms ({args.rooms} rooms)")):
        found = figures(samples[kind])
        result[kind] = found
        ratios = {key: ratio(value, floor[key]) for key, value in found.items()}
        if kind != "floor":
            result[f"{kind}_ratio"] = ratios
        rows.append([label, len(samples[kind]), *found.values(),
                     *(f"{r:.2f}x" for r in ratios.values())])
    where = "encrypted direct chats" if args.encrypted else "rooms"
    report(f"latency: send -> reply at the learner's client, {args.rounds} rounds, alternated,"
           f" in {where}",
           ["what", "n", "p50 ms", "p95 ms", "p99 ms", "p50/floor", "p95/floor", "p99/floor"],
           rows, result)
    return result


async def rooms_of(learner: Client | EncryptedClient, bot: str, echo: str) -> tuple[str, str]:
    """The learner's room with the bot and with the floor, each joined by them."""
    if isinstance(learner, EncryptedClient):
        await learner.start()
        return await learner.direct_chat(bot), await learner.direct_chat(echo)
    bot_room = await learner.create_room([bot])
    echo_room = await learner.create_room([echo])
    await wait_joined(learner, bot_room, bot)
    await wait_joined(learner, echo_room, echo)
    return bot_room, echo_room
