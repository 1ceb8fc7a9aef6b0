"""peers: our bot against matrix-reminder-bot and the echo floor, on one homeserver, in
the traffic of a workshop: group rooms, commands back to back.

Each party is in a group room of three of its own: an asker (this process's
client), an organizer (a second account, just a member) and the bot. Each
round, in turn and each waiting for its answer: a message to the echo floor,
`!help` to matrix-reminder-bot, then `!help` and right after it `!rooms` (on
a workshop of `--rooms` rooms) to our bot. Timed from the send to the answer
arriving at the asker's client, as `latency` times them.

matrix-reminder-bot is installed from the package index into a virtual
environment of its own in the cache folder (bench/reminder_bot.py: VENV),
created on the first run and reused while it works; `--no-peer` leaves it out.
`--busy` keeps one core busy with a fixed background loop from the first round
to the last, the same for every party since the rounds alternate.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench import reminder_bot
from bench.common import homeserver, percentile, ratio, report
from bench.latency import figures, timed
from bench.matrix import Client, register, room_with, wait_joined
from bench.processes import BOT_PASSWORD, NO_LIMIT, BotProcess, BusyLoad, EchoProcess
from bench.reminder_bot import ReminderBotProcess
from bench.seed import seed
from tests.e2e.homeserver import Homeserver
from tests.e2e.process import ChildProcess

NAME = "peers"
KINDS = (("floor", "echo floor"), ("peer_help", "matrix-reminder-bot !help"),
         ("help", "ours !help"), ("rooms", "ours !rooms"))


def options(parser: argparse.ArgumentParser) -> None:
    parser.description = __doc__
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--rounds", type=int, default=60, help="rounds counted")
    parser.add_argument("--rooms", type=int, default=50, help="local rooms !rooms lists")
    parser.add_argument("--warmup", type=int, default=5, help="rounds not counted, first")
    parser.add_argument("--no-peer", action="store_true",
                        help="leave matrix-reminder-bot out (the floor and ours only); "
                             f"else it is installed once into {reminder_bot.VENV}, "
                             "reused while it works")
    parser.add_argument("--busy", action="store_true",
                        help="keep one core busy with a fixed loop during the rounds")


async def timed_peer(client: Client, room: str, peer: str, text: str) -> float:
    """Like `timed`, for a bot whose answer is no reply: its next message in the room."""
    since = len(client.events)
    started = time.perf_counter()
    await client.send(room, text)
    arrived, event = await client.message_from(room, peer, since)
    body = event.get("content", {}).get("body", "")
    if not body.startswith(reminder_bot.HELP_REPLY):
        raise RuntimeError(f"matrix-reminder-bot answered {text!r} with {body!r}")
    return arrived - started


async def group_room(asker: Client, organizer: Client, bot: str) -> str:
    """A room of three: the asker's, the organizer joined, `bot` invited and joined."""
    room = await room_with(asker, [organizer], invite_only=[bot])
    await wait_joined(asker, room, bot)
    return room


async def measure(args: argparse.Namespace, asker: Client, rooms: dict[str, str],
                  peer: str | None) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {kind: [] for kind, _ in KINDS}
    for n in range(args.warmup + args.rounds):
        found = {"floor": await timed(asker, rooms["floor"], f"ping {n}")}
        if peer is not None:
            found["peer_help"] = await timed_peer(asker, rooms["peer"], peer, "!help")
        found["help"] = await timed(asker, rooms["ours"], "!help")
        found["rooms"] = await timed(asker, rooms["ours"], "!rooms")
        if n >= args.warmup:
            for kind, seconds in found.items():
                samples[kind].append(seconds)
    return samples


def summarize(args: argparse.Namespace, samples: dict[str, list[float]]) -> dict[str, Any]:
    """The figures as RESULT holds them, and the table printed."""
    result: dict[str, Any] = {"rounds": args.rounds, "room_count": args.rooms,
                              "busy": args.busy, "peer": not args.no_peer}
    floor = figures(samples["floor"])
    rows = []
    for kind, label in KINDS:
        if not samples[kind]:
            continue
        found = figures(samples[kind])
        result[kind] = found
        ratios = {key: ratio(found[key], floor[key]) for key in ("p50_ms", "p95_ms")}
        if kind != "floor":
            result[f"{kind}_ratio"] = ratios
        rows.append([label, len(samples[kind]), *found.values(),
                     *(f"{r:.2f}x" for r in ratios.values())])
    if samples["peer_help"]:
        # Below 1: our !help is answered sooner than matrix-reminder-bot's.
        result["help_vs_peer_p50"] = ratio(percentile(samples["help"], 50),
                                           percentile(samples["peer_help"], 50))
    load = "one core kept busy by a background loop" if args.busy else "no added load"
    report(f"peers: send -> answer at the asker's client in rooms of three, {args.rounds} "
           f"rounds, alternated; {load}",
           ["what", "n", "p50 ms", "p95 ms", "p99 ms", "p50/floor", "p95/floor"], rows, result)
    return result


async def run(args: argparse.Namespace, server: Homeserver | None = None) -> dict[str, Any]:
    # Installing (once) takes a while: before the homeserver starts, and off the loop.
    interpreter = None if args.no_peer else await asyncio.to_thread(reminder_bot.install)
    with homeserver(server) as hs, tempfile.TemporaryDirectory(prefix="bench-") as folder:
        work = Path(folder)
        await seed(work / "bot.db", rooms=args.rooms)
        bot = BotProcess(hs, register(hs, "bot", BOT_PASSWORD), work, extra_config=NO_LIMIT)
        echo = EchoProcess(hs, register(hs, "echo"), work)
        peer = (None if interpreter is None
                else ReminderBotProcess(interpreter, hs, register(hs, "reminder"), work))
        started: list[ChildProcess] = []
        async with aiohttp.ClientSession() as http:
            asker = Client(http, hs, register(hs, "asker"))
            organizer = Client(http, hs, register(hs, "organizer"))
            try:
                for party in (bot, echo, peer):
                    if party is not None:
                        await party.start()
                        started.append(party)
                await bot.ready()
                await echo.ready()
                rooms = {"floor": await group_room(asker, organizer, echo.user_id),
                         "ours": await group_room(asker, organizer, bot.user_id)}
                if peer is not None:
                    await peer.ready()
                    rooms["peer"] = await group_room(asker, organizer, peer.user_id)
                await asker.listen()
                if args.busy:
                    busy = BusyLoad(work)
                    await busy.start()
                    started.append(busy)
                samples = await measure(args, asker, rooms,
                                        None if peer is None else peer.user_id)
            finally:
                await asker.stop()
                for process in reversed(started):
                    await process.stop()
    return summarize(args, samples)
