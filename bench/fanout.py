"""fanout: `--people` reminders due at the same instant, and an `!announce` to as many
learners, against plain matrix-nio sending the same messages (the floor).

Each learner has a direct chat with the bot account (created in set-up and
listed in the account's `m.direct`). Lateness of a message = the homeserver's
`origin_server_ts` of its event minus the instant it was due: the reminders'
due time, the moment the organizer sent `!announce`, or the moment the floor
starts sending (all its messages at once, with `asyncio.gather`). Runs
alternated: reminders, floor, then `--rounds` rounds of an announcement (a new
text each) and a floor run, in the order ABBA (announce-floor, floor-announce,
...) so that neither always runs right after the other. With several rounds,
each figure is the median over the runs, and each round's ratio is shown.
`--no-reminders` leaves the reminders out (for iterating on the announcement).
Each row also shows the CPU seconds spent while it ran by the homeserver, the
bot process (from /proc) and this process (the floor's sender and the
observer): on a shared machine the homeserver's CPU is the steadier figure.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from nio import AsyncClient

from bench.common import homeserver, ms, percentile, ratio, report
from bench.matrix import Client, gather_limited, register, wait_joined
from bench.processes import BOT_PASSWORD, BotProcess
from bench.seed import seed
from tests.e2e.homeserver import Homeserver

NAME = "fanout"


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--lead", type=float, default=10.0,
                        help="seconds from the bot's start to the reminders' due instant")
    parser.add_argument("--deadline", type=float, default=120.0, help="seconds to wait")
    parser.add_argument("--rounds", type=int, default=1,
                        help="announcements, each followed by a floor run (figures: medians)")
    parser.add_argument("--no-reminders", action="store_true",
                        help="leave the reminders out: only the announcement and the floor")


def lateness(stamps: list[int], due: datetime) -> dict[str, float]:
    late = [stamp / 1000 - due.timestamp() for stamp in stamps]
    return {"first_ms": ms(min(late)), "median_ms": ms(statistics.median(late)),
            "last_ms": ms(max(late)), "p95_ms": ms(percentile(late, 95))}


async def arrivals(observer: Client, rooms: set[str], sender: str, after: int,
                   count: int, within: float) -> list[int]:
    """origin_server_ts of the first message from `sender` in each room after `after`."""

    def found() -> dict[str, int] | None:
        seen: dict[str, int] = {}
        for _, room, event in observer.events:
            stamp = event.get("origin_server_ts", 0)
            if room in rooms and event.get("sender") == sender and stamp >= after:
                seen.setdefault(room, stamp)
        return seen if len(seen) >= count else None

    try:
        seen = await observer.wait_for(found, within, "every message")
    except TimeoutError:
        return []
    return list(seen.values())


async def floor_run(nio: AsyncClient, rooms: list[str], n: int) -> datetime:
    due = datetime.now(UTC)
    await asyncio.gather(*(
        nio.room_send(room, "m.room.message", {"msgtype": "m.text", "body": f"floor {n}"})
        for room in rooms
    ))
    return due


class CpuClock:
    """CPU seconds (user + system) a process spent, from /proc (0 where unreadable)."""

    def __init__(self, pid: int | None) -> None:
        self.pid = pid

    def seconds(self) -> float:
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Phases:
    """Each phase's lateness figures and the CPU seconds spent meanwhile."""

    def __init__(self, server: CpuClock, bot: CpuClock) -> None:
        self.clocks = (server, bot)
        self.marks = (0.0, 0.0, 0.0)

    def start(self) -> None:
        self.marks = (self.clocks[0].seconds(), self.clocks[1].seconds(), time.process_time())

    def cpu(self) -> dict[str, float]:
        now = (self.clocks[0].seconds(), self.clocks[1].seconds(), time.process_time())
        server, bot, bench = (round(b - a, 1) for a, b in zip(self.marks, now, strict=True))
        return {"homeserver_cpu_s": server, "bot_cpu_s": bot, "bench_cpu_s": bench}


def medians(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: round(statistics.median(r[key] for r in runs), 1) for key in runs[0]}


async def run(args: argparse.Namespace, server: Homeserver | None = None) -> dict[str, Any]:
    reminders_due = 0 if args.no_reminders else args.people
    with homeserver(server) as hs, tempfile.TemporaryDirectory(prefix="bench-") as folder:
        work = Path(folder)
        bot_account = register(hs, "bot", BOT_PASSWORD)
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            as_bot = Client(http, hs, bot_account)  # the bot account, another device
            learners = [Client(http, hs, register(hs, f"learner{n}")) for n in range(args.people)]
            organizer = Client(http, hs, register(hs, "organizer"))
            direct = await gather_limited(
                [as_bot.create_room([p.user_id], direct=True) for p in learners])
            await gather_limited([p.join(room) for p, room in zip(learners, direct, strict=True)])
            await as_bot.set_account_data(
                "m.direct", {p.user_id: [room] for p, room in zip(learners, direct, strict=True)})
            seeded_at = datetime.now(UTC)
            due = seeded_at + timedelta(seconds=args.lead)
            await seed(work / "bot.db", rooms=max(1, args.people // 20), capacity=20,
                       user_ids=[p.user_id for p in learners], people=args.people,
                       seated=0, reminders=reminders_due, reminders_due=due, now=seeded_at)
            await seat_all(work / "bot.db", args.people)
            bot = BotProcess(hs, bot_account, work, organizers=(organizer.user_id,))
            nio = AsyncClient(hs.url, bot_account.user_id)
            nio.restore_login(bot_account.user_id, bot_account.device_id,
                              bot_account.access_token)
            rooms = set(direct)
            floors: list[dict[str, float]] = []
            announcements: list[dict[str, float]] = []
            pairs: list[tuple[dict[str, float], dict[str, float]]] = []  # each round's
            reminders: dict[str, float] = {}
            reminders_lost = announce_lost = 0
            # The organizer's room exists before the bot starts: it joins it in its first
            # sync, before the reminders fall due.
            command_room = await organizer.create_room([bot.user_id])
            try:
                await bot.start()
                await bot.ready()
                phases = Phases(CpuClock(hs.pid), CpuClock(bot.process.pid if bot.process
                                                           else None))
                await wait_joined(organizer, command_room, bot.user_id, within=args.deadline)
                await as_bot.listen()
                await nio.sync(timeout=0)
                if reminders_due:  # armed for `due`
                    phases.start()
                    stamps = await arrivals(as_bot, rooms, bot.user_id,
                                            int(due.timestamp() * 1000), len(rooms),
                                            max(0.0, (due - datetime.now(UTC)).total_seconds())
                                            + args.deadline)
                    reminders = {**lateness(stamps, due), **phases.cpu()} if stamps else {}
                    reminders_lost = len(rooms) - len(stamps)
                    floors.append(await measure_floor(nio, as_bot, direct, 0, args.deadline,
                                                      phases))
                for n in range(1, args.rounds + 1):
                    if n % 2 == 0:  # ABBA: every other round, the floor first
                        floors.append(await measure_floor(nio, as_bot, direct, n,
                                                          args.deadline, phases))
                    phases.start()
                    sent_at = datetime.now(UTC)
                    await organizer.send(command_room,
                                         f"!announce learners The stream starts late ({n}).")
                    stamps = await arrivals(as_bot, rooms, bot.user_id,
                                            int(sent_at.timestamp() * 1000), len(rooms),
                                            args.deadline)
                    announce_lost += len(rooms) - len(stamps)
                    if stamps:
                        announcements.append({**lateness(stamps, sent_at), **phases.cpu()})
                    if n % 2 == 1:
                        floors.append(await measure_floor(nio, as_bot, direct, n,
                                                          args.deadline, phases))
                    if stamps:
                        pairs.append((announcements[-1], floors[-1]))
            finally:
                await as_bot.stop()
                await nio.close()
                await bot.stop()
    floor = medians(floors)
    announce = medians(announcements) if announcements else {}
    result: dict[str, Any] = {
        "people": args.people, "rounds": args.rounds, "floor": floor, "reminders": reminders,
        "announce": announce, "floor_runs": floors, "announce_runs": announcements,
        "reminders_lost": reminders_lost, "announce_lost": announce_lost,
        "reminders_ratio_last": ratio(reminders.get("last_ms", 0), floor["last_ms"]),
        "announce_ratio_last": ratio(announce.get("last_ms", 0), floor["last_ms"]),
    }
    figures = ("first_ms", "median_ms", "last_ms", "p95_ms", "homeserver_cpu_s", "bot_cpu_s",
               "bench_cpu_s")
    rows = [["plain matrix-nio (floor)", *(floor[k] for k in figures), 0, "1.00x"]]
    if reminders_due:
        rows.append(["reminders due at once", *(reminders.get(k, "-") for k in figures),
                     reminders_lost, f"{result['reminders_ratio_last']:.2f}x"])
    rows.append(["!announce learners", *(announce.get(k, "-") for k in figures),
                 announce_lost, f"{result['announce_ratio_last']:.2f}x"])
    if args.rounds > 1:  # each round's announcement against that round's floor run
        for n, (a, f) in enumerate(pairs, start=1):
            rows.append([f"  round {n}: announce", *(a[k] for k in figures), "",
                         f"{ratio(a['last_ms'], f['last_ms']):.2f}x"])
            rows.append([f"  round {n}: floor", *(f[k] for k in figures), "", ""])
    report(f"fanout: {args.people} direct messages at once; lateness in ms "
           f"(floor: median of {len(floors)}); CPU s while each ran",
           ["what", "first", "median", "last", "p95", "server cpu", "bot cpu", "bench cpu",
            "lost", "last/floor"], rows, result)
    return result


async def measure_floor(nio: AsyncClient, observer: Client, rooms: list[str], n: int,
                        within: float, phases: Phases) -> dict[str, float]:
    phases.start()
    started = time.time()
    due = await floor_run(nio, rooms, n)
    stamps = await arrivals(observer, set(rooms), nio.user_id, int(started * 1000) - 1,
                            len(rooms), within)
    if len(stamps) < len(rooms):
        raise RuntimeError("the floor lost messages")
    return {**lateness(stamps, due), **phases.cpu()}


async def seat_all(db: Path, people: int) -> None:
    """Seat every seeded person as a learner, 20 to a room (for `!announce learners`)."""
    from sqlalchemy import insert, select

    from bot.db.engine import create_engine, create_sessionmaker
    from bot.db.models import LocalRoom, MemberRole, Membership, Person

    engine = create_engine(f"sqlite+aiosqlite:///{db}")
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            rooms = list((await session.execute(
                select(LocalRoom.id, LocalRoom.workshop_id).order_by(LocalRoom.id))).all())
            person_ids = list((await session.scalars(select(Person.id).order_by(Person.id)))
                              .all())[:people]
            await session.execute(insert(Membership), [
                {"room_id": rooms[n // 20 % len(rooms)].id,
                 "workshop_id": rooms[n // 20 % len(rooms)].workshop_id, "person_id": pid,
                 "role": MemberRole.LEARNER, "joined_at": datetime.now(UTC)}
                for n, pid in enumerate(person_ids)
            ])
    finally:
        await engine.dispose()
