"""Due reminders become outbox rows, exactly once.

`deliver_due` takes the pending reminders whose time has come and, in one
transaction per batch, flips each to `sent` and writes its outbox row (dedupe
key `reminder:<reminder key>`, unique, so even a second writer could not add a
second row). The outbox worker then sends the row once. A reminder before a
form's window closes that is no longer needed is marked `skipped` instead
(bot/scheduling/closing.py). The first end-of-day
reminder of a day also writes the day's poll, where one is configured
(bot/services/polls.py). A reminder found late
(the bot was down, or busy) is sent marked "(delayed N min)" when it is less
than the grace period late; past that it is marked `missed` and the organizers
are told how many were missed (`!reminders missed` lists them). A person without
a zone of their own finds the hint how to set it under their first reminder.

`ReminderService` is the app component: at start, after the outbox worker
(and so the transport) is up, it re-plans every unfinished workshop once when
the `[reminders]` configuration, the forms or the code changed since the last
run (commands re-plan only what they touch; bot/scheduling/at_start.py keeps a
fingerprint of those), delivers what fell due while
the bot was down, then arms a single in-memory APScheduler job for the next
due instant; each run delivers and re-arms. `rearm()` is called after every
command that may have changed the reminder table. The console's `/wait` uses
`advance`.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock, SetClock
from bot.config import Settings, organizers_on, parse_duration
from bot.db.engine import is_unavailable, writing
from bot.db.locks import lock_workshops
from bot.db.models import OutboxMessage, Person, Reminder, ReminderStatus
from bot.messages import Due, Outgoing
from bot.outbox import rows
from bot.outbox.rows import Delivery
from bot.outbox.worker import OutboxWorker
from bot.scheduling import at_start, closing, planner
from bot.scheduling.asking import Asker
from bot.services import polls
from bot.text import code, default_zone_note

log = logging.getLogger(__name__)

BATCH = 500
JOB_ID = "reminders-due"
# Later than this, a reminder says by how much.
DELAY_SHOWN_FROM = timedelta(minutes=1)
# A run that found the database locked tries again after this long.
UNAVAILABLE_RETRY = timedelta(seconds=5)


def reminder_key(dedupe_key: str) -> str:
    return f"reminder:{dedupe_key}"


async def deliver_due(
    sessions: async_sessionmaker[AsyncSession], now: datetime, settings: Settings,
    hand: Callable[[list[Delivery]], object] | None = None, *, asker: Asker,
) -> list[Delivery]:
    """Turn every reminder due at `now` into an outbox row (or mark it missed); a
    reminder that asks offers its form through `asker`.

    `hand` gets each batch's rows as soon as the batch is committed, so the first
    reminders are on their way while the next batch is written (bench/fanout.py).
    """
    grace = parse_duration(settings.reminders.grace)
    deliveries: list[Delivery] = []
    while True:
        async with writing(sessions) as session:
            # Re-planning holds these rows while it reconciles (bot/db/locks.py): a
            # reminder it is moving is flipped to sent only after it committed.
            await lock_workshops(session, select(Reminder.workshop_id).where(
                Reminder.status == ReminderStatus.PENDING, Reminder.due_at <= now))
            found = (
                await session.execute(
                    select(Reminder, Person)
                    .join(Person, Reminder.person_id == Person.id)
                    .where(Reminder.status == ReminderStatus.PENDING, Reminder.due_at <= now)
                    .order_by(Reminder.due_at, Reminder.id)
                    .limit(BATCH)
                )
            ).all()
            if not found:
                return deliveries
            written: list[OutboxMessage] = []
            missed: list[tuple[Reminder, str]] = []
            polled: set[tuple[int, int]] = set()  # (workshop, day): asked once a batch
            due_of: dict[str, Due] = {}  # outbox key -> when its reminder was due, where
            skipped = 0
            unneeded = await closing.not_needed(session, settings, found, now)
            hint = await _zone_hints(session, settings, [person for _, person in found])
            for reminder, person in found:
                if reminder.id in unneeded:
                    reminder.status = ReminderStatus.SKIPPED
                    skipped += 1
                    continue
                late = now - reminder.due_at
                if late >= DELAY_SHOWN_FROM:
                    reminder.late_minutes = int(late.total_seconds() // 60)
                if late > grace:
                    reminder.status = ReminderStatus.MISSED
                    missed.append((reminder, person.network))
                    continue
                note = f"\n(delayed {reminder.late_minutes} min)" if reminder.late_minutes else ""
                if person.id in hint:
                    note += "\n" + hint.pop(person.id)  # the first reminder only
                text = await asker.text_of(session, settings, reminder, person, now, note)
                key = reminder_key(reminder.dedupe_key)
                due_of[key] = Due(reminder.due_at,
                                  person.timezone or settings.bot.default_timezone)
                written.append(rows.add(
                    session, key=key, network=person.network,
                    message=Outgoing(text=text, user=person.user_id), reference="reminder",
                    now=now,
                ))
                reminder.status = ReminderStatus.SENT
                reminder.sent_at = now
                if reminder.kind == planner.DAY_END:  # with the day's first: its poll
                    day = (reminder.workshop_id, planner.day_of(reminder.dedupe_key))
                    if day not in polled:
                        polled.add(day)
                        written += await polls.post_daily(session, settings, *day, now)
            written += _tell_organizers(session, settings, missed, now)
            await session.flush()
            batch = [_shown(rows.delivery(row), due_of) for row in written]
        deliveries += batch
        if hand is not None:
            hand(batch)
        log.info("reminders due at %s: %d sent, %d missed, %d not needed", now,
                 len(found) - len(missed) - skipped, len(missed), skipped)


async def _zone_hints(
    session: AsyncSession, settings: Settings, found: list[Person]
) -> dict[int, str]:
    """The one-line hint how to set a zone, for each person without one who has never
    been sent a reminder: their first reminder carries it, as change notices do. Kept
    in the reminder table itself (a sent row), so a restart does not say it twice."""
    unzoned = {person.id for person in found if person.timezone is None}
    if not unzoned:
        return {}
    told = set(await session.scalars(
        select(Reminder.person_id).where(Reminder.person_id.in_(unzoned),
                                         Reminder.status == ReminderStatus.SENT).distinct()))
    note = default_zone_note(ZoneInfo(settings.bot.default_timezone), settings.bot.prefix)
    return dict.fromkeys(unzoned - told, note)


def _shown(delivery: Delivery, due_of: dict[str, Due]) -> Delivery:
    """The delivery of a reminder's row carrying when it was due (for the console)."""
    due = due_of.get(delivery.message.key or "")
    if due is None:
        return delivery
    return dataclasses.replace(delivery, message=dataclasses.replace(delivery.message, due=due))


def _tell_organizers(
    session: AsyncSession, settings: Settings, missed: list[tuple[Reminder, str]], now: datetime
) -> list[OutboxMessage]:
    """One message to each organizer on each network whose reminders were missed."""
    if not missed:
        return []
    first = min(reminder.id for reminder, _ in missed)
    text = (
        f"⚠️ {len(missed)} reminders fell due more than {settings.reminders.grace} ago, while "
        f"I was not running, and were not sent. "
        f"{code(settings.bot.prefix + 'reminders missed')} lists them."
    )
    return [
        rows.add(session, key=f"reminders-missed:{first}:{organizer}", network=network,
                 message=Outgoing(text=text, user=organizer), reference="reminder", now=now)
        for network in dict.fromkeys(network for _, network in missed)
        for organizer in organizers_on(settings, network)
    ]


async def next_due(sessions: async_sessionmaker[AsyncSession]) -> datetime | None:
    async with sessions() as session:
        found: datetime | None = await session.scalar(
            select(func.min(Reminder.due_at)).where(Reminder.status == ReminderStatus.PENDING)
        )
        return found


class ReminderService:
    """Delivers reminders when they fall due: an app component (see bot/app.py)."""

    name = "reminders"

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        settings: Settings,
        worker: OutboxWorker,
        scheduler: AsyncIOScheduler,
        *,
        asker: Asker,
    ) -> None:
        self.sessions = sessions
        self.asker = asker
        self.clock = clock
        self.settings = settings
        self.worker = worker
        self.scheduler = scheduler
        self.running = False
        self.replanned = False  # the re-plan at start is done

    async def start(self) -> None:
        self.running = True
        await self.run_due()

    async def replan_all(self) -> int | None:
        """Re-plan every unfinished workshop unless what the plan depends on besides
        the database is unchanged since the last start (bot/scheduling/at_start.py);
        how many reminder rows changed, None when not re-planned."""
        async with writing(self.sessions) as session:
            changed = await at_start.replan_if_changed(session, self.settings, self.clock.now())
        if changed is None:
            log.info("reminders unchanged since the last start")
        else:
            log.info("reminders re-planned at start: %d changed", changed)
        return changed

    async def stop(self) -> None:
        self.running = False
        if self.scheduler.get_job(JOB_ID) is not None:
            self.scheduler.remove_job(JOB_ID)

    async def run_due(self) -> None:
        """Deliver what is due now (the first run re-plans everything first), then wait
        for the next one. While the database cannot be reached (locked by another
        program), try again shortly: the timer must not be lost with the failed run."""
        try:
            if not self.replanned:
                await self.replan_all()
                self.replanned = True
            await deliver_due(self.sessions, self.clock.now(), self.settings, self.worker.hand,
                              asker=self.asker)
        except Exception as exc:
            if not is_unavailable(exc) or not self.running:
                raise
            log.warning("database unavailable for the due reminders; trying again in %d s: %s",
                        UNAVAILABLE_RETRY.total_seconds(), str(exc).splitlines()[0])
            if self.clock.moves_by_itself:  # a simulated one moves by `advance`
                self._arm(self.clock.now() + UNAVAILABLE_RETRY)
            return
        await self.rearm()

    async def rearm(self) -> None:
        """(Re)arm the one timer for the next pending reminder, from the table."""
        if not self.running:
            return
        due = await next_due(self.sessions)
        if due is None or not self.clock.moves_by_itself:
            # A simulated clock moves only by `advance`; no real timer can match it.
            if self.scheduler.get_job(JOB_ID) is not None:
                self.scheduler.remove_job(JOB_ID)
            return
        self._arm(due)

    def _arm(self, when: datetime) -> None:
        self.scheduler.add_job(
            self.run_due, "date", run_date=when, id=JOB_ID, replace_existing=True
        )

    async def advance(self, clock: SetClock, by: timedelta) -> int:
        """Move a simulated clock forward, delivering everything due on the way, in order;
        how many outbox rows were written. Returns when they are all sent."""
        target = clock.now() + by
        written = 0
        while (due := await next_due(self.sessions)) is not None and due <= target:
            clock.set(max(due, clock.now()))
            deliveries = await deliver_due(self.sessions, clock.now(), self.settings,
                                           asker=self.asker)
            written += len(deliveries)
            await self.worker.hand(deliveries).wait()
        clock.set(target)
        return written
