"""Housekeeping jobs, called directly with a frozen clock."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.db.models import DeliveryStatus, HandledEvent, OutboxMessage
from bot.outbox import rows
from bot.scheduling.housekeeping import (
    HANDLED_EVENT_RETENTION,
    SENT_MESSAGE_RETENTION,
    prune_handled_events,
    prune_sent_messages,
)
from tests.chat import Chat


async def test_old_handled_events_are_forgotten_recent_ones_kept(chat: Chat) -> None:
    await chat.say("@a:b.c", "!tz UTC", event_id="$old")
    chat.clock.advance(HANDLED_EVENT_RETENTION + timedelta(minutes=1))
    await chat.say("@a:b.c", "!tz UTC", event_id="$new")
    assert await prune_handled_events(chat.app.sessions, chat.clock) == 1
    async with chat.app.sessions() as session:
        assert await session.get(HandledEvent, ("test", "$old")) is None
        assert await session.get(HandledEvent, ("test", "$new")) is not None


async def test_old_sent_messages_are_forgotten_failed_ones_kept(chat: Chat) -> None:
    await chat.say("@a:b.c", "!tz UTC", event_id="$old")
    await chat.say("@a:b.c", "!tz UTC", event_id="$failed")
    chat.clock.advance(SENT_MESSAGE_RETENTION + timedelta(minutes=1))
    await chat.say("@a:b.c", "!tz UTC", event_id="$new")
    async with chat.app.sessions() as session, session.begin():
        failed = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.dedupe_key == "reply:test:$failed"))
        assert failed is not None
        failed.status = DeliveryStatus.FAILED
    assert await prune_sent_messages(chat.app.sessions, chat.clock) == 1
    async with chat.app.sessions() as session:
        left = set(await session.scalars(select(OutboxMessage.dedupe_key)))
    assert left == {"reply:test:$failed", "reply:test:$new"}


async def test_a_sent_message_the_network_names_back_is_kept(chat: Chat) -> None:
    """A poll's row keeps its message id, which a vote days later finds its poll by."""
    await chat.say("@a:b.c", "!tz UTC", event_id="$poll")
    await chat.say("@a:b.c", "!tz UTC", event_id="$old")
    async with chat.app.sessions() as session, session.begin():
        poll = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.dedupe_key == "reply:test:$poll"))
        assert poll is not None
        await rows.mark_sent(session, poll.id, chat.clock.now(), "$poll-message")
    chat.clock.advance(SENT_MESSAGE_RETENTION + timedelta(minutes=1))
    assert await prune_sent_messages(chat.app.sessions, chat.clock) == 1
    async with chat.app.sessions() as session:
        left = set(await session.scalars(select(OutboxMessage.dedupe_key)))
    assert left == {"reply:test:$poll"}


async def test_the_app_schedules_the_pruning_jobs(chat: Chat) -> None:
    for name in ("prune-handled-events", "prune-sent-messages"):
        job = chat.app.scheduler.get_job(name)
        assert job is not None and job.trigger.interval == timedelta(hours=1)
