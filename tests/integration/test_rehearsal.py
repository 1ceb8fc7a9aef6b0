"""The console rehearsal: a workshop week on a simulated clock, `/wait` delivering reminders."""

from __future__ import annotations

import re
from pathlib import Path

from tests.integration.test_console import console

SCRIPT = """\
!tz Europe/Oslo
!workshop add spring title=Spring tz=Europe/Oslo days=2027-03-15,2027-03-16 time=09:00-15:00
!onboarding add 2027-03-10 14:00 link=https://meet.example.org/o
/as @lena:uni.no
!tz America/New_York
!room add name="Oslo room" org=UiO mode=in-person city=Oslo country=NO lang=en capacity=10 \
public=yes venue="Main hall"
!onboarding join O1
/as @kai:uni.no
!tz Asia/Tokyo
!room add name="Tokyo room" org=UT mode=online country=JP lang=ja capacity=10 public=yes
/as @lu:uni.no
!tz Europe/Oslo
!join R1
/as @mo:uni.no
!join R2
/as @you:example.org
/wait 2d3h
/wait 20d
"""


def messages(out: str) -> list[tuple[str, str]]:
    """(recipient, first line) of every direct message printed."""
    return re.findall(r"\[direct message to (\S+)\]\n  (.*)", out)


def test_a_week_rehearsed_delivers_each_reminder_once_in_the_right_zone(tmp_path: Path) -> None:
    out = console(tmp_path, SCRIPT, "--clock", "2027-03-08T09:00Z")
    got = messages(out)
    assert got == [
        # /wait 2d3h (to 10 Mar 12:00 UTC): the 24 h and 1 h onboarding reminders, in New
        # York time. Kai's "pick a session" fell due on 8 Mar 08:00 UTC, before the
        # rehearsal started, so it is never planned (nothing is announced late).
        ("@lena:uni.no", "⏰ Your onboarding session O1 for Spring is on "
         "Wed 10 Mar 08:00–09:00 EST. Join at https://meet.example.org/o"),
        ("@lena:uni.no", "⏰ Your onboarding session O1 for Spring is on "
         "Wed 10 Mar 08:00–09:00 EST. Join at https://meet.example.org/o"),
        ("@lu:uni.no", "⏰ Spring starts on Mon 15 Mar 09:00–15:00 CET, in your local room "
         "R1 Oslo room."),
        ("@mo:uni.no", "⏰ Spring starts on Mon 15 Mar 08:00–14:00 UTC, in your local room "
         "R2 Tokyo room."),
        ("@lena:uni.no", "⏰ Day 1 of Spring starts at Mon 15 Mar 04:00 EDT. "
         "Your room: R1 Oslo room: 1 learner."),
        ("@kai:uni.no", "⏰ Day 1 of Spring starts at Mon 15 Mar 17:00 JST. "
         "Your room: R2 Tokyo room: 1 learner."),
        # The end of each day: the day's form, once per learner, the first question with it.
        ("@lu:uni.no", "📝 Day 1 of Spring is over: tell us how it went."),
        ("@mo:uni.no", "📝 Day 1 of Spring is over: tell us how it went."),
        ("@lena:uni.no", "⏰ Day 2 of Spring starts at Tue 16 Mar 04:00 EDT. "
         "Your room: R1 Oslo room: 1 learner."),
        ("@kai:uni.no", "⏰ Day 2 of Spring starts at Tue 16 Mar 17:00 JST. "
         "Your room: R2 Tokyo room: 1 learner."),
        ("@lu:uni.no", "📝 Day 2 of Spring is over: tell us how it went."),
        ("@mo:uni.no", "📝 Day 2 of Spring is over: tell us how it went."),
        # An hour later: the debrief form to the leads; the learners, who never
        # answered day 1's form (still open), have day 2's and the final one waiting.
        *[(who, "Thank you for taking part in Spring! Tell us how it went, right here.")
          for who in ("@lena:uni.no", "@kai:uni.no", "@lu:uni.no", "@mo:uni.no")],
    ]
    assert out.count("Here is the `daily` form about day 1, one question at a time.") == 2
    assert "Here is the `daily` form about day 2" not in out
    assert out.count("Today was (choose all that apply)") == 2
    assert out.count("Here is the `debrief` form") == 2
    waits = "waits: it starts here when you finish or cancel the `daily` form about day 1."
    assert out.count(f"The `daily` form about day 2 {waits}") == 2
    assert out.count(f"The `final` form {waits}") == 2
    assert "(the time is now Wed 10 Mar 12:00 UTC)" in out
    assert "delayed" not in out


def test_wait_without_a_simulated_clock_says_how_to_get_one(tmp_path: Path) -> None:
    out = console(tmp_path, "/wait 1h\n")
    assert "/wait needs a simulated clock" in out
