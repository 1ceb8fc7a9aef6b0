"""status: `--rooms` rooms change status `--changes` times each within `--window`
seconds on the real homeserver; the status board's last edit must show the final
state of every room within 5 s of the last change, with far fewer edits sent than
changes.

An organizer sets each room's status (`!status STATE room=Rn round k`) in a chat
room with the bot, at an even pace; the bot keeps one board message in the
board room (`matrix.status_room`) and edits it in place, at most once per
`status.edit_interval_seconds` (3 s). The organizer's client watches the board
room: the time is from the last change's send until an edit (or the post)
whose new content shows every room's final state.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from bench.common import homeserver, ms, report
from bench.matrix import Client, register, room_with, wait_joined
from bench.processes import BOT_PASSWORD, NO_LIMIT, BotProcess
from bench.seed import seed
from bot.db.models import ExerciseState
from bot.services.status import LABELS
from tests.e2e.homeserver import Homeserver

NAME = "status"
STATES = tuple(ExerciseState)
# The board must show the final state this soon after the last change.
TARGET_S = 5.0


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rooms", type=int, default=50)
    parser.add_argument("--changes", type=int, default=5, help="status changes per room")
    parser.add_argument("--window", type=float, default=50.0,
                        help="seconds over which all changes are sent")
    parser.add_argument("--deadline", type=float, default=60.0,
                        help="seconds to wait for the final board")


def final_state(rooms: int, changes: int) -> dict[int, str]:
    """Each room's last status line part: `label, … · “round k”`."""
    return {n: LABELS[STATES[(n + changes - 1) % len(STATES)]] for n in range(1, rooms + 1)}


def board_body(event: dict[str, Any]) -> str | None:
    """The board's text in an event: the new content of an edit, or the post's."""
    content = event.get("content", {})
    new = content.get("m.new_content")
    body = (new if isinstance(new, dict) else content).get("body")
    return body if isinstance(body, str) else None


def shows(body: str, final: dict[int, str], last_round: int) -> bool:
    lines = {line.split(" ", 2)[1]: line for line in body.splitlines()
             if line.startswith("- R") and line.count(" ") >= 2}
    return all(f"R{n}" in lines and label in lines[f"R{n}"]
               and f"“round {last_round}”" in lines[f"R{n}"] for n, label in final.items())


async def run(args: argparse.Namespace, server: Homeserver | None = None) -> dict[str, Any]:
    with homeserver(server) as hs, tempfile.TemporaryDirectory(prefix="bench-") as folder:
        work = Path(folder)
        # The workshop's first day is today (UTC), so statuses are taken.
        await seed(work / "bot.db", rooms=args.rooms, now=datetime.now(UTC) - timedelta(days=30))
        bot_account = register(hs, "bot", BOT_PASSWORD)
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            organizer = Client(http, hs, register(hs, "organizer"))
            board = await room_with(organizer, [], invite_only=[bot_account.user_id])
            commands = await room_with(organizer, [], invite_only=[bot_account.user_id])
            bot = BotProcess(hs, bot_account, work, organizers=(organizer.user_id,),
                             extra_config=f'status_room = "{board}"\n' + NO_LIMIT)
            try:
                await bot.start()
                await bot.ready()
                for room in (board, commands):
                    await wait_joined(organizer, room, bot.user_id)
                await organizer.listen()
                total = args.rooms * args.changes
                started = time.perf_counter()
                for k in range(args.changes):
                    for n in range(1, args.rooms + 1):
                        due = started + (k * args.rooms + n) * args.window / total
                        await asyncio.sleep(max(0.0, due - time.perf_counter()))  # the pace
                        state = STATES[(n + k) % len(STATES)]
                        await organizer.send(commands, f"!status {state} room=R{n} round {k}")
                last_change = time.perf_counter()
                final = final_state(args.rooms, args.changes)

                def done() -> float | None:
                    return next((stamp for stamp, room, event in organizer.events
                                 if room == board and event.get("sender") == bot.user_id
                                 and (body := board_body(event)) is not None
                                 and shows(body, final, args.changes - 1)), None)

                shown = None
                with contextlib.suppress(TimeoutError):
                    shown = await organizer.wait_for(done, args.deadline, "the final board")
                mine = [event for _, room, event in organizer.events
                        if room == board and event.get("sender") == bot.user_id]
            finally:
                await organizer.stop()
                await bot.stop()
    edits = sum(1 for e in mine if "m.new_content" in e.get("content", {}))
    final_ms = ms(shown - last_change) if shown is not None else None
    result = {
        "rooms": args.rooms, "changes": total, "posts": len(mine) - edits, "edits": edits,
        "final_shown_ms": final_ms,
        "within_target": final_ms is not None and final_ms <= TARGET_S * 1000,
    }
    report(
        f"status: {args.rooms} rooms x {args.changes} changes within {args.window:g} s",
        ["what", "count"],
        [["status changes", total], ["board messages posted", result["posts"]],
         ["board edits sent", edits],
         ["final board after the last change ms", final_ms if final_ms is not None else "never"]],
        result,
    )
    return result
