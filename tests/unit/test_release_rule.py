"""The release rule (pure) and the windows it waits for, on hand-made cases: a lead
of several rooms, a pool's rest just under k, the instant a window closes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.config import FeedbackSettings
from bot.db.models import Workshop
from bot.services import windows
from bot.services.release import SETTLE, Block, Status, decide
from bot.services.workshops import build_days
from bot.values import TimeRange

K = 5
CLOSES = datetime(2026, 3, 19, 2, tzinfo=UTC)
SHOWN = CLOSES + SETTLE
A, B, C = 1, 11, 111  # ids whose digits are prefixes of one another


def test_a_lead_of_several_rooms_sees_their_released_groups_never_the_pool() -> None:
    counts = {(1, A): 6, (1, B): 2, (1, C): 7, (1, None): 1}
    (day,) = decide(counts, {1: CLOSES}, SHOWN, K, mine=(A, B)).days
    assert (day.status, day.rooms, day.withheld) == (Status.RELEASED, (A,), (B,))
    # Asking for B alone: B's 2 are never shown, nor is the pool (A has its own group).
    only_b = decide(counts, {1: CLOSES}, SHOWN, K, mine=(A, B), wanted=(B,))
    assert only_b.days[0].status is Status.WITHHELD and only_b.blocks == ()


def test_the_pool_counts_the_rest_outside_all_of_the_leads_rooms() -> None:
    mine = (A, B)
    alone = {(1, A): 2, (1, B): 3}  # the pool is only their rooms' 5: no one else's
    assert decide(alone, {1: CLOSES}, SHOWN, K, mine).blocks == (Block(1, None),)
    one_short = alone | {(1, C): 3, (1, None): 1}  # 4 outside their rooms
    assert decide(one_short, {1: CLOSES}, SHOWN, K, mine).days[0].status is Status.WITHHELD
    enough = one_short | {(1, None): 2}
    assert decide(enough, {1: CLOSES}, SHOWN, K, mine).blocks == (Block(1, None),)
    assert decide({(1, A): 4}, {1: CLOSES}, SHOWN, K, (A,)).blocks == ()  # pool < k


def test_nothing_is_shown_until_the_window_closed_and_settled() -> None:
    """SETTLE after the end: an answer that read the clock just before may still be
    committing when the window closes."""
    counts = {(1, A): 9, (2, A): 9}
    closes = {1: CLOSES, 2: CLOSES + timedelta(days=1)}
    early = decide(counts, closes, SHOWN - timedelta(seconds=1), K, (A,))
    assert [d.status for d in early.days] == [Status.OPEN, Status.OPEN] and not early.blocks
    later = decide(counts, closes, SHOWN, K, (A,))
    assert later.blocks == (Block(1, A),) and later.days[1].status is Status.OPEN


def test_windows_close_after_the_day_or_after_the_last_day() -> None:
    zone = ZoneInfo("Asia/Kolkata")
    workshop = Workshop(slug="w", timezone=zone.key, days=build_days(zone, [
        (date(2026, 3, 17), TimeRange(time(10), time(15))),
        (date(2026, 3, 18), TimeRange(time(10), time(15)))]))
    config = FeedbackSettings(daily_window="36h", final_window="7d")
    day_2_end = datetime(2026, 3, 18, 9, 30, tzinfo=UTC)  # 15:00 IST
    assert windows.closes_at(config, workshop, 2) == day_2_end + timedelta(hours=36)
    assert windows.closes_at(config, workshop, 0) == day_2_end + timedelta(days=7)
    assert windows.closes_at(config, workshop, 3) == day_2_end + timedelta(days=7)  # no day 3
    closes = day_2_end + timedelta(hours=36)
    assert windows.is_open(config, workshop, 2, closes - timedelta(microseconds=1))
    assert not windows.is_open(config, workshop, 2, closes)
