"""The reminder before a form's window closes, as planned (a pure function): one per
person asked the form, `form_closing_before` ahead of the close, out of their night,
saying which form, which day and until when in their zone; and how it is switched off.
The onboarding reminders at several offsets say which one they are."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.commands.reminders import KIND_LABELS
from bot.config import ConfigError, FeedbackSettings, ReminderSettings, from_mapping
from bot.scheduling import planner
from bot.scheduling.night import is_night
from bot.scheduling.planner import Offsets, PersonFacts, SessionFacts
from bot.scheduling.reminders import offsets_of
from bot.text import ahead
from tests.unit.test_planner import FAR_LEAD, LEAD, LEARNER, workshop

FORMS = frozenset({"daily", "final", "debrief"})
DEFAULTS = Offsets()
CLOSING = {planner.DAILY_CLOSING, planner.FINAL_CLOSING, planner.DEBRIEF_CLOSING}


def closings(zone: str = "Europe/Oslo", offsets: Offsets = DEFAULTS,
             forms: frozenset[str] = FORMS, learner_zone: str | None = None,
             ) -> dict[str, planner.Planned]:
    facts = workshop(zone, date(2027, 3, 15))
    if learner_zone is not None:
        people = {**facts.people, LEARNER: PersonFacts(LEARNER, ZoneInfo(learner_zone))}
        facts = dataclasses.replace(facts, people=people)
    return {p.key: p for p in planner.plan(facts, offsets, "!", forms) if p.kind in CLOSING}


def test_each_form_asked_gets_one_reminder_twelve_hours_before_it_closes() -> None:
    found = closings()
    # Days end 15:00 Oslo (14:00 UTC); the daily window is 36 h, the final one 7 days.
    assert sorted(found) == ["w1:daily-closing:1:2", "w1:daily-closing:2:2",
                             "w1:daily-closing:3:2", "w1:debrief-closing:1",
                             "w1:final-closing:2"]
    day_2 = found["w1:daily-closing:2:2"]
    assert day_2.due_at == datetime(2027, 3, 17, 14, tzinfo=UTC)  # 15:00 Oslo
    assert day_2.text == ("⏳ The `daily` form about day 2 of Workshop can be answered "
                          "until Thu 18 Mar 03:00 (Europe/Oslo).")
    # 7 days after 17 Mar 15:00 is 24 Mar 15:00; 12 h before, 03:00 Oslo: the night,
    # so 20:00 the evening before.
    final = found["w1:final-closing:2"]
    assert final.due_at == datetime(2027, 3, 23, 19, tzinfo=UTC)
    assert final.text == ("⏳ The `final` form of Workshop can be answered until "
                          "Wed 24 Mar 15:00 (Europe/Oslo).")
    assert found["w1:debrief-closing:1"].due_at == final.due_at
    assert {planner.FORM_OF[p.kind] for p in found.values()} == FORMS


def test_in_kolkata_the_close_is_said_in_kolkata_time() -> None:
    day_1 = closings(learner_zone="Asia/Kolkata")["w1:daily-closing:1:2"]
    # Closes 17 Mar 02:00 UTC, 07:30 in Kolkata; 12 h before is 19:30 there: kept.
    assert day_1.due_at == datetime(2027, 3, 16, 14, tzinfo=UTC)
    assert day_1.text.endswith("until Wed 17 Mar 07:30 (Asia/Kolkata).")


def test_in_chatham_a_reminder_due_at_night_comes_the_evening_before() -> None:
    # 16 Mar 14:00 UTC is 03:45 on 17 Mar in Chatham (UTC+13:45): 20:00 on 16 Mar there.
    day_1 = closings(learner_zone="Pacific/Chatham")["w1:daily-closing:1:2"]
    assert day_1.due_at == datetime(2027, 3, 16, 6, 15, tzinfo=UTC)
    assert day_1.text.endswith("until Wed 17 Mar 15:45 (Pacific/Chatham).")


@pytest.mark.parametrize("zone", ["Asia/Kolkata", "Pacific/Chatham", "America/St_Johns",
                                  "America/New_York", "Asia/Tokyo"])
def test_every_closing_reminder_is_after_its_form_and_before_it_closes(zone: str) -> None:
    facts = workshop("Europe/Oslo", date(2027, 3, 12), days=3)  # across NY's clock change
    facts = dataclasses.replace(facts, people={
        person: PersonFacts(person, ZoneInfo(zone)) for person in facts.people})
    offsets = Offsets(form_closing_before=timedelta(hours=30))
    planned = {p.key: p for p in planner.plan(facts, offsets, "!", FORMS)}
    found = [p for p in planned.values() if p.kind in CLOSING]
    assert len(found) == 5
    for closing in found:
        asked = planned[closing.key.replace(closing.kind, {
            planner.DAILY_CLOSING: planner.DAY_END, planner.FINAL_CLOSING: planner.FINAL,
            planner.DEBRIEF_CLOSING: planner.DEBRIEF}[closing.kind])]
        day = planner.asked_day(closing.kind, closing.key)
        ends = {d.number: d.ends_at for d in facts.days}
        closes = ends[day] + offsets.daily_window if day else ends[3] + offsets.final_window
        assert asked.due_at < closing.due_at < closes
        assert not is_night(closing.due_at, ZoneInfo(zone)) or closing.due_at == (
            closes - timedelta(hours=30))


def test_none_when_switched_off_or_longer_than_the_window() -> None:
    assert closings(offsets=Offsets(form_closing_before=None)) == {}
    # A 10 h daily window: 12 h before it closes is before the form is asked.
    short = closings(offsets=Offsets(daily_window=timedelta(hours=10)))
    assert sorted(short) == ["w1:debrief-closing:1", "w1:final-closing:2"]


def test_only_for_the_forms_in_use() -> None:
    assert sorted(closings(forms=frozenset({"daily"}))) == [
        "w1:daily-closing:1:2", "w1:daily-closing:2:2", "w1:daily-closing:3:2"]
    assert closings(forms=frozenset()) == {}


def test_asked_day_is_the_day_of_daily_reminders_only() -> None:
    assert planner.asked_day(planner.DAY_END, "w12:day-end:3:120") == 3
    assert planner.asked_day(planner.DAILY_CLOSING, "w12:daily-closing:10:1") == 10
    assert planner.asked_day(planner.FINAL, "w1:final:2") is None
    assert planner.asked_day(planner.DEBRIEF_CLOSING, "w1:debrief-closing:2") is None
    assert planner.asked_day(planner.ONBOARDING, "w1:onboarding:O2:1:1h") is None


@pytest.mark.parametrize("text", ["0", "", " 0 ", "0m", "0s", "0d0h"])
def test_a_zero_or_empty_offset_switches_it_off(text: str) -> None:
    settings = from_mapping({"reminders": {"form_closing_before": text}})
    assert offsets_of(settings.reminders, settings.feedback).form_closing_before is None


def test_the_offset_and_windows_come_from_the_configuration() -> None:
    offsets = offsets_of(ReminderSettings(form_closing_before="90m"),
                         FeedbackSettings(daily_window="2d", final_window="3d"))
    assert (offsets.form_closing_before, offsets.daily_window, offsets.final_window) == (
        timedelta(minutes=90), timedelta(days=2), timedelta(days=3))
    with pytest.raises(ConfigError, match="form_closing_before"):
        from_mapping({"reminders": {"form_closing_before": "soon"}})


@pytest.mark.parametrize(("offset", "said"), [
    (timedelta(days=1), "tomorrow"), (timedelta(hours=24), "tomorrow"),
    (timedelta(hours=1), "in one hour"), (timedelta(minutes=30), "in 30 minutes"),
    (timedelta(days=2), "in 2 days"), (timedelta(hours=25), "in 25 hours"),
    (timedelta(seconds=90), "in 90 seconds"), (timedelta(minutes=90), "in 90 minutes"),
    (timedelta(minutes=1), "in one minute"), (timedelta(days=1, minutes=1), "in about 24 hours"),
    (timedelta(hours=100), "in about 4 days"), (timedelta(0), "now"),
])
def test_how_far_ahead_a_reminder_says_it_is(offset: timedelta, said: str) -> None:
    assert ahead(offset) == said


def test_onboarding_reminders_at_odd_offsets_each_say_which_they_are() -> None:
    facts = workshop("Europe/Oslo", date(2027, 3, 8), signups={LEAD: 2, FAR_LEAD: 2},
                     sessions=(SessionFacts(2, datetime(2027, 3, 2, 13, tzinfo=UTC)),))
    offsets = Offsets(onboarding_before=(timedelta(seconds=90), timedelta(hours=25),
                                         timedelta(days=1)))
    texts = [p.text for p in planner.plan(facts, offsets, "!")
             if p.kind == planner.ONBOARDING and p.person_id == LEAD]
    assert texts == [
        f"⏰ Your onboarding session O2 for Workshop is {words}, on Tue 2 Mar 14:00–15:00 CET."
        for words in ("in 90 seconds", "in 25 hours", "tomorrow")]


def test_onboarding_offsets_that_are_the_same_or_close_do_not_clash() -> None:
    facts = workshop("Europe/Oslo", date(2027, 3, 8), signups={LEAD: 2},
                     sessions=(SessionFacts(2, datetime(2027, 3, 2, 13, tzinfo=UTC)),))
    offsets = Offsets(onboarding_before=(timedelta(hours=1), timedelta(minutes=60),
                                         timedelta(seconds=60), timedelta(seconds=90)))
    keys = [p.key for p in planner.plan(facts, offsets, "!") if p.kind == planner.ONBOARDING]
    assert keys == ["w1:onboarding:O2:1:1h", "w1:onboarding:O2:1:1m",
                    "w1:onboarding:O2:1:90s"]


def test_every_kind_is_named_in_the_pending_list() -> None:
    assert set(planner.KINDS) <= set(KIND_LABELS)
