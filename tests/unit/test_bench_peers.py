"""The parts of `python -m bench peers` that the smoke run (which leaves the peer out)
does not reach: finding matrix-reminder-bot's answer, which is no reply, and its
configuration."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from bench import reminder_bot
from bench.matrix import Client
from bench.peers import timed_peer
from tests.e2e.homeserver import RegisteredUser

ROOM = "!peer:test.local"
PEER = "@reminder:test.local"
ACCOUNT = RegisteredUser(PEER, "pw", "token", "DEVICE")


class Scripted(Client):
    """A client whose sends make the given events arrive, as a sync answer would."""

    def __init__(self, answers: list[tuple[str, dict[str, Any]]]) -> None:
        super().__init__(None, SimpleNamespace(url="http://127.0.0.1:1"),  # type: ignore[arg-type]
                         ACCOUNT)
        self.answers = answers

    async def send(self, room: str, body: str, **content: Any) -> str:
        for where, event in self.answers:
            self.events.append((time.perf_counter(), where, event))
        self._changed.set()
        return "$sent"


def said(sender: str, body: str) -> dict[str, Any]:
    return {"sender": sender, "content": {"msgtype": "m.notice", "body": body}}


HELP = reminder_bot.HELP_REPLY + " Use `!help reminders` to view available commands."


async def test_the_peers_answer_is_its_first_message_in_the_room_after_the_send() -> None:
    client = Scripted([
        ("!peer:test.local.other", said(PEER, "in a room whose id extends the room's")),
        (ROOM, said(PEER + ".other", "from an account whose id extends the peer's")),
        (ROOM, said(PEER, HELP)),
        (ROOM, said(PEER, "a later message")),
    ])
    client.events.append((time.perf_counter(), ROOM, said(PEER, "before the send")))
    # Any other message taken for the answer would fail the check of its text.
    assert await timed_peer(client, ROOM, PEER, "!help") >= 0


async def test_an_answer_that_is_not_the_help_fails_the_run() -> None:
    client = Scripted([(ROOM, said(PEER, "Unknown help topic"))])
    with pytest.raises(RuntimeError, match="Unknown help topic"):
        await timed_peer(client, ROOM, PEER, "!help")


async def test_no_answer_is_a_timeout_not_a_hang() -> None:
    client = Scripted([(ROOM, said("@someone:test.local", HELP))])
    await client.send(ROOM, "!help")
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(client.message_from(ROOM, PEER, since=0, within=0.05), 5)


def test_the_peers_configuration_lets_everyone_in_on_the_bench_homeserver(
        tmp_path: Path) -> None:
    server = SimpleNamespace(url="http://127.0.0.1:8008")
    found = reminder_bot.config(server, ACCOUNT, tmp_path)  # type: ignore[arg-type]
    assert found["allowlist"] == found["blocklist"] == {"enabled": False, "regexes": []}
    assert found["command_prefix"] == "!"
    assert found["matrix"] == {"user_id": PEER, "user_password": "pw",
                               "device_id": "BENCHREMINDER", "device_name": "bench",
                               "homeserver_url": "http://127.0.0.1:8008"}
    assert found["storage"] == {"database": f"sqlite://{tmp_path / 'reminders.db'}",
                                "store_path": str(tmp_path / "reminder-store")}


def test_an_environment_that_is_not_there_does_not_work(tmp_path: Path) -> None:
    assert not reminder_bot.works(tmp_path / "missing")
