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
!tz Asia/Kolkata
!join R2
/as @you:example.org
/wait 2d3h
/wait 20d
"""


def messages(out: str) -> list[tuple[str, str, str]]:
    """(recipient, when it was due, first line) of every direct message printed."""
    return re.findall(r"\[direct message to (\S+) · due (.+?)\]\n  (.*)", out)


ONBOARDING = ("⏰ Your onboarding session O1 for Spring is {}, on Wed 10 Mar 08:00–09:00 EST. "
              "Join at https://meet.example.org/o")
THANKS = "Thank you for taking part in Spring! Tell us how it went, right here."


def test_a_week_rehearsed_delivers_each_reminder_once_in_the_right_zone(tmp_path: Path) -> None:
    out = console(tmp_path, SCRIPT, "--clock", "2027-03-08T09:00Z")
    assert messages(out) == [
        # /wait 2d3h (to 10 Mar 12:00 UTC): the 24 h and 1 h onboarding reminders, in New
        # York time, each saying which it is. Kai's "pick a session" fell due on 8 Mar
        # 08:00 UTC, before the rehearsal started, so it is never planned.
        ("@lena:uni.no", "Tue 9 Mar 13:00 UTC · 08:00 America/New_York",
         ONBOARDING.format("tomorrow")),
        ("@lena:uni.no", "Wed 10 Mar 12:00 UTC · 07:00 America/New_York",
         ONBOARDING.format("in one hour")),
        ("@lu:uni.no", "Sun 14 Mar 08:00 UTC · 09:00 Europe/Oslo",
         "⏰ Spring starts on Mon 15 Mar 09:00–15:00 CET, in your local room R1 Oslo room."),
        ("@mo:uni.no", "Sun 14 Mar 08:00 UTC · 13:30 Asia/Kolkata",
         "⏰ Spring starts on Mon 15 Mar 13:30–19:30 IST (UTC+05:30), in your local room "
         "R2 Tokyo room."),
        ("@lena:uni.no", "Mon 15 Mar 07:30 UTC · 03:30 America/New_York",
         "⏰ Day 1 of Spring starts at Mon 15 Mar 04:00 EDT. Your room: R1 Oslo room: 1 learner."),
        ("@kai:uni.no", "Mon 15 Mar 07:30 UTC · 16:30 Asia/Tokyo",
         "⏰ Day 1 of Spring starts at Mon 15 Mar 17:00 JST. Your room: R2 Tokyo room: 1 learner."),
        # The end of each day: its attendance asked of each room's leads and hosts, and
        # the day's form, once per learner, the first question with it.
        ("@lena:uni.no", "Mon 15 Mar 14:00 UTC · 10:00 America/New_York",
         "📋 Day 1 of Spring has ended in R1 Oslo room."),
        ("@kai:uni.no", "Mon 15 Mar 14:00 UTC · 23:00 Asia/Tokyo",
         "📋 Day 1 of Spring has ended in R2 Tokyo room."),
        ("@lu:uni.no", "Mon 15 Mar 14:00 UTC · 15:00 Europe/Oslo",
         "📝 Day 1 of Spring is over: tell us how it went."),
        ("@mo:uni.no", "Mon 15 Mar 14:00 UTC · 19:30 Asia/Kolkata",
         "📝 Day 1 of Spring is over: tell us how it went."),
        ("@lena:uni.no", "Tue 16 Mar 07:30 UTC · 03:30 America/New_York",
         "⏰ Day 2 of Spring starts at Tue 16 Mar 04:00 EDT. Your room: R1 Oslo room: 1 learner."),
        ("@kai:uni.no", "Tue 16 Mar 07:30 UTC · 16:30 Asia/Tokyo",
         "⏰ Day 2 of Spring starts at Tue 16 Mar 17:00 JST. Your room: R2 Tokyo room: 1 learner."),
        ("@lena:uni.no", "Tue 16 Mar 14:00 UTC · 10:00 America/New_York",
         "📋 Day 2 of Spring has ended in R1 Oslo room."),
        ("@kai:uni.no", "Tue 16 Mar 14:00 UTC · 23:00 Asia/Tokyo",
         "📋 Day 2 of Spring has ended in R2 Tokyo room."),
        ("@lu:uni.no", "Tue 16 Mar 14:00 UTC · 15:00 Europe/Oslo",
         "📝 Day 2 of Spring is over: tell us how it went."),
        ("@mo:uni.no", "Tue 16 Mar 14:00 UTC · 19:30 Asia/Kolkata",
         "📝 Day 2 of Spring is over: tell us how it went."),
        # 12 h before day 1's form closes (36 h after the day's end), nobody having saved it.
        ("@lu:uni.no", "Tue 16 Mar 14:00 UTC · 15:00 Europe/Oslo",
         "⏳ The `daily` form about day 1 of Spring can be answered until "
         "Wed 17 Mar 03:00 (Europe/Oslo)."),
        ("@mo:uni.no", "Tue 16 Mar 14:00 UTC · 19:30 Asia/Kolkata",
         "⏳ The `daily` form about day 1 of Spring can be answered until "
         "Wed 17 Mar 07:30 (Asia/Kolkata)."),
        # An hour after the last day: the debrief form to the leads, the final to learners.
        ("@lena:uni.no", "Tue 16 Mar 15:00 UTC · 11:00 America/New_York", THANKS),
        ("@kai:uni.no", "Tue 16 Mar 15:00 UTC · Wed 17 Mar 00:00 Asia/Tokyo", THANKS),
        ("@lu:uni.no", "Tue 16 Mar 15:00 UTC · 16:00 Europe/Oslo", THANKS),
        ("@mo:uni.no", "Tue 16 Mar 15:00 UTC · 20:30 Asia/Kolkata", THANKS),
        ("@lu:uni.no", "Wed 17 Mar 14:00 UTC · 15:00 Europe/Oslo",
         "⏳ The `daily` form about day 2 of Spring can be answered until "
         "Thu 18 Mar 03:00 (Europe/Oslo)."),
        ("@mo:uni.no", "Wed 17 Mar 14:00 UTC · 19:30 Asia/Kolkata",
         "⏳ The `daily` form about day 2 of Spring can be answered until "
         "Thu 18 Mar 07:30 (Asia/Kolkata)."),
        # 12 h before final and debrief close (7 days after the last day, 14:00 UTC) is
        # 02:00 UTC: night in Kolkata (07:30), Oslo (03:00) and New York (22:00), so those
        # come at 20:00 the evening before; in Tokyo it is 11:00 and stays.
        ("@mo:uni.no", "Mon 22 Mar 14:30 UTC · 20:00 Asia/Kolkata",
         "⏳ The `final` form of Spring can be answered until Tue 23 Mar 19:30 (Asia/Kolkata)."),
        ("@lu:uni.no", "Mon 22 Mar 19:00 UTC · 20:00 Europe/Oslo",
         "⏳ The `final` form of Spring can be answered until Tue 23 Mar 15:00 (Europe/Oslo)."),
        ("@lena:uni.no", "Tue 23 Mar 00:00 UTC · Mon 22 Mar 20:00 America/New_York",
         "⏳ The `debrief` form of Spring can be answered until "
         "Tue 23 Mar 10:00 (America/New_York)."),
        ("@kai:uni.no", "Tue 23 Mar 02:00 UTC · 11:00 Asia/Tokyo",
         "⏳ The `debrief` form of Spring can be answered until Tue 23 Mar 23:00 (Asia/Tokyo)."),
    ]
    assert out.count("Here is the `daily` form about day 1, one question at a time.") == 2
    assert out.count("Here is the `daily` form about day 2, one question at a time.") == 2
    # Day 1's attendance question is asked; day 2's waits until it is answered.
    assert out.count("How many learners came to") == 2
    assert "(the time is now Wed 10 Mar 12:00 UTC)" in out
    assert "delayed" not in out


def test_replies_to_commands_show_no_due_time(tmp_path: Path) -> None:
    """A reply is due when it is sent: only reminders carry their due time."""
    out = console(tmp_path, "!tz Asia/Kolkata\n/as @ana:uni.no\n!tz\n", "--clock",
                  "2027-03-08T09:00Z")
    assert "Your time zone is now `Asia/Kolkata`" in out
    assert "· due" not in out


def test_wait_without_a_simulated_clock_says_how_to_get_one(tmp_path: Path) -> None:
    out = console(tmp_path, "/wait 1h\n")
    assert "/wait needs a simulated clock" in out
