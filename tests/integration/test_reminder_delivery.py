"""Many reminders due at one instant: each delivered once, through the real outbox worker."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import timedelta

from sqlalchemy import func, insert, select

from bot.db.models import OutboxMessage, Person, Reminder, ReminderStatus
from bot.outbox.rows import Delivery
from bot.scheduling.delivery import BATCH, deliver_due
from tests.chat import ORGANIZER, Chat


async def test_a_thousand_reminders_due_at_one_instant_are_each_delivered_once(
    chat: Chat,
) -> None:
    await chat.say(
        ORGANIZER,
        "!workshop add spring title=W tz=Europe/Oslo days=2026-03-17 time=10:00-15:00",
    )
    now = chat.clock.now()
    due = now + timedelta(minutes=5)
    async with chat.app.sessions() as session, session.begin():
        await session.execute(insert(Person), [
            {"network": "test", "user_id": f"@p{n}:example.org", "reminders": True,
             "created_at": now}
            for n in range(1000)
        ])
        ids = list(await session.scalars(select(Person.id).where(Person.user_id.like("@p%"))))
        await session.execute(insert(Reminder), [
            {"dedupe_key": f"test:{pid}", "workshop_id": 1, "person_id": pid, "kind": "final",
             "due_at": due, "text": f"hello {pid}", "status": ReminderStatus.PENDING,
             "created_at": now}
            for pid in ids
        ])
    chat.clock.set(due)
    # Two runs at once (a timer and a restart racing): still one row each.
    await asyncio.gather(chat.app.reminders.run_due(), chat.app.reminders.run_due())
    deadline = time.monotonic() + 30
    while len(chat.transport.sent) < 1001 and time.monotonic() < deadline:
        await chat.app.worker.wait_idle()
        await asyncio.sleep(0)
    await chat.app.reminders.run_due()
    await chat.app.worker.wait_idle()
    counts = Counter(m.user for m in chat.transport.sent if m.user is not None)
    assert len(counts) == 1000 and set(counts.values()) == {1}
    async with chat.app.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.dedupe_key.like("reminder:%"))) == 1000
        statuses = await session.scalars(select(Reminder.status).distinct())
        assert set(statuses) == {ReminderStatus.SENT}


async def test_due_reminders_are_handed_on_batch_by_batch(chat: Chat) -> None:
    await chat.say(
        ORGANIZER,
        "!workshop add spring title=W tz=Europe/Oslo days=2026-03-17 time=10:00-15:00",
    )
    now = chat.clock.now()
    async with chat.app.sessions() as session, session.begin():
        await session.execute(insert(Person), [
            {"network": "test", "user_id": f"@p{n}:example.org", "reminders": True,
             "created_at": now}
            for n in range(BATCH + 20)
        ])
        ids = list(await session.scalars(select(Person.id).where(Person.user_id.like("@p%"))))
        await session.execute(insert(Reminder), [
            {"dedupe_key": f"test:{pid}", "workshop_id": 1, "person_id": pid, "kind": "final",
             "due_at": now, "text": f"hello {pid}", "status": ReminderStatus.PENDING,
             "created_at": now}
            for pid in ids
        ])
    handed: list[int] = []

    def hand(batch: list[Delivery]) -> None:
        handed.append(len(batch))

    found = await deliver_due(chat.app.sessions, now, chat.app.settings, hand,
                              asker=chat.app.reminders.asker)
    assert handed == [BATCH, 20] and len(found) == BATCH + 20
