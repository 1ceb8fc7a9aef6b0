"""Fixtures shared by unit and integration tests."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.chat import Chat


@pytest.fixture
async def chat(tmp_path: Path) -> AsyncIterator[Chat]:
    chat = await Chat.open(tmp_path)
    try:
        yield chat
    finally:
        await chat.close()


# --- The end-to-end suite must run in CI, never skip quietly. ---------------------

_e2e = {"collected": 0, "skipped": 0}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    _e2e["collected"] = sum(1 for item in items if item.get_closest_marker("e2e"))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and "e2e" in report.keywords:
        _e2e["skipped"] += 1


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not os.environ.get("CLASSROOM_BOT_REQUIRE_E2E"):
        return
    if _e2e["collected"] == 0 or _e2e["skipped"]:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(
                f"FAILED: CLASSROOM_BOT_REQUIRE_E2E is set but {_e2e['collected']} end-to-end "
                f"tests were collected and {_e2e['skipped']} skipped",
                red=True,
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
