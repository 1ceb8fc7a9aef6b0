"""flood: one person sends `--flood` commands at `--rate` per second while `--others`
people send one command each during it; the others' reply latency, against the same
run without the flood, alternated (`--repeats` of each).

The default rate is the incident of issue 19 ("a stranger registered 1,000 public
rooms in two minutes": 1000/120 per second); `--rate 0` sends back to back, as fast
as the homeserver takes them, which saturates the homeserver itself on a small
machine. A paced flood keeps to a schedule (command n at n/rate seconds), so a
slow send does not slow the rest; the others' window must fit in the flood.

Everyone is in one chat room with the bot, as in a workshop's community room. A
watcher account in that room stamps every reply as it arrives; a latency is the
time from just before a send to that stamp. In a flooded run the others start
once the flooder has sent a tenth of the flood, evenly over `--window` seconds;
`others_during_flood` says how many of them were sent before the flood's last
command. Each flooded run has a flooder of its own (the last one is still quiet
when the next run starts). `--no-limit` runs the bot with `[limits]` switched off,
to see what the limit buys.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bench.common import homeserver, ms, percentile, ratio, report
from bench.matrix import Client, register, room_with, wait_joined
from bench.processes import BOT_PASSWORD, NO_LIMIT, BotProcess
from bench.seed import seed
from tests.e2e.homeserver import Homeserver

NAME = "flood"
# The incident of issue 19: 1,000 public rooms in two minutes.
INCIDENT_RATE = round(1000 / 120, 1)


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--flood", type=int, default=500, help="commands the flooder sends")
    parser.add_argument("--others", type=int, default=20, help="people sending one each")
    parser.add_argument("--command", default="!rooms", help="what the others send")
    parser.add_argument("--flood-text", default=None,
                        help="what the flooder sends (default: --command); e.g. chatter "
                        "not for the bot, to see what the flood costs the homeserver alone")
    parser.add_argument("--rooms", type=int, default=20, help="local rooms !rooms lists")
    parser.add_argument("--window", type=float, default=5.0, help="seconds the others span")
    parser.add_argument("--rate", type=float, default=INCIDENT_RATE,
                        help="flooder's commands per second; 0: as fast as the homeserver "
                        "takes them")
    parser.add_argument("--parallel", type=int, default=1, help="flooder's sends in flight")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each, alternated")
    parser.add_argument("--deadline", type=float, default=60.0, help="seconds to wait")
    parser.add_argument("--no-limit", action="store_true", help="the bot without [limits]")


@dataclass
class Sent:
    """What the others' commands of one run met."""

    latencies: list[float]  # send -> the bot's reply at the watcher
    seen: list[float]  # send -> the command itself at the watcher: the homeserver alone
    moments: list[float]  # when each was sent, from the start of the run
    lost: int  # never answered within the deadline


async def others_send(watcher: Client, others: list[Client], room: str, text: str,
                      window: float, deadline: float) -> Sent:
    """Each of `others` sends `text`, evenly over `window`."""
    started = time.perf_counter()

    async def one(n: int, person: Client) -> tuple[float, str]:
        await asyncio.sleep(n * window / len(others))  # the schedule, not a wait
        sent_at = time.perf_counter()
        return sent_at, await person.send(room, text)

    sent = await asyncio.gather(*(one(n, person) for n, person in enumerate(others)))
    with contextlib.suppress(TimeoutError):
        await watcher.wait_for(lambda: all(e in watcher.replies for _, e in sent),
                               deadline, "every reply to the others")
    answered = [(at, e) for at, e in sent if e in watcher.replies]
    return Sent([watcher.replies[e][0] - at for at, e in answered],
                [watcher.arrived[e] - at for at, e in answered],
                [at - started for at, _ in sent], len(sent) - len(answered))


async def flood(flooder: Client, room: str, text: str, count: int, parallel: int,
                rate: float, tenth: asyncio.Event) -> list[str]:
    """Send `count` commands, `parallel` in flight at most, command n not before n/rate
    seconds (rate 0: back to back); set `tenth` after a tenth of them."""
    ids: list[str] = []
    numbers = iter(range(count))
    started = time.perf_counter()

    async def worker() -> None:
        for n in numbers:
            if rate > 0:  # the schedule, not a wait: a late send catches up
                await asyncio.sleep(max(0.0, started + n / rate - time.perf_counter()))
            ids.append(await flooder.send(room, text))
            if len(ids) >= max(1, count // 10):
                tenth.set()

    await asyncio.gather(*(worker() for _ in range(parallel)))
    return ids


async def flooded_run(watcher: Client, flooder: Client, others: list[Client], room: str,
                      args: argparse.Namespace) -> dict[str, Any]:
    tenth = asyncio.Event()
    started = time.perf_counter()
    flooding = asyncio.create_task(
        flood(flooder, room, args.flood_text or args.command, args.flood, args.parallel,
              args.rate, tenth))
    await tenth.wait()
    began = time.perf_counter() - started
    found = await others_send(watcher, others, room, args.command, args.window, args.deadline)
    ids = await flooding
    flood_s = time.perf_counter() - started
    # Until the bot has read the whole flood (its answers, if any, have come).
    await watcher.wait_for(lambda: ids[-1] in watcher.arrived, args.deadline, "the flood")
    await asyncio.sleep(1.0)  # let the bot's last batch settle before the next run
    during = sum(1 for m in found.moments if began + m < flood_s)
    answered = sum(1 for e in ids if e in watcher.replies)
    # The bot read the flood within this time: its bucket refilled for no longer.
    settled_s = time.perf_counter() - started
    return {"sent": found, "during": during, "flood_s": flood_s, "answered": answered,
            "settled_s": settled_s}


def figures(samples: list[float]) -> dict[str, float]:
    return {f"p{p}_ms": ms(percentile(samples, p)) for p in (50, 95)}


def check_window(args: argparse.Namespace) -> None:
    """The others start after a tenth of the flood and span `--window`: a paced flood
    must last that long, else some of them are measured after it."""
    if args.rate > 0 and args.window > 0.9 * args.flood / args.rate:
        raise SystemExit(f"--window {args.window} s outlasts the flood after its first tenth "
                         f"({0.9 * args.flood / args.rate:.1f} s at --rate {args.rate}): "
                         "send more (--flood), faster (--rate), or shorten --window")


async def run(args: argparse.Namespace, server: Homeserver | None = None) -> dict[str, Any]:
    check_window(args)
    with homeserver(server) as hs, tempfile.TemporaryDirectory(prefix="bench-") as folder:
        work = Path(folder)
        await seed(work / "bot.db", rooms=args.rooms)
        extra = NO_LIMIT if args.no_limit else ""
        bot = BotProcess(hs, register(hs, "bot", BOT_PASSWORD), work, extra_config=extra)
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            watcher = Client(http, hs, register(hs, "watcher"))
            others = [Client(http, hs, register(hs, f"other{n}")) for n in range(args.others)]
            flooders = [Client(http, hs, register(hs, f"flooder{n}"))
                        for n in range(args.repeats)]
            sent: dict[str, list[Sent]] = {"quiet": [], "flooded": []}
            runs: list[dict[str, Any]] = []
            try:
                await bot.start()
                await bot.ready()
                room = await room_with(watcher, [*others, *flooders], invite_only=[bot.user_id])
                await wait_joined(watcher, room, bot.user_id)
                await watcher.listen()
                for n in range(args.repeats):
                    sent["quiet"].append(await others_send(
                        watcher, others, room, args.command, args.window, args.deadline))
                    found = await flooded_run(watcher, flooders[n], others, room, args)
                    sent["flooded"].append(found.pop("sent"))
                    runs.append(found)
            finally:
                await watcher.stop()
                await bot.stop()
    samples = {kind: [t for one in runs_of for t in one.latencies]
               for kind, runs_of in sent.items()}
    seen = {kind: [t for one in runs_of for t in one.seen] for kind, runs_of in sent.items()}
    # The bot's own share: from the command reaching the watcher to the reply doing so.
    share = {kind: [t - floor for one in runs_of
                    for t, floor in zip(one.latencies, one.seen, strict=True)]
             for kind, runs_of in sent.items()}
    lost = {kind: sum(one.lost for one in runs_of) for kind, runs_of in sent.items()}
    quiet, flooded = figures(samples["quiet"]), figures(samples["flooded"])
    floor = {kind: figures(values) for kind, values in seen.items()}
    own = {kind: figures(values) for kind, values in share.items()}
    result: dict[str, Any] = {
        "flood": args.flood, "others": args.others, "repeats": args.repeats,
        "rate": args.rate,
        "command": args.command, "flood_text": args.flood_text or args.command,
        "limits": not args.no_limit,
        "quiet": quiet, "flooded": flooded,
        "ratio_p50": ratio(flooded["p50_ms"], quiet["p50_ms"]),
        "ratio_p95": ratio(flooded["p95_ms"], quiet["p95_ms"]),
        "homeserver": floor, "homeserver_ratio_p50": ratio(floor["flooded"]["p50_ms"],
                                                           floor["quiet"]["p50_ms"]),
        "bot_share": own, "bot_share_ratio_p50": ratio(own["flooded"]["p50_ms"],
                                                       own["quiet"]["p50_ms"]),
        "quiet_lost": lost["quiet"], "flooded_lost": lost["flooded"],
        "others_during_flood": sum(r["during"] for r in runs),
        "flood_answered": [r["answered"] for r in runs],
        "flood_s": [round(r["flood_s"], 2) for r in runs],
        "flood_settled_s": [round(r["settled_s"], 2) for r in runs],
    }
    report(
        f"flood: {args.flood} x {result['flood_text']!r} from one person "
        f"({f'{args.rate:g}/s' if args.rate > 0 else 'back to back'}) while {args.others} others "
        f"send one each ({args.repeats} runs of each, alternated; limits "
        f"{'off' if args.no_limit else 'on'})",
        ["others' replies", "n", "p50 ms", "p95 ms", "lost", "p50 ratio", "p95 ratio"],
        [["without the flood", len(samples["quiet"]), *quiet.values(), lost["quiet"],
          "1.00x", "1.00x"],
         ["during the flood", len(samples["flooded"]), *flooded.values(), lost["flooded"],
          f"{result['ratio_p50']:.2f}x", f"{result['ratio_p95']:.2f}x"],
         *([f"{label}, {kind}", len(values[kind]), *found[kind].values(), "",
            f"{ratio(found[kind]['p50_ms'], found['quiet']['p50_ms']):.2f}x",
            f"{ratio(found[kind]['p95_ms'], found['quiet']['p95_ms']):.2f}x"]
           for label, found, values in (("homeserver alone", floor, seen),
                                        ("bot's share", own, share))
           for kind in ("quiet", "flooded"))],
        result,
    )
    return result
