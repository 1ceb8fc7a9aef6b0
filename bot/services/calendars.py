"""iCalendar files (RFC 5545) of workshop days and onboarding sessions, as bytes.

One place for both the chat (`!onboarding ics`) and the web feeds
(`/workshop.ics`, `/onboarding.ics`). Each event's UID comes from what
identifies it, never from its time (a workshop day: its workshop and date; a
session: its id), so after an edit a calendar program moves the event instead
of adding a second one. Times are UTC instants; calendar programs show them in
the reader's zone.
"""

from __future__ import annotations

from collections.abc import Container, Sequence
from datetime import datetime, timedelta

from icalendar import Calendar, Event

from bot.db.models import OnboardingSession, Workshop
from bot.services import workshops

PRODUCT_ID = "-//classroom-bot//calendars//EN"
UID_DOMAIN = "classroom-bot"


def _calendar(name: str, zone: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    # Names the calendar in Apple Calendar, Thunderbird and Google Calendar.
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", zone)
    return calendar


def _event(uid: str, summary: str, start: datetime, end: datetime, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", summary)
    return event


def day_uid(workshop: Workshop, date_text: str) -> str:
    return f"workshop-{workshop.slug}-{date_text}@{UID_DOMAIN}"


def session_uid(workshop: Workshop, session: OnboardingSession) -> str:
    return f"onboarding-{session.code}-{workshop.slug}@{UID_DOMAIN}"


def workshop_calendar(workshop: Workshop, stamp: datetime) -> bytes:
    """One event per workshop day, with the workshop's links. `stamp` is DTSTAMP."""
    calendar = _calendar(workshop.title, workshop.timezone)
    links = [f"{label}: {url}" for label, url in workshops.links(workshop)]
    total = len(workshop.days)
    for day in workshop.days:
        event = _event(
            day_uid(workshop, day.local_date.isoformat()),
            f"{workshop.title}: day {day.number} of {total}",
            day.starts_at,
            day.ends_at,
            stamp,
        )
        if links:
            event.add("description", "\n".join(links))
        if workshop.stream_url:
            event.add("url", workshop.stream_url)
        calendar.add_component(event)
    return bytes(calendar.to_ical())


def onboarding_calendar(
    workshop: Workshop,
    sessions: Sequence[OnboardingSession],
    mine: int | None,
    stamp: datetime,
    *,
    linked: Container[int] = (),
) -> bytes:
    """The workshop's onboarding sessions; the one with id `mine` is marked as yours.

    Only the sessions whose ids are in `linked` carry their video link (those the
    reader may see: `onboarding.LinkReader`); the public feed carries none.
    """
    calendar = _calendar(f"{workshop.title}: onboarding", workshop.timezone)
    for session in sessions:
        own = session.id == mine
        summary = f"{'★ Your session: ' if own else ''}Onboarding {session.code}: {workshop.title}"
        event = _event(
            session_uid(workshop, session),
            summary,
            session.starts_at,
            session.starts_at + timedelta(minutes=session.minutes),
            stamp,
        )
        shared = ""
        if session.link and session.id in linked:
            event.add("location", session.link)
            event.add("url", session.link)
        elif session.link:
            shared = " The video link is shared with those signed up."
        event.add("description", f"For the team leads and hosts of {workshop.title} "
                  f"({session.audience.value} rooms).{shared}")
        if own:
            event.add("categories", ["SIGNED UP"])
        calendar.add_component(event)
    return bytes(calendar.to_ical())
