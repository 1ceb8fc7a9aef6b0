"""The reminder planner (a pure function) across daylight-saving changes and edits."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.scheduling import planner
from bot.scheduling.planner import (
    DayFacts,
    Offsets,
    PersonFacts,
    RoomFacts,
    SessionFacts,
    WorkshopFacts,
)
from bot.services.localtime import instant

LEAD, LEARNER, FAR_LEAD = 1, 2, 3


def workshop(zone: str, first: date, days: int = 3, **extra: object) -> WorkshopFacts:
    tz = ZoneInfo(zone)
    facts: dict[str, object] = {
        "id": 1,
        "slug": "w",
        "title": "Workshop",
        "days": tuple(
            DayFacts(
                n,
                instant(first + timedelta(days=n - 1), time(9), tz),
                instant(first + timedelta(days=n - 1), time(15), tz),
            )
            for n in range(1, days + 1)
        ),
        "rooms": (RoomFacts(7, "Oslo room", True, "Main hall", None, (LEARNER,), (LEAD,)),),
        "people": {
            LEAD: PersonFacts(LEAD, tz),
            LEARNER: PersonFacts(LEARNER, tz),
            FAR_LEAD: PersonFacts(FAR_LEAD, ZoneInfo("Asia/Tokyo")),
        },
        "stream_url": "https://stream.example.org/live",
    }
    facts.update(extra)
    return WorkshopFacts(**facts)  # type: ignore[arg-type]


CHANGES = [
    ("Europe/Stockholm", date(2027, 3, 27)),  # summer time from 28 Mar
    ("Europe/Stockholm", date(2027, 10, 30)),  # winter time from 31 Oct
    ("America/New_York", date(2027, 3, 13)),  # from 14 Mar
    ("America/New_York", date(2027, 11, 6)),  # from 7 Nov
]


@pytest.mark.parametrize(("zone", "first"), CHANGES)
def test_a_day_start_reminds_at_0830_local_on_both_sides_of_a_clock_change(
    zone: str, first: date
) -> None:
    planned = planner.plan(workshop(zone, first), Offsets(), "!")
    starts = [p for p in planned if p.kind == planner.DAY_START and p.person_id == LEAD]
    local = [p.due_at.astimezone(ZoneInfo(zone)) for p in starts]
    assert [(d.date(), d.time()) for d in local] == [
        (first + timedelta(days=n), time(8, 30)) for n in range(3)
    ]
    offsets = {d.utcoffset() for d in local}
    assert len(offsets) == 2, "the days straddle the change"
    assert len({p.key for p in planned}) == len(planned), "one reminder per key"
    assert all(p.due_at.tzinfo is not None for p in planned)


@pytest.mark.parametrize(("zone", "first"), CHANGES)
def test_a_recipient_elsewhere_sees_their_own_local_time(zone: str, first: date) -> None:
    facts = workshop(zone, first)
    room = RoomFacts(7, "Oslo room", True, "Main hall", None, (LEARNER,), (LEAD, FAR_LEAD))
    planned = planner.plan(
        WorkshopFacts(**{**facts.__dict__, "rooms": (room,)}), Offsets(), "!"
    )
    far = [p for p in planned if p.kind == planner.DAY_START and p.person_id == FAR_LEAD]
    assert len(far) == 3
    for n, reminder in enumerate(far):
        start = facts.days[n].starts_at.astimezone(ZoneInfo("Asia/Tokyo"))
        assert f"{start:%H:%M} JST" in reminder.text
        assert "1 learner" in reminder.text
        assert "https://stream.example.org/live" in reminder.text


def test_the_schedule_of_section_4() -> None:
    facts = workshop(
        "Europe/Oslo",
        date(2027, 3, 8),
        sessions=(SessionFacts(2, datetime(2027, 3, 2, 13, tzinfo=UTC), 60, "https://m.org/o2"),),
        signups={LEAD: 2},
    )
    planned = {p.key: p for p in planner.plan(facts, Offsets(), "?")}
    first = facts.days[0].starts_at
    assert planned["w1:onboarding:O2:1:24h"].due_at == datetime(2027, 3, 1, 13, tzinfo=UTC)
    assert planned["w1:onboarding:O2:1:1h"].due_at == datetime(2027, 3, 2, 12, tzinfo=UTC)
    assert "https://m.org/o2" in planned["w1:onboarding:O2:1:1h"].text
    assert "Tue 2 Mar 14:00–15:00 CET" in planned["w1:onboarding:O2:1:1h"].text
    assert planned["w1:learner-day-before:2"].due_at == first - timedelta(days=1)
    assert "Main hall" in planned["w1:learner-day-before:2"].text
    final = facts.days[-1].ends_at + timedelta(hours=1)
    assert planned["w1:final:2"].due_at == planned["w1:debrief:1"].due_at == final
    assert "w1:final:1" not in planned, "a lead gets the debrief form instead"
    assert "w1:pick-session:1" not in planned, "signed up: no 'pick a session'"
    assert sorted(k for k in planned if k.startswith("w1:day-start")) == [
        "w1:day-start:1:1", "w1:day-start:2:1", "w1:day-start:3:1"
    ]


def test_leads_without_a_session_are_asked_to_pick_one_a_week_before() -> None:
    facts = workshop(
        "Europe/Oslo", date(2027, 3, 8),
        sessions=(SessionFacts(2, datetime(2027, 3, 2, 13, tzinfo=UTC)),),
    )
    planned = {p.key: p for p in planner.plan(facts, Offsets(), "?")}
    pick = planned["w1:pick-session:1"]
    assert pick.due_at == facts.days[0].starts_at - timedelta(days=7)
    assert "`?onboarding`" in pick.text


def test_a_moved_session_keeps_its_keys_and_moves_its_times() -> None:
    def plan_at(hour: int) -> dict[str, datetime]:
        facts = workshop(
            "Europe/Oslo", date(2027, 3, 8),
            sessions=(SessionFacts(2, datetime(2027, 3, 2, hour, tzinfo=UTC)),),
            signups={LEAD: 2},
        )
        return {p.key: p.due_at for p in planner.plan(facts, Offsets(), "!")
                if p.kind == planner.ONBOARDING}

    before, after = plan_at(13), plan_at(15)
    assert before.keys() == after.keys()
    assert all(after[k] - before[k] == timedelta(hours=2) for k in before)


def test_people_who_turned_reminders_off_get_none() -> None:
    facts = workshop("Europe/Oslo", date(2027, 3, 8))
    facts.people[LEAD] = PersonFacts(LEAD, ZoneInfo("Europe/Oslo"), reminders=False)
    planned = planner.plan(facts, Offsets(), "!")
    assert planned and all(p.person_id != LEAD for p in planned)


def test_a_room_that_skips_a_day_gets_no_day_start_for_it() -> None:
    facts = workshop("Europe/Oslo", date(2027, 3, 8))
    room = RoomFacts(7, "Oslo room", True, None, frozenset({1, 3}), (), (LEAD,))
    planned = planner.plan(WorkshopFacts(**{**facts.__dict__, "rooms": (room,)}), Offsets(), "!")
    assert sorted(p.key for p in planned if p.kind == planner.DAY_START) == [
        "w1:day-start:1:1", "w1:day-start:3:1"
    ]


FORMS = frozenset({"daily", "final", "debrief"})


@pytest.mark.parametrize(("zone", "first"), CHANGES)
def test_each_day_ends_with_its_form_at_1500_local_across_a_clock_change(
    zone: str, first: date
) -> None:
    offsets = Offsets(day_end_after=timedelta(minutes=10))
    planned = planner.plan(workshop(zone, first), offsets, "!", FORMS)
    ends = [p for p in planned if p.kind == planner.DAY_END]
    assert [p.key for p in ends] == ["w1:day-end:1:2", "w1:day-end:2:2", "w1:day-end:3:2"]
    assert {p.person_id for p in ends} == {LEARNER}, "learners only"
    local = [p.due_at.astimezone(ZoneInfo(zone)) for p in ends]
    assert [(d.date(), d.time()) for d in local] == [
        (first + timedelta(days=n), time(15, 10)) for n in range(3)
    ]
    assert len({d.utcoffset() for d in local}) == 2, "the days straddle the change"
    assert [planner.day_of(p.key) for p in ends] == [1, 2, 3]
    assert "Day 2 of Workshop is over" in ends[1].text


@pytest.mark.parametrize(("zone", "first"), CHANGES)
def test_after_the_last_day_learners_get_final_and_staff_debrief(zone: str, first: date) -> None:
    facts = workshop(zone, first)
    planned = {p.key: p for p in planner.plan(facts, Offsets(), "!", FORMS)}
    last_end = facts.days[-1].ends_at.astimezone(ZoneInfo(zone))
    assert planned["w1:final:2"].kind == planner.FINAL
    assert planned["w1:debrief:1"].kind == planner.DEBRIEF
    for key in ("w1:final:2", "w1:debrief:1"):
        due = planned[key].due_at.astimezone(ZoneInfo(zone))
        assert (due.date(), due.time()) == (last_end.date(), time(16))
        assert "right here" in planned[key].text


def test_with_feedback_off_no_day_end_and_the_final_only_thanks() -> None:
    planned = {p.key: p for p in planner.plan(workshop("Europe/Oslo", date(2027, 3, 8)),
                                              Offsets(), "!")}
    assert not [k for k in planned if ":day-end:" in k]
    assert planned["w1:final:2"].text == "Thank you for taking part in Workshop!"
    assert planned["w1:debrief:1"].text == "Thank you for taking part in Workshop!"


def test_a_room_that_skips_a_day_gets_no_form_for_it() -> None:
    facts = workshop("Europe/Oslo", date(2027, 3, 8))
    room = RoomFacts(7, "Oslo room", True, "Main hall", frozenset({1, 3}), (LEARNER,), (LEAD,))
    planned = planner.plan(WorkshopFacts(**{**facts.__dict__, "rooms": (room,)}), Offsets(),
                           "!", FORMS)
    assert [p.key for p in planned if p.kind == planner.DAY_END] == [
        "w1:day-end:1:2", "w1:day-end:3:2"
    ]
