"""The in-memory job scheduler, with its policy set explicitly.

APScheduler's defaults (a one-second misfire grace, coalescing) silently drop
a job that runs a little late; our jobs decide for themselves what lateness
means, so every job runs however late it is, once.
"""

from __future__ import annotations

from datetime import UTC

from apscheduler.schedulers.asyncio import AsyncIOScheduler


def create_scheduler() -> AsyncIOScheduler:
    return AsyncIOScheduler(
        timezone=UTC,
        job_defaults={"misfire_grace_time": None, "coalesce": False, "max_instances": 1},
    )
