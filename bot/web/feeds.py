"""iCalendar feeds: the workshop's days, and the onboarding sessions.

Calendar programs subscribe to these URLs and poll them. Each event's UID is
derived from what identifies it, never from its time, so an edited day (new
hours, a new zone) replaces the event in people's calendars instead of adding
a second one: a workshop day is identified by its workshop and its date.
"""

from __future__ import annotations

from datetime import datetime

from icalendar import Calendar, Event
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Workshop

PRODUCT_ID = "-//classroom-bot//web feeds//EN"
UID_DOMAIN = "classroom-bot"


def _calendar(name: str, zone: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    # Names the feed in Apple Calendar, Thunderbird and Google Calendar.
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", zone)
    return calendar


def day_uid(workshop: Workshop, date_text: str) -> str:
    return f"workshop-{workshop.slug}-{date_text}@{UID_DOMAIN}"


def workshop_feed(workshop: Workshop, stamp: datetime) -> bytes:
    """One event per workshop day, in UTC (calendar programs show it in the reader's
    zone). `stamp` is DTSTAMP, when the feed was made."""
    calendar = _calendar(workshop.title, workshop.timezone)
    links = [
        f"{label}: {url}"
        for label, url in (("Stream", workshop.stream_url), ("Notes", workshop.notes_url),
                           ("Registration", workshop.registration_url))
        if url
    ]
    total = len(workshop.days)
    for day in workshop.days:
        event = Event()
        event.add("uid", day_uid(workshop, day.local_date.isoformat()))
        event.add("dtstamp", stamp)
        event.add("dtstart", day.starts_at)
        event.add("dtend", day.ends_at)
        event.add("summary", f"{workshop.title}: day {day.number} of {total}")
        if links:
            event.add("description", "\n".join(links))
        if workshop.stream_url:
            event.add("url", workshop.stream_url)
        calendar.add_component(event)
    return bytes(calendar.to_ical())


async def onboarding_feed(session: AsyncSession, workshop: Workshop) -> bytes:
    """The workshop's onboarding sessions as a calendar.

    Empty for now: the onboarding sessions arrive with the reminders work (issue
    "reminders"); this is filled from them when both land (UIDs from the session
    id, `onboarding-<id>@classroom-bot`, so a moved session moves).
    """
    calendar = _calendar(f"{workshop.title}: onboarding", workshop.timezone)
    return bytes(calendar.to_ical())
