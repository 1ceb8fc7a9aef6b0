"""The composition root: components start in order and stop in reverse."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.app import App
from bot.config import BotSettings, DatabaseSettings, Settings
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
        "start outbox worker", "start scheduler", "start reminders", "start test transport",
        "stop test transport", "stop reminders", "stop scheduler", "stop outbox worker",
    ]
