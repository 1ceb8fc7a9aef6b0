"""Smoke runs of the benchmarks that need a homeserver, tiny sizes, on the session's
Synapse: each runs and reports its figures (not their values: see docs/performance.md)."""

from __future__ import annotations

import math

import pytest

from bench import flood
from bench.__main__ import parser
from tests.bench_smoke import smoke
from tests.e2e.homeserver import Homeserver


async def test_latency(capsys: pytest.CaptureFixture[str], homeserver: Homeserver) -> None:
    result = await smoke(capsys, ["latency", "--rounds", "2", "--warmup", "0", "--rooms", "3"],
                         homeserver)
    for kind in ("floor", "help", "rooms"):
        assert set(result[kind]) == {"p50_ms", "p95_ms", "p99_ms"}
        assert result[kind]["p50_ms"] > 0
    assert set(result["help_ratio"]) == set(result["rooms_ratio"]) == {"p50_ms", "p95_ms",
                                                                       "p99_ms"}


async def test_latency_encrypted(capsys: pytest.CaptureFixture[str],
                                 homeserver: Homeserver) -> None:
    result = await smoke(capsys, ["latency", "--encrypted", "--rounds", "2", "--warmup", "0",
                                  "--rooms", "3"], homeserver)
    assert result["encrypted"] is True
    for kind in ("floor", "help", "rooms"):
        assert result[kind]["p50_ms"] > 0
    assert set(result["help_ratio"]) == {"p50_ms", "p95_ms", "p99_ms"}


async def test_peers_without_the_peer(capsys: pytest.CaptureFixture[str],
                                      homeserver: Homeserver) -> None:
    """matrix-reminder-bot left out, so the suite installs nothing; busy, to run the load."""
    result = await smoke(capsys, ["peers", "--rounds", "2", "--warmup", "0", "--rooms", "3",
                                  "--no-peer", "--busy"], homeserver)
    assert result["busy"] and not result["peer"]
    assert "peer_help" not in result and "help_vs_peer_p50" not in result
    for kind in ("floor", "help", "rooms"):
        assert set(result[kind]) == {"p50_ms", "p95_ms", "p99_ms"}
        assert result[kind]["p50_ms"] > 0
    assert set(result["help_ratio"]) == set(result["rooms_ratio"]) == {"p50_ms", "p95_ms"}


async def test_burst(capsys: pytest.CaptureFixture[str], homeserver: Homeserver) -> None:
    result = await smoke(capsys, ["burst", "--learners", "6", "--chats", "2", "--rooms", "2",
                                  "--seats", "1", "--window", "0.2", "--repeats", "1"],
                         homeserver)
    assert result["bot_lost"] == result["floor_lost"] == 0
    assert result["bot_last_reply_ms"] > 0 and result["floor_last_reply_ms"] > 0
    assert result["ratio"] > 0


async def test_fanout(capsys: pytest.CaptureFixture[str], homeserver: Homeserver) -> None:
    result = await smoke(capsys, ["fanout", "--people", "4", "--lead", "4"], homeserver)
    assert result["reminders_lost"] == result["announce_lost"] == 0
    for kind in ("floor", "reminders", "announce"):
        assert set(result[kind]) == {"first_ms", "median_ms", "last_ms", "p95_ms",
                                     "homeserver_cpu_s", "bot_cpu_s", "bench_cpu_s"}
    assert result["reminders_ratio_last"] > 0 and result["announce_ratio_last"] > 0


async def test_fanout_announcement_rounds(capsys: pytest.CaptureFixture[str],
                                          homeserver: Homeserver) -> None:
    result = await smoke(capsys, ["fanout", "--people", "3", "--no-reminders", "--rounds", "2"],
                         homeserver)
    assert result["reminders"] == {} and result["announce_lost"] == 0
    assert len(result["announce_runs"]) == len(result["floor_runs"]) == 2
    assert result["announce_ratio_last"] > 0


async def test_memory(capsys: pytest.CaptureFixture[str], homeserver: Homeserver) -> None:
    result = await smoke(capsys, ["memory", "--people", "50", "--rooms", "5", "--responses",
                                  "40", "--reminders", "20"], homeserver)
    assert result["startup_ms"] > 0
    assert 0 < result["peak_rss_start_mb"] <= result["peak_rss_mb"]


async def test_flood(capsys: pytest.CaptureFixture[str], homeserver: Homeserver) -> None:
    """60 commands from one person past the default limit (a burst of 30, then 30 a
    minute), paced at 100 a second (faster than the incident's 8.3, to stay quick):
    the others all answered; the flood answered its burst, once that it was slowed
    down, and no more than the tokens that refilled while the bot read it (a busy
    machine reads it slower)."""
    result = await smoke(capsys, ["flood", "--flood", "60", "--others", "3", "--rooms", "2",
                                  "--window", "0.3", "--repeats", "1", "--rate", "100"],
                         homeserver)
    assert result["quiet_lost"] == result["flooded_lost"] == 0
    refilled = math.ceil(result["flood_settled_s"][0] * 30 / 60)
    assert result["limits"] and 31 <= result["flood_answered"][0] <= min(59, 31 + refilled)
    assert result["rate"] == 100
    for kind in ("quiet", "flooded"):
        assert result[kind]["p50_ms"] > 0 and result["homeserver"][kind]["p50_ms"] > 0
        assert set(result["bot_share"][kind]) == {"p50_ms", "p95_ms"}
    assert result["ratio_p50"] > 0 and result["homeserver_ratio_p50"] > 0


def test_a_paced_flood_must_outlast_the_others_window() -> None:
    """Checked before any homeserver starts: at the incident's 8.3/s, 50 commands last
    6 s, 5.4 s of them after the first tenth; a 6 s window would end after the flood."""
    with pytest.raises(SystemExit, match="outlasts the flood"):
        flood.check_window(parser().parse_args(["flood", "--flood", "50", "--window", "6"]))
    flood.check_window(parser().parse_args(["flood", "--flood", "50", "--window", "5"]))
    flood.check_window(parser().parse_args(["flood", "--flood", "50", "--window", "60",
                                            "--rate", "0"]))  # back to back: not known
