"""The release rule (pure) and the windows it waits for, on hand-made cases: a lead
of several rooms, a pool's rest just under k, the instant a window closes."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

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


def test_a_pool_never_differs_from_a_released_group_by_fewer_than_k() -> None:
    """The lead of A (2 answers) could see the day's pool of 7; the lead of B sees B's
    5, and so does A's lead once they lead B too: 7 - 5 would be A's 2 answers. The
    pool is shown only when what it holds beyond every released group is 0 or k+."""
    counts = {(1, A): 2, (1, B): 5}
    assert decide(counts, {1: CLOSES}, SHOWN, K, mine=(B,)).blocks == (Block(1, B),)
    assert decide(counts, {1: CLOSES}, SHOWN, K, mine=(A,)).days[0].status is Status.WITHHELD
    enough = counts | {(1, C): 3}  # beyond B's group: A's 2 and C's 3
    assert decide(enough, {1: CLOSES}, SHOWN, K, mine=(A,)).blocks == (Block(1, None),)


@st.composite
def days_counted(draw: st.DrawFn) -> tuple[dict[tuple[int, int | None], int], int]:
    """Closed days' responses per (day, room; None: no room), and k."""
    k = draw(st.sampled_from([2, 3, 5]))
    rooms = draw(st.integers(1, 4))
    cells = st.tuples(st.integers(1, 2), st.none() | st.integers(0, rooms - 1))
    counts = draw(st.dictionaries(cells, st.integers(1, 2 * k), max_size=8))
    return counts, k


@settings(max_examples=2000, deadline=None, database=None)
@given(counted=days_counted(), leads=st.lists(st.sets(st.integers(0, 3), min_size=1),
                                              min_size=1, max_size=4))
def test_no_two_sets_any_leads_see_differ_by_fewer_than_k(
    counted: tuple[dict[tuple[int, int | None], int], int], leads: list[set[int]]
) -> None:
    """Every lead (a lead whose rooms change counts as two; leads may compare notes)
    sees unions of whole cells (a room's day, or a day's whole pool): the difference
    of any two such sets is counted exactly from the cells. 2,000 examples, about 6 s;
    without the rule's part about released groups it failed in each of 3 runs."""
    counts, k = counted
    closes = {1: CLOSES, 2: CLOSES}
    seen: list[set[tuple[int, int | None]]] = []
    for mine in leads:
        for wanted in [None, *({room} for room in mine)]:
            view = decide(counts, closes, SHOWN, k, mine, wanted)
            cells: set[tuple[int, int | None]] = set()
            for block in view.blocks:
                cells |= ({(block.day, block.room_id)} if block.room_id is not None
                          else {cell for cell in counts if cell[0] == block.day})
            seen.append(cells)
    for a, b in itertools.product(seen, seen):
        apart = sum(counts[cell] for cell in a - b)
        assert apart == 0 or apart >= k, (sorted(a, key=str), sorted(b, key=str))
