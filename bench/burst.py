"""burst: `--learners` learners each send one command within one second (half `!rooms`,
half `!join` into rooms with few seats); time until the last reply, against the
echo floor getting the same burst, alternated in the same run.

The learners are spread over `--chats` chat rooms (each holding the bot, or
the floor, and its share of the learners); a watcher account in every room
sees the replies arrive. Lost = sent and never answered within `--deadline`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.common import homeserver, ms, ratio, report
from bench.matrix import Client, gather_limited, register, wait_joined
from bench.processes import BOT_PASSWORD, BotProcess, EchoProcess
from bench.seed import seed
from tests.e2e.homeserver import Homeserver
from tests.e2e.process import ChildProcess

NAME = "burst"


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--learners", type=int, default=300)
    parser.add_argument("--chats", type=int, default=10, help="chat rooms they write in")
    parser.add_argument("--rooms", type=int, default=20, help="local rooms to !join")
    parser.add_argument("--seats", type=int, default=5, help="seats of each local room")
    parser.add_argument("--window", type=float, default=1.0, help="seconds the burst spans")
    parser.add_argument("--repeats", type=int, default=2, help="bursts of each, alternated")
    parser.add_argument("--deadline", type=float, default=60.0, help="seconds to wait")


async def burst(watcher: Client, learners: list[Client], chats: list[str],
                texts: list[str], window: float, deadline: float) -> tuple[float, int]:
    """Send texts[i] from learners[i] at an even pace over `window`; (last reply s, lost)."""
    started = time.perf_counter()

    async def one(n: int, learner: Client) -> str:
        await asyncio.sleep(n * window / len(learners))  # the burst's pace, not a wait
        return await learner.send(chats[n % len(chats)], texts[n])

    sent = await asyncio.gather(*(one(n, learner) for n, learner in enumerate(learners)))
    with contextlib.suppress(TimeoutError):
        await watcher.wait_for(lambda: all(e in watcher.replies for e in sent),
                               deadline, "every reply")
    stamps = [watcher.replies[e][0] for e in sent if e in watcher.replies]
    lost = len(sent) - len(stamps)
    return (max(stamps) - started if stamps else float("nan")), lost


async def chat_rooms(watcher: Client, bot: ChildProcess, learners: list[Client],
                     chats: int, user_id: str) -> list[str]:
    rooms = []
    for n in range(chats):
        members = learners[n::chats]
        room = await watcher.create_room([user_id, *(m.user_id for m in members)])
        await gather_limited([m.join(room) for m in members])
        await wait_joined(watcher, room, user_id)
        rooms.append(room)
    return rooms


async def run(args: argparse.Namespace, server: Homeserver | None = None) -> dict[str, Any]:
    with homeserver(server) as hs, tempfile.TemporaryDirectory(prefix="bench-") as folder:
        work = Path(folder)
        await seed(work / "bot.db", rooms=args.rooms, capacity=args.seats)
        bot = BotProcess(hs, register(hs, "bot", BOT_PASSWORD), work)
        echo = EchoProcess(hs, register(hs, "echo"), work)
        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0)
        ) as http:
            watcher = Client(http, hs, register(hs, "watcher"))
            learners = [Client(http, hs, register(hs, f"learner{n}"))
                        for n in range(args.learners)]
            times: dict[str, list[float]] = {"floor": [], "bot": []}
            lost = {"floor": 0, "bot": 0}
            try:
                await bot.start()
                await echo.start()
                await bot.ready()
                await echo.ready()
                bot_chats = await chat_rooms(watcher, bot, learners, args.chats, bot.user_id)
                echo_chats = await chat_rooms(watcher, echo, learners, args.chats, echo.user_id)
                await watcher.listen()
                commands = [f"!join R{1 + n // 2 % args.rooms}" if n % 2 else "!rooms"
                            for n in range(args.learners)]
                for n in range(args.repeats):
                    for kind, chats, texts in (
                        ("floor", echo_chats, [f"hello {n} {k}" for k in range(args.learners)]),
                        ("bot", bot_chats, commands),
                    ):
                        took, missing = await burst(watcher, learners, chats, texts,
                                                    args.window, args.deadline)
                        times[kind].append(took)
                        lost[kind] += missing
            finally:
                await watcher.stop()
                await bot.stop()
                await echo.stop()
    floor, ours = statistics.median(times["floor"]), statistics.median(times["bot"])
    result = {
        "learners": args.learners, "repeats": args.repeats,
        "floor_last_reply_ms": ms(floor), "bot_last_reply_ms": ms(ours),
        "ratio": ratio(ours, floor), "floor_lost": lost["floor"], "bot_lost": lost["bot"],
    }
    report(
        f"burst: {args.learners} learners within {args.window:g} s over {args.chats} chats "
        f"(median of {args.repeats}, alternated)",
        ["what", "last reply ms", "each run ms", "lost", "ratio"],
        [["echo floor", ms(floor), " ".join(str(ms(t)) for t in times["floor"]), lost["floor"],
          "1.00x"],
         ["bot (!rooms, !join)", ms(ours), " ".join(str(ms(t)) for t in times["bot"]),
          lost["bot"], f"{ratio(ours, floor):.2f}x"]],
        result,
    )
    return result
