"""Smoke runs of the benchmarks that need no homeserver, tiny sizes: each runs and
reports its figures (not their values: see docs/performance.md)."""

from __future__ import annotations

import pytest

from tests.bench_smoke import smoke


async def test_summary(capsys: pytest.CaptureFixture[str]) -> None:
    result = await smoke(capsys, ["summary", "--small", "20", "--large", "60", "--rooms", "4",
                                  "--repeats", "1"])
    assert result["small_ms"] > 0 and result["large_ms"] > 0
    assert result["size_ratio"] == 3.0 and result["ratio"] > 0


async def test_replan(capsys: pytest.CaptureFixture[str]) -> None:
    result = await smoke(capsys, ["replan", "--rooms", "3", "--learners", "2"])
    first, unchanged = result["first_s_changed"], result["unchanged_s_changed"]
    assert first[1] > 0 and unchanged[1] == 0
    assert result["room_s_changed"][1] == result["person_s_changed"][1] == 0


async def test_dispatch(capsys: pytest.CaptureFixture[str]) -> None:
    result = await smoke(capsys, ["dispatch", "--rounds", "2", "--rooms", "3"])
    for command in ("help", "rooms", "tz", "form_answer"):
        assert set(result[command]) == {"p50_ms", "p95_ms", "cpu_ms"}
        assert result[command]["p50_ms"] > 0 and result[command]["cpu_ms"] > 0
