"""The composition root: components start in order and stop in reverse."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.app import App
from bot.config import BotSettings, DatabaseSettings, Settings
from bot.messages import Incoming
from tests.chat import RecordingTransport


def settings(tmp_path: Path) -> Settings:
    return Settings(
        bot=BotSettings(organizers=("@org:example.org",)),
        database=DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"),
    )


async def test_components_start_in_order_and_stop_in_reverse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = App(settings(tmp_path), lambda _app: RecordingTransport())
    seen: list[str] = []
    all_started = asyncio.Event()
    for component in app.components:
        for step in ("start", "stop"):
            original = getattr(component, step)

            async def record(
                original: Callable[[], Awaitable[None]] = original,
                step: str = step,
                name: str = component.name,
            ) -> None:
                seen.append(f"{step} {name}")
                await original()
                if len(seen) == len(app.components):
                    all_started.set()

            monkeypatch.setattr(component, step, record)
    running = asyncio.create_task(app.run())
    await all_started.wait()
    app.stop()
    await running
    assert seen == [
        "start outbox worker", "start scheduler", "start reminders", "start chat archiver",
        "start test transport", "stop test transport", "stop chat archiver", "stop reminders",
        "stop scheduler", "stop outbox worker",
    ]


class OtherNetwork(RecordingTransport):
    network = "other"

    def __init__(self) -> None:
        super().__init__()
        self.organizers: set[str] = set()

    async def is_organizer(self, user: str) -> bool:
        return user in self.organizers


async def test_two_networks_in_one_process_each_row_goes_to_its_own_network(
    tmp_path: Path,
) -> None:
    first, second = RecordingTransport(), OtherNetwork()
    second.organizers.add("zulip:7")
    app = App(settings(tmp_path), lambda _app: [first, second])
    assert [intake.name for intake in app.intakes] == ["test transport", "other transport"]
    await app.start()
    try:
        for transport, user in ((first, "@ana:example.org"), (second, "zulip:7")):
            message = Incoming(network=transport.network, sender=user, room="r1",
                               body="!workshop add 2027-a title=A tz=UTC days=2027-03-17 "
                               "time=10:00-15:00", is_direct=False, event_id="$same")
            await (await app.handle(message)).wait()
        # A person on each network is a different person: the same event id twice is
        # two commands, and each answer went out on the network it came from.
        assert len(first.sent) == 1 and len(second.sent) == 1
        assert "is for an organizer" in first.sent[0].text  # not an organizer on "test"
        assert "created" in second.sent[0].text  # the other network says zulip:7 is one
    finally:
        app.stop()
        await app.close()
