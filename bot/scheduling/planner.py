"""The reminder planner: a pure function from a workshop's facts to the reminders it needs.

No database and no clock here: `plan(workshop, offsets, prefix)` takes plain
dataclasses (loaded by bot/scheduling/reminders.py) and returns one `Planned`
per reminder and recipient, with its due instant in UTC and its text in the
recipient's zone. Dedupe keys are built from what survives edits (the
workshop id, the session's `O` number, the day's number, the person), so a
moved session or day moves its reminders instead of creating new ones.
The schedule is ../shared/PRODUCT.md section 4; every offset comes from the
`[reminders]` configuration section. Before a form's window closes
(../shared/PRODUCT.md section 12, bot/services/windows.py) each person asked it
gets one more reminder, kept out of their night (bot/scheduling/night.py).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.scheduling import night
from bot.text import ahead, code, escape, link
from bot.text import span as _span
from bot.text import when as _when

# Thousands of recipients share a few zones: format each time once per zone.
span = functools.lru_cache(maxsize=4096)(_span)
when = functools.lru_cache(maxsize=4096)(_when)
escape = functools.lru_cache(maxsize=4096)(escape)
out_of_night = functools.lru_cache(maxsize=4096)(night.out_of_night)

ONBOARDING = "onboarding"
PICK_SESSION = "pick-session"
LEARNER_DAY_BEFORE = "learner-day-before"
DAY_START = "day-start"
DAY_END = "day-end"
FINAL = "final"
DEBRIEF = "debrief"
DAILY_CLOSING = "daily-closing"
FINAL_CLOSING = "final-closing"
DEBRIEF_CLOSING = "debrief-closing"
# At a day's end, to each host and team lead of a room that met: its attendance.
ATTENDANCE = "attendance"
KINDS = (ONBOARDING, PICK_SESSION, LEARNER_DAY_BEFORE, DAY_START, DAY_END, FINAL, DEBRIEF,
         DAILY_CLOSING, FINAL_CLOSING, DEBRIEF_CLOSING, ATTENDANCE)
# The feedback form each kind starts when it is delivered (bot/scheduling/delivery.py).
FORM_OF = {DAY_END: "daily", FINAL: "final", DEBRIEF: "debrief",
           DAILY_CLOSING: "daily", FINAL_CLOSING: "final", DEBRIEF_CLOSING: "debrief"}
# The reminder before the window of the form a kind asks closes.
CLOSING_OF = {DAY_END: DAILY_CLOSING, FINAL: FINAL_CLOSING, DEBRIEF: DEBRIEF_CLOSING}


@dataclass(frozen=True)
class Offsets:
    onboarding_before: tuple[timedelta, ...] = (timedelta(hours=24), timedelta(hours=1))
    pick_session_before: timedelta = timedelta(days=7)
    learner_day_before: timedelta = timedelta(days=1)
    day_start_before: timedelta = timedelta(minutes=30)
    day_end_after: timedelta = timedelta(0)
    final_after: timedelta = timedelta(hours=1)
    # How long before a form's window closes its last reminder is due; None: none.
    form_closing_before: timedelta | None = timedelta(hours=12)
    # The windows themselves (`[feedback]` daily_window, final_window).
    daily_window: timedelta = timedelta(hours=36)
    final_window: timedelta = timedelta(days=7)


@dataclass(frozen=True)
class PersonFacts:
    id: int
    zone: ZoneInfo
    reminders: bool = True


@dataclass(frozen=True)
class DayFacts:
    number: int
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class RoomFacts:
    id: int
    name: str
    in_person: bool
    venue: str | None = None
    # Day numbers the room meets on; None: every day.
    days: frozenset[int] | None = None
    learners: tuple[int, ...] = ()
    staff: tuple[int, ...] = ()  # hosts and team leads

    @property
    def code(self) -> str:
        return f"R{self.id}"

    def meets_on(self, number: int) -> bool:
        return self.days is None or number in self.days


@dataclass(frozen=True)
class SessionFacts:
    id: int
    starts_at: datetime
    minutes: int = 60
    link: str | None = None

    @property
    def code(self) -> str:
        return f"O{self.id}"


@dataclass(frozen=True)
class WorkshopFacts:
    id: int
    slug: str
    title: str
    days: tuple[DayFacts, ...]
    rooms: tuple[RoomFacts, ...] = ()
    sessions: tuple[SessionFacts, ...] = ()
    people: dict[int, PersonFacts] = field(default_factory=dict)
    # Person id -> the id of the session they signed up for.
    signups: dict[int, int] = field(default_factory=dict)
    stream_url: str | None = None
    notes_url: str | None = None
    setup_url: str | None = None  # the installation instructions


@dataclass(frozen=True)
class Planned:
    key: str
    person_id: int
    kind: str
    due_at: datetime
    text: str


def plan(
    workshop: WorkshopFacts, offsets: Offsets, prefix: str, forms: frozenset[str] = frozenset()
) -> list[Planned]:
    """Every reminder the workshop needs, for people who want reminders. `forms` are the
    feedback forms in use (none when feedback is off): a reminder that starts a form is
    planned only when its form is there."""
    if not workshop.days:
        return []
    found = [
        *_onboarding(workshop, offsets),
        *_pick_session(workshop, offsets, prefix),
        *_learner_day_before(workshop, offsets),
        *_day_starts(workshop, offsets),
        *_day_ends(workshop, offsets, forms),
        *_attendance(workshop, offsets),
        *_final(workshop, offsets, forms),
    ]
    found += _closings(workshop, offsets, forms, found)
    return [p for p in found if workshop.people[p.person_id].reminders]


def _key(workshop: WorkshopFacts, *parts: object) -> str:
    return ":".join([f"w{workshop.id}", *(str(part) for part in parts)])


def _label(offset: timedelta) -> str:
    """An offset in a dedupe key, exact: two offsets have the same label only when they
    are the same (60s and 90s were both `1m`, and the second reminder clashed)."""
    seconds = int(offset.total_seconds())
    if seconds % 60:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes % 60 == 0 and minutes:
        return f"{minutes // 60}h"
    return f"{minutes}m"


def _links(workshop: WorkshopFacts) -> list[str]:
    return [
        f"{label}: {link(url)}"
        for label, url in (("Stream", workshop.stream_url), ("Shared notes", workshop.notes_url))
        if url
    ]


def _staff(workshop: WorkshopFacts) -> dict[int, list[RoomFacts]]:
    """Hosts and team leads, each with their rooms."""
    staff: dict[int, list[RoomFacts]] = {}
    for room in workshop.rooms:
        for person in room.staff:
            if room not in staff.setdefault(person, []):
                staff[person].append(room)
    return staff


def _learners(workshop: WorkshopFacts) -> dict[int, RoomFacts]:
    return {person: room for room in workshop.rooms for person in room.learners}


def _onboarding(workshop: WorkshopFacts, offsets: Offsets) -> Iterator[Planned]:
    sessions = {s.id: s for s in workshop.sessions}
    for person_id, session_id in sorted(workshop.signups.items()):
        session = sessions.get(session_id)
        if session is None:
            continue
        zone = workshop.people[person_id].zone
        ends_at = session.starts_at + timedelta(minutes=session.minutes)
        where = f" Join at {link(session.link)}" if session.link else ""
        for offset in dict.fromkeys(offsets.onboarding_before):  # `1h` and `60m`: once
            yield Planned(
                _key(workshop, ONBOARDING, session.code, person_id, _label(offset)),
                person_id,
                ONBOARDING,
                session.starts_at - offset,
                f"⏰ Your onboarding session {session.code} for {escape(workshop.title)} "
                f"is {ahead(offset)}, on {span(session.starts_at, ends_at, zone)}.{where}",
            )


def _pick_session(workshop: WorkshopFacts, offsets: Offsets, prefix: str) -> Iterator[Planned]:
    if not workshop.sessions:
        return
    first = workshop.days[0]
    for person_id in sorted(_staff(workshop)):
        if person_id in workshop.signups:
            continue
        zone = workshop.people[person_id].zone
        yield Planned(
            _key(workshop, PICK_SESSION, person_id),
            person_id,
            PICK_SESSION,
            first.starts_at - offsets.pick_session_before,
            f"⏰ {escape(workshop.title)} starts on {when(first.starts_at, zone)} and you have "
            f"not picked an onboarding session yet. {code(prefix + 'onboarding')} lists them; "
            f"{code(prefix + 'onboarding join O1')} signs you up.",
        )


def _learner_day_before(workshop: WorkshopFacts, offsets: Offsets) -> Iterator[Planned]:
    first = workshop.days[0]
    for person_id, room in sorted(_learners(workshop).items()):
        zone = workshop.people[person_id].zone
        place = (
            f"Venue: {escape(room.venue)}" if room.in_person and room.venue
            else f"Video link: {link(room.venue)}" if room.venue
            else ""
        )
        lines = [
            f"⏰ {escape(workshop.title)} starts on {span(first.starts_at, first.ends_at, zone)}, "
            f"in your local room {room.code} {escape(room.name)}.",
            *([place] if place else []),
            *_links(workshop),
            "Please install the software before the first day: the setup instructions are at "
            f"{link(workshop.setup_url)}." if workshop.setup_url
            else "Please install the software the organizers ask for before the first day.",
        ]
        yield Planned(
            _key(workshop, LEARNER_DAY_BEFORE, person_id),
            person_id,
            LEARNER_DAY_BEFORE,
            first.starts_at - offsets.learner_day_before,
            "\n".join(lines),
        )


def _day_starts(workshop: WorkshopFacts, offsets: Offsets) -> Iterator[Planned]:
    for person_id, rooms in sorted(_staff(workshop).items()):
        zone = workshop.people[person_id].zone
        for day in workshop.days:
            meeting = [room for room in rooms if room.meets_on(day.number)]
            if not meeting:
                continue
            counts = ", ".join(
                f"{room.code} {escape(room.name)}: {len(room.learners)} "
                f"{'learner' if len(room.learners) == 1 else 'learners'}"
                for room in meeting
            )
            lines = [
                f"⏰ Day {day.number} of {escape(workshop.title)} starts at "
                f"{when(day.starts_at, zone)}. Your room: {counts}.",
                *_links(workshop),
            ]
            yield Planned(
                _key(workshop, DAY_START, day.number, person_id),
                person_id,
                DAY_START,
                day.starts_at - offsets.day_start_before,
                "\n".join(lines),
            )


def day_of(key: str) -> int:
    """The day number in a day-end reminder's dedupe key (`w1:day-end:2:7` -> 2)."""
    return int(key.split(":")[2])


def asked_day(kind: str, key: str) -> int | None:
    """The day a FORM_OF reminder is about (`w1:daily-closing:2:7` -> 2); None for the
    forms not about one day (final, debrief) and for kinds that ask no form."""
    return day_of(key) if FORM_OF.get(kind) == FORM_OF[DAY_END] else None


def _day_ends(
    workshop: WorkshopFacts, offsets: Offsets, forms: frozenset[str]
) -> Iterator[Planned]:
    """At the end of each day, the day's form to each learner whose room met that day."""
    if FORM_OF[DAY_END] not in forms:
        return
    for day in workshop.days:
        for person_id, room in sorted(_learners(workshop).items()):
            if not room.meets_on(day.number):
                continue
            yield Planned(
                _key(workshop, DAY_END, day.number, person_id),
                person_id,
                DAY_END,
                day.ends_at + offsets.day_end_after,
                f"📝 Day {day.number} of {escape(workshop.title)} is over: tell us how it went.",
            )


def room_of(key: str) -> int:
    """The room in an attendance reminder's dedupe key (`w1:attendance:2:7:R10` -> 10)."""
    return int(key.split(":")[4].removeprefix("R"))


def _attendance(workshop: WorkshopFacts, offsets: Offsets) -> Iterator[Planned]:
    """At the end of each day, each host and team lead of a room that met is asked how
    many learners came (the question is a conversation, bot/scheduling/asking.py)."""
    for day in workshop.days:
        for person_id, rooms in sorted(_staff(workshop).items()):
            for room in (r for r in rooms if r.meets_on(day.number)):
                yield Planned(
                    _key(workshop, ATTENDANCE, day.number, person_id, room.code),
                    person_id,
                    ATTENDANCE,
                    day.ends_at + offsets.day_end_after,
                    f"📋 Day {day.number} of {escape(workshop.title)} has ended in "
                    f"{room.code} {escape(room.name)}.",
                )


def _final(workshop: WorkshopFacts, offsets: Offsets, forms: frozenset[str]) -> Iterator[Planned]:
    """After the last day: learners get the `final` form, leads and hosts the `debrief`
    form (the thanks alone when that form is not in use)."""
    last = workshop.days[-1]
    due = last.ends_at + offsets.final_after
    thanks = f"Thank you for taking part in {escape(workshop.title)}!"
    staff = _staff(workshop)
    for person_id in sorted({*_learners(workshop), *staff}):
        kind = DEBRIEF if person_id in staff else FINAL
        asks = FORM_OF[kind] in forms
        yield Planned(
            _key(workshop, kind, person_id),
            person_id,
            kind,
            due,
            thanks + (" Tell us how it went, right here." if asks else ""),
        )


def _closings(
    workshop: WorkshopFacts, offsets: Offsets, forms: frozenset[str], asking: list[Planned]
) -> Iterator[Planned]:
    """Before each asked form's window closes, one reminder to the person asked it, due
    `form_closing_before` ahead of the close and kept out of their night. None when that
    would be due when the form is asked or earlier (a window shorter than the offset)."""
    before = offsets.form_closing_before
    if not before:
        return
    ends = {day.number: day.ends_at for day in workshop.days}
    last = max(ends.values())
    for asked in asking:
        closing = CLOSING_OF.get(asked.kind)
        if closing is None or FORM_OF[asked.kind] not in forms:
            continue
        form = FORM_OF[asked.kind]
        day = asked_day(asked.kind, asked.key)
        closes = (ends[day] + offsets.daily_window if day
                  else last + offsets.final_window)
        due = closes - before
        if due <= asked.due_at:
            continue
        zone = workshop.people[asked.person_id].zone
        about = f"about day {day} of" if day else "of"
        yield Planned(
            asked.key.replace(f":{asked.kind}:", f":{closing}:", 1),
            asked.person_id,
            closing,
            out_of_night(due, zone, asked.due_at, closes),
            f"⏳ The {code(form)} form {about} {escape(workshop.title)} can be answered "
            f"until {_until(closes, zone)}.",
        )


@functools.lru_cache(maxsize=4096)
def _until(instant: datetime, zone: ZoneInfo) -> str:
    """`Wed 17 Mar 21:00 (Asia/Kolkata)`: the zone by its name, which says where."""
    local = instant.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %H:%M} ({zone.key})"
