"""When a feedback form's window closes: the one place that decides it.

../shared/PRODUCT.md section 12: a form about one day (a response with a day
number, the daily form) is answerable until `feedback.daily_window` after that
day ends; a form not about one day (day 0: final, debrief) until
`feedback.final_window` after the last day ends. A day number the workshop no
longer has counts as not about one day. After the window, nothing of that form
and day can be saved, so its groups of responses can no longer change, which is
what lets summaries release them to team leads (bot/services/release.py).
"""

from __future__ import annotations

from datetime import datetime

from bot.config import FeedbackSettings, parse_duration
from bot.db.models import Workshop
from bot.services.errors import UserError


class WindowClosed(UserError):
    """A form of a workshop and day can no longer be answered; `closed_at` is when its
    window closed (the command says it in the asker's zone)."""

    def __init__(self, form: str, day: int, closed_at: datetime) -> None:
        super().__init__(f"The {form} form's window closed at {closed_at.isoformat()}.")
        self.form = form
        self.day = day
        self.closed_at = closed_at


def closes_at(settings: FeedbackSettings, workshop: Workshop, day: int | None) -> datetime:
    """The instant the window of a form about `day` (0 or None: not about one day) of
    `workshop` closes; from then on the form is no longer answerable."""
    ends = {d.number: d.ends_at for d in workshop.days}
    if day and day in ends:
        return ends[day] + parse_duration(settings.daily_window)
    return max(ends.values()) + parse_duration(settings.final_window)


def is_open(settings: FeedbackSettings, workshop: Workshop, day: int | None,
            now: datetime) -> bool:
    return now < closes_at(settings, workshop, day)


def require_open(settings: FeedbackSettings, workshop: Workshop, form: str, day: int | None,
                 now: datetime) -> None:
    """WindowClosed when the form about `day` can no longer be answered."""
    closed_at = closes_at(settings, workshop, day)
    if now >= closed_at:
        raise WindowClosed(form, day or 0, closed_at)


def closed_ends(settings: FeedbackSettings, workshop: Workshop, now: datetime
                ) -> dict[int, datetime]:
    """The end of each day whose window has closed (0: the last day's, once the forms
    not about one day closed): what a change of the workshop's days must keep."""
    kept = {d.number: d.ends_at for d in workshop.days
            if now >= closes_at(settings, workshop, d.number)}
    if now >= closes_at(settings, workshop, 0):
        kept[0] = max(d.ends_at for d in workshop.days)
    return kept


class ClosedDayMoved(UserError):
    """A change of a workshop's days would renumber or move a day whose feedback window
    had closed: its responses would join another day's, or its window open again."""

    def __init__(self, day: int, closed_at: datetime) -> None:
        super().__init__(f"Day {day}'s feedback window closed at {closed_at.isoformat()}.")
        self.day = day
        self.closed_at = closed_at


def require_kept(settings: FeedbackSettings, workshop: Workshop, kept: dict[int, datetime]
                 ) -> None:
    """ClosedDayMoved unless every day of `kept` (from `closed_ends` before the change)
    still has its number and end; released summaries then never change."""
    ends = {d.number: d.ends_at for d in workshop.days}
    last = max(ends.values())
    for day, end in sorted(kept.items()):
        if (ends.get(day) if day else last) != end:
            window = settings.daily_window if day else settings.final_window
            raise ClosedDayMoved(day, end + parse_duration(window))
