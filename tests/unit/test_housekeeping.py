"""Housekeeping jobs, called directly with a frozen clock."""

from __future__ import annotations

from datetime import timedelta

from bot.db.models import HandledEvent
from bot.scheduling.housekeeping import HANDLED_EVENT_RETENTION, prune_handled_events
from tests.chat import Chat


async def test_old_handled_events_are_forgotten_recent_ones_kept(chat: Chat) -> None:
    await chat.say("@a:b.c", "!tz UTC", event_id="$old")
    chat.clock.advance(HANDLED_EVENT_RETENTION + timedelta(minutes=1))
    await chat.say("@a:b.c", "!tz UTC", event_id="$new")
    assert await prune_handled_events(chat.app.sessions, chat.clock) == 1
    async with chat.app.sessions() as session:
        assert await session.get(HandledEvent, ("test", "$old")) is None
        assert await session.get(HandledEvent, ("test", "$new")) is not None


async def test_the_app_schedules_the_pruning_job(chat: Chat) -> None:
    job = chat.app.scheduler.get_job("prune-handled-events")
    assert job is not None and job.trigger.interval == timedelta(hours=1)
