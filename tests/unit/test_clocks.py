"""What waits for a time asks the clock whether it moves by itself, never its class:
a timer is armed for the system's time, and for none that moves only when told."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from bot.clock import Clock, FrozenClock, SystemClock
from bot.scheduling import delivery
from bot.scheduling.delivery import JOB_ID, ReminderService
from bot.scheduling.scheduler import create_scheduler

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class HandClock:
    """Moved only by hand, and not a FrozenClock."""

    moves_by_itself = False

    def now(self) -> datetime:
        return START


class StillClock:
    """Claims to move by itself (as a real clock does), and not a SystemClock."""

    moves_by_itself = True

    def now(self) -> datetime:
        return START


def test_the_systems_clock_moves_by_itself_a_frozen_one_does_not() -> None:
    assert SystemClock().moves_by_itself
    assert not FrozenClock(START).moves_by_itself


@pytest.mark.parametrize(("clock", "armed"), [
    (HandClock(), False), (FrozenClock(START), False), (StillClock(), True),
    (SystemClock(), True),
])
async def test_a_timer_waits_for_the_next_reminder_only_on_a_clock_that_moves(
    monkeypatch: pytest.MonkeyPatch, clock: Clock, armed: bool
) -> None:
    due = START + timedelta(hours=1)

    async def next_due(sessions: Any) -> datetime:
        return due

    monkeypatch.setattr(delivery, "next_due", next_due)
    scheduler = create_scheduler()  # not started: its jobs are only looked at
    service = ReminderService(cast(Any, None), clock, cast(Any, None), cast(Any, None),
                              scheduler, asker=cast(Any, None))
    service.running = True
    await service.rearm()
    job = scheduler.get_job(JOB_ID)
    assert (job is not None) == armed
    if job is not None:
        assert job.trigger.run_date == due
