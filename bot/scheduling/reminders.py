"""Keeping the reminder table in step with the plan.

`replan(session, settings, now)` loads the planner's inputs for every workshop
that is not finished (a finished one's pending reminders are cancelled), plans,
and reconciles the `reminder` table with the
plan in the caller's transaction: new reminders are inserted, pending ones
whose time or text changed are moved, pending ones no longer planned are
cancelled; sent, missed and skipped ones are history and never touched. A new
or moved reminder whose time has already passed is not sent late: it is cancelled (or
not created), as it would be news about something already under way.

The dispatcher calls it after every command that may change something, before
the commit, so the table always matches the facts it was planned from; it
passes what the command touched (bot/scheduling/touched.py), so a learner's
`!join` re-plans the reminders of the people in that room, not the workshop's
tens of thousands (bench/replan.py measures both). The reminder service
re-plans everything once at start when the configuration, forms or code the plan
depends on changed since the last run (bot/scheduling/at_start.py), so a changed
`[reminders]` configuration moves the pending reminders without a command.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import (
    FeedbackSettings,
    ReminderSettings,
    Settings,
    parse_duration,
)
from bot.config_sections import parse_optional_duration
from bot.db.locks import lock_workshops
from bot.db.models import (
    LocalRoom,
    MemberRole,
    Membership,
    OnboardingSession,
    OnboardingSignup,
    Person,
    Reminder,
    ReminderStatus,
    RoomMode,
    RoomStatus,
    Workshop,
    WorkshopState,
)
from bot.scheduling import planner
from bot.scheduling.planner import (
    DayFacts,
    Offsets,
    PersonFacts,
    Planned,
    RoomFacts,
    SessionFacts,
    WorkshopFacts,
)
from bot.scheduling.touched import Touched
from bot.services import feedback
from bot.values import parse_days

# Narrowed to more people than this, a re-plan plans everything (one query per workshop
# instead of a list of ids near SQLite's limit of bound parameters).
NARROW_AT_MOST = 5_000
# A whole workshop with more people than this is planned this many at a time.
CHUNK = 2_000


def offsets_of(settings: ReminderSettings, windows: FeedbackSettings) -> Offsets:
    """The planner's offsets from the `[reminders]` section and, for the reminder before
    a form's window closes, the windows of the `[feedback]` section."""
    return Offsets(
        onboarding_before=tuple(parse_duration(text) for text in settings.onboarding_before),
        pick_session_before=parse_duration(f"{settings.pick_session_days_before}d"),
        learner_day_before=parse_duration(settings.learner_day_before),
        day_start_before=parse_duration(settings.day_start_before),
        day_end_after=parse_duration(settings.day_end_after),
        final_after=parse_duration(settings.final_after),
        form_closing_before=parse_optional_duration(settings.form_closing_before),
        daily_window=parse_duration(windows.daily_window),
        final_window=parse_duration(windows.final_window),
    )


def forms_in_use(settings: Settings) -> frozenset[str]:
    """The feedback forms reminders may start: none while feedback is off."""
    return frozenset(feedback.forms(settings)) if settings.feedback.enabled else frozenset()


async def facts(
    session: AsyncSession, workshop: Workshop, default_zone: str,
    people_of: Collection[int] | None = None,
) -> WorkshopFacts:
    """The planner's inputs for one workshop, read with a few plain queries.

    With `people_of`, only what those people's reminders are planned from: the
    rooms any of them is in (with all their members, for the counts staff see)
    and their own onboarding sign-ups.
    """
    live = [LocalRoom.workshop_id == workshop.id, LocalRoom.status != RoomStatus.WITHDRAWN]
    if people_of is not None:
        live.append(LocalRoom.id.in_(
            select(Membership.room_id).where(Membership.person_id.in_(people_of))
        ))
    rooms = (
        await session.execute(
            select(LocalRoom.id, LocalRoom.name, LocalRoom.mode, LocalRoom.venue, LocalRoom.days)
            .where(*live)
            .order_by(LocalRoom.id)
        )
    ).all()
    members: dict[int, dict[MemberRole, list[int]]] = defaultdict(lambda: defaultdict(list))
    for room_id, person_id, role in await session.execute(
        select(Membership.room_id, Membership.person_id, Membership.role)
        .join(LocalRoom, Membership.room_id == LocalRoom.id)
        .where(*live)
        .order_by(Membership.id)
    ):
        members[room_id][role].append(person_id)
    sessions = (
        await session.execute(
            select(OnboardingSession.id, OnboardingSession.starts_at,
                   OnboardingSession.minutes, OnboardingSession.link)
            .where(OnboardingSession.workshop_id == workshop.id)
        )
    ).all()
    signed_up = select(OnboardingSignup.person_id, OnboardingSignup.session_id).where(
        OnboardingSignup.workshop_id == workshop.id
    )
    if people_of is not None:
        signed_up = signed_up.where(OnboardingSignup.person_id.in_(people_of))
    signups = dict((await session.execute(signed_up)).all())
    wanted = {p for room in members.values() for ids in room.values() for p in ids} | set(signups)
    people: dict[int, PersonFacts] = {}
    zones: dict[str | None, ZoneInfo] = {}
    if wanted:
        for person_id, timezone, wants in await session.execute(
            select(Person.id, Person.timezone, Person.reminders).where(Person.id.in_(wanted))
        ):
            if timezone not in zones:
                zones[timezone] = ZoneInfo(timezone or default_zone)
            people[person_id] = PersonFacts(person_id, zones[timezone], wants)
    return WorkshopFacts(
        id=workshop.id,
        slug=workshop.slug,
        title=workshop.title,
        days=tuple(DayFacts(d.number, d.starts_at, d.ends_at) for d in workshop.days),
        rooms=tuple(
            RoomFacts(
                id=room_id, name=name, in_person=mode is RoomMode.IN_PERSON, venue=venue,
                days=parse_days(days) if days else None,
                learners=tuple(members[room_id][MemberRole.LEARNER]),
                staff=tuple(members[room_id][MemberRole.HOST] + members[room_id][MemberRole.LEAD]),
            )
            for room_id, name, mode, venue, days in rooms
        ),
        sessions=tuple(SessionFacts(*row) for row in sessions),
        people=people,
        signups=signups,
        stream_url=workshop.stream_url,
        notes_url=workshop.notes_url,
        setup_url=workshop.setup_url,
    )


async def replan(
    session: AsyncSession, settings: Settings, now: datetime, touched: Touched | None = None
) -> int:
    """Re-plan the unfinished workshops; how many reminder rows changed.

    With `touched` (what a command changed, bot/scheduling/touched.py), only the
    reminders fed by those facts: a touched workshop is re-planned whole; for a
    touched room or person, the reminders of the people concerned (the person;
    everyone in the room, whose counts and texts may show it). Nothing touched:
    nothing to do. Without it, or when it cannot be narrowed, everything.

    The unfinished workshops' rows are locked first (a no-op on SQLite, which has
    the whole database locked already): on PostgreSQL a transaction re-planning at
    the same time would otherwise read the memberships before this one commits and
    the reminders after, and cancel the reminders of a learner it never saw join.
    """
    if touched is not None and not touched:
        return 0
    await lock_workshops(
        session, select(Workshop.id).where(Workshop.state != WorkshopState.FINISHED))
    narrow = touched is not None and not touched.everything
    people_of: set[int] | None = None
    if narrow and touched is not None and (touched.rooms or touched.people):
        people_of = set(touched.people)
        if touched.rooms:
            people_of |= set((await session.scalars(
                select(Membership.person_id).where(Membership.room_id.in_(touched.rooms))
            )).all())
        if len(people_of) > NARROW_AT_MOST:
            narrow, people_of = False, None
    found = await session.scalars(
        select(Workshop)
        .where(Workshop.state != WorkshopState.FINISHED)
        .order_by(Workshop.id)
        .execution_options(populate_existing=True)
    )
    changed = 0
    for workshop in found:
        if not narrow or (touched is not None and workshop.id in touched.workshops):
            changed += await _replan_whole(session, settings, workshop, now)
        elif people_of:
            changed += await _replan_workshop(session, settings, workshop, now, people_of)
    # A finished workshop needs no more reminders: what is still pending is cancelled.
    finished = select(Workshop.id).where(Workshop.state == WorkshopState.FINISHED)
    ended = await session.execute(
        update(Reminder)
        .where(Reminder.status == ReminderStatus.PENDING, Reminder.workshop_id.in_(finished),
               Reminder.kind.in_(planner.KINDS))
        .values(status=ReminderStatus.CANCELLED)
    )
    return changed + int(getattr(ended, "rowcount", 0) or 0)


async def _replan_whole(
    session: AsyncSession, settings: Settings, workshop: Workshop, now: datetime
) -> int:
    """Plan all of one workshop: at once, or for a big one, `CHUNK` people at a time.

    At once, a workshop of 10,000 learners holds its whole plan and reminder rows in
    memory (about 75 MB more at the peak, bench/memory.py). By chunks, each person's
    reminders are planned from the same facts (all their rooms with all members,
    the sessions, their sign-up: `facts` narrowed to them) and reconciled for them
    alone; the people come room by room, so a chunk loads its own rooms, and those
    left without a room or sign-up still have their pending reminders cancelled.
    """
    live = (LocalRoom.workshop_id == workshop.id, LocalRoom.status != RoomStatus.WITHDRAWN)
    ordered = dict.fromkeys(await session.scalars(
        select(Membership.person_id).join(LocalRoom, Membership.room_id == LocalRoom.id)
        .where(*live).order_by(Membership.room_id, Membership.id)
    ))
    if len(ordered) <= CHUNK:
        return await _replan_workshop(session, settings, workshop, now, None)
    for query in (
        select(OnboardingSignup.person_id).where(OnboardingSignup.workshop_id == workshop.id),
        select(Reminder.person_id).where(Reminder.workshop_id == workshop.id,
                                         Reminder.status == ReminderStatus.PENDING,
                                         Reminder.kind.in_(planner.KINDS)).distinct(),
    ):
        ordered.update(dict.fromkeys(await session.scalars(query)))
    people = list(ordered)
    changed = 0
    for start in range(0, len(people), CHUNK):
        changed += await _replan_workshop(session, settings, workshop, now,
                                          set(people[start:start + CHUNK]))
    return changed


async def _replan_workshop(
    session: AsyncSession, settings: Settings, workshop: Workshop, now: datetime,
    people_of: set[int] | None,
) -> int:
    """Plan one workshop (only `people_of`'s reminders, when given) and reconcile."""
    planned: list[Planned] = []
    if settings.reminders.enabled:
        inputs = await facts(session, workshop, settings.bot.default_timezone, people_of)
        planned = planner.plan(inputs, offsets_of(settings.reminders, settings.feedback),
                               settings.bot.prefix,
                               forms_in_use(settings))
        if people_of is not None:
            planned = [p for p in planned if p.person_id in people_of]
    return await reconcile(session, workshop.id, planned, now, people_of)


async def reconcile(
    session: AsyncSession, workshop_id: int, planned: list[Planned], now: datetime,
    people_of: Collection[int] | None = None,
) -> int:
    """Make the workshop's reminder rows (of `people_of` only, when given) match
    `planned`; how many rows changed. Only the kinds the planner plans are its to
    move or cancel (the benchmarks seed rows of their own, bench/seed.py)."""
    query = select(Reminder.dedupe_key, Reminder.id, Reminder.status, Reminder.due_at,
                   Reminder.text, Reminder.person_id).where(
        Reminder.workshop_id == workshop_id, Reminder.kind.in_(planner.KINDS))
    if people_of is not None:
        query = query.where(Reminder.person_id.in_(people_of))
    existing = {
        key: (rid, status, due_at, text, person_id)
        for key, rid, status, due_at, text, person_id in await session.execute(query)
    }
    new: list[dict[str, object]] = []
    moved: list[dict[str, object]] = []
    cancel: list[int] = []
    for item in planned:
        found = existing.pop(item.key, None)
        if found is None:
            if item.due_at > now:
                new.append({
                    "dedupe_key": item.key, "workshop_id": workshop_id,
                    "person_id": item.person_id, "kind": item.kind, "due_at": item.due_at,
                    "text": item.text, "status": ReminderStatus.PENDING, "created_at": now,
                })
            continue
        rid, status, due_at, text, _ = found
        if status in (ReminderStatus.SENT, ReminderStatus.MISSED, ReminderStatus.SKIPPED):
            continue
        same = due_at == item.due_at and text == item.text
        if status is ReminderStatus.PENDING and same:
            continue
        if item.due_at > now:
            moved.append({"rid": rid, "due_at": item.due_at, "text": item.text,
                          "status": ReminderStatus.PENDING})
        elif status is ReminderStatus.PENDING and due_at != item.due_at:
            cancel.append(rid)  # moved into the past: news about something under way
    cancel += [
        rid for rid, status, *_ in existing.values() if status is ReminderStatus.PENDING
    ]
    if new:
        await session.execute(insert(Reminder), new)
    if moved:
        await session.execute(
            update(Reminder),
            [{"id": m["rid"], "due_at": m["due_at"], "text": m["text"], "status": m["status"]}
             for m in moved],
        )
    if cancel:
        await session.execute(
            update(Reminder)
            .where(Reminder.id.in_(cancel))
            .values(status=ReminderStatus.CANCELLED)
        )
    return len(new) + len(moved) + len(cancel)

