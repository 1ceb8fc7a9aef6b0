"""Benchmarks of the bot against the homeserver's own cost (issue 13).

`python -m bench NAME` (see `python -m bench --help`); README.md, section
"Performance", has the latest figures and how they were taken.
"""

from __future__ import annotations

from types import ModuleType

from bench import burst, dispatch, fanout, flood, latency, memory, replan, summary

BENCHMARKS: dict[str, ModuleType] = {
    module.NAME: module
    for module in (latency, burst, fanout, summary, memory, replan, dispatch, flood)
}
