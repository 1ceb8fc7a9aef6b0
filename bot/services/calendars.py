"""iCalendar files (RFC 5545) of onboarding sessions and workshop days, as bytes.

UIDs are stable (`onboarding-O2-<slug>@classroom-bot`), so importing the file
again after a session moved moves the event instead of adding a second one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from icalendar import Calendar, Event

from bot.db.models import OnboardingSession, Workshop

PRODID = "-//classroom-bot//onboarding//EN"


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    return calendar


def _event(uid: str, summary: str, start: datetime, end: datetime, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", summary)
    return event


def onboarding_calendar(
    workshop: Workshop, sessions: list[OnboardingSession], mine: int | None, now: datetime
) -> bytes:
    """The workshop's onboarding sessions; the one with id `mine` is marked as yours."""
    calendar = _calendar(f"{workshop.title}: onboarding")
    for session in sessions:
        own = session.id == mine
        summary = f"{'★ Your session: ' if own else ''}Onboarding {session.code}: {workshop.title}"
        event = _event(
            f"onboarding-{session.code}-{workshop.slug}@classroom-bot",
            summary,
            session.starts_at,
            session.starts_at + timedelta(minutes=session.minutes),
            now,
        )
        if session.link:
            event.add("location", session.link)
            event.add("url", session.link)
        event.add("description", f"For the team leads and hosts of {workshop.title} "
                  f"({session.audience.value} rooms).")
        if own:
            event.add("categories", ["SIGNED UP"])
        calendar.add_component(event)
    return bytes(calendar.to_ical())


def workshop_calendar(workshop: Workshop, now: datetime) -> bytes:
    """The workshop's days."""
    calendar = _calendar(workshop.title)
    for day in workshop.days:
        event = _event(
            f"day-{day.number}-{workshop.slug}@classroom-bot",
            f"{workshop.title}: day {day.number}",
            day.starts_at,
            day.ends_at,
            now,
        )
        if workshop.stream_url:
            event.add("url", workshop.stream_url)
        calendar.add_component(event)
    return bytes(calendar.to_ical())
