"""Benchmarks of the bot against the homeserver's own cost.

`python -m bench NAME` (see `python -m bench --help`); docs/performance.md has
the targets, the latest figures and how they were taken, bench/FINDINGS.md what
profiling found.
"""

from __future__ import annotations

from types import ModuleType

from bench import (
    burst,
    dispatch,
    fanout,
    flood,
    latency,
    memory,
    peers,
    replan,
    status,
    summary,
)

BENCHMARKS: dict[str, ModuleType] = {
    module.NAME: module
    for module in (latency, burst, fanout, summary, memory, replan, dispatch, flood, peers,
                   status)
}
