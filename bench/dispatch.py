"""dispatch: the bot's own time per command, in process (no homeserver): from the
message to its answer delivered to a recording transport, through the real
dispatcher, outbox worker and a SQLite file; `!help`, `!rooms` on `--rooms`
rooms, `!tz` (a changing command, with its reminder re-plan) and a form answer.

The form answer is a learner in the daily form in their direct chat answering
its first question (`1, 3`, two of its choices): the answer is accepted and the
form moves on to question 2, so each one loads and locks the conversation, runs
the engine and stores the new state, as every answer but the last does. An
untimed `back` after it returns to question 1 for the next round. (A wrong answer
would keep the state unchanged and skip the write; the last answer saves a
response, which happens once per form, not once per answer.)

Two figures per command: the wall time (p50, p95) and the CPU the process
spent on it (`time.process_time`, every thread: the loop's and the database
driver's), its median. The CPU is the bot's own cost, which contention on a
busy machine multiplies; the wall time adds the waits between threads.
"""

from __future__ import annotations

import argparse
import statistics
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
LEARNER, ANSWERING = "@learner:example.org", "@answering:example.org"
COMMANDS = ("!help", "!rooms", "!tz Europe/Oslo")
FORM_ANSWER = "form answer"


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rounds", type=int, default=200, help="commands of each kind")
    parser.add_argument("--rooms", type=int, default=50)


async def run(args: argparse.Namespace, server: Homeserver | None = None) -> dict[str, Any]:
    took: dict[str, list[float]] = {label: [] for label in (*COMMANDS, FORM_ANSWER)}
    cpu: dict[str, list[float]] = {label: [] for label in took}
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        await seed(Path(folder) / "bot.db", rooms=args.rooms)
        # Without the per-person limit, as bench.processes.NO_LIMIT says.
        chat = await Chat.open(Path(folder), limits=LimitSettings(commands_per_minute=0))
        try:
            started_form = await chat.say(ANSWERING, "!feedback daily day=1", direct=True)
            assert "question 1 of" in started_form.reply, started_form.reply
            for n in range(args.rounds + 10):
                for command in COMMANDS:  # alternated, the first 10 rounds not counted
                    started, spent = time.perf_counter(), time.process_time()
                    await chat.say(LEARNER, command)
                    if n >= 10:
                        took[command].append(time.perf_counter() - started)
                        cpu[command].append(time.process_time() - spent)
                started, spent = time.perf_counter(), time.process_time()
                answered = await chat.say(ANSWERING, "1, 3", direct=True)
                if n >= 10:
                    took[FORM_ANSWER].append(time.perf_counter() - started)
                    cpu[FORM_ANSWER].append(time.process_time() - spent)
                assert "question 2 of" in answered.reply, answered.reply
                assert "question 1 of" in await chat.say(ANSWERING, "back", direct=True)
        finally:
            await chat.close()
    result: dict[str, Any] = {"rounds": args.rounds, "rooms": args.rooms}
    rows = []
    for label, samples in took.items():
        figures = {f"p{p}_ms": ms(percentile(samples, p)) for p in (50, 95)}
        figures["cpu_ms"] = round(1000 * statistics.median(cpu[label]), 2)
        result[label.split()[0].lstrip("!") if label in COMMANDS else "form_answer"] = figures
        rows.append([label, *figures.values()])
    report(f"dispatch: in process, {args.rounds} of each, alternated",
           ["command", "p50 ms", "p95 ms", "CPU ms"], rows, result)
    return result
