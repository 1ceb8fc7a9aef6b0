"""Feedback summaries, charts and exports: exact numbers, what leads see, no names."""

from __future__ import annotations

import asyncio
import csv
import io
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import FeedbackSettings
from bot.forms.definitions import load
from bot.services.counted import TEXTS_SHOWN
from bot.services.polls import PollCount
from bot.services.summary import bar, render, tally
from tests.chat import ORGANIZER, Chat

HOST = "@host:uni.no"
LEARNERS = ("@anahid:uni.no", "@bartholomew:uni.no", "@cyprian:uni.no")
ROOM = (
    '!room add name="Oslo classroom" org="University of Oslo" mode=in-person city=Oslo '
    "country=NO lang=no capacity=5 days=1-2 public=yes"
)
FORMS = load()


def test_tally_on_a_known_data_set() -> None:
    scores = [10, 9, 9, 8, 6, 3]
    answers = [{"recommend": n, "attended": "by myself" if n > 8 else "in a local room",
                "useful": f"answer {n}", "change": None} for n in scores]
    recommend, attended, useful, change = tally(FORMS["final"], answers)
    assert recommend.answered == 6 and recommend.counts["9"] == 2 and recommend.counts["0"] == 0
    assert recommend.mean == 7.5 and recommend.median == 8.5
    assert recommend.nps == 17  # 3 promoters, 2 detractors of 6: 100 * 1 / 6
    assert attended.counts == {"by myself": 3, "with colleagues": 0, "in a local room": 3}
    assert attended.share("by myself") == 0.5 and bar(0.5) == "█████░░░░░"
    assert useful.texts == sorted(f"answer {n}" for n in scores)
    assert change.answered == 0 and change.mean is None


def test_the_polls_counts_are_shown_apart_under_their_question() -> None:
    tallies = tally(FORMS["daily"], [{"today": ["too fast"], "good": "pace"}])
    poll = PollCount(voters=4, counts={"too fast": 3, "too slow": 0, "right speed": 5})
    text = render("Daily", tallies, 1, [], polls={"today": poll})
    form_part, poll_part = text.split("From the poll, apart from the form's answers (4 voters):")
    assert "`too fast " in form_part and "One good thing" not in form_part
    lines = poll_part.strip().splitlines()
    assert lines[0] == "`too fast    ████████░░   3  75%`"
    assert lines[1] == "`too slow    ░░░░░░░░░░   0   0%`"
    # A forgotten voter's votes still count, not among the voters: at most 100%.
    assert lines[2] == "`right speed ██████████   5 100%`"
    assert lines[4].startswith("**One good thing")  # the next question follows
    assert "From the poll" not in render("Daily", tallies, 1, [])


def test_multi_shares_are_of_respondents_and_nps_only_for_0_to_10() -> None:
    today, *_ = tally(FORMS["daily"], [{"today": ["too fast", "right level"]},
                                        {"today": ["too fast"]}, {"today": []}])
    assert today.answered == 2 and today.counts["too fast"] == 2 and today.share("too fast") == 1
    _, setup, *_ = tally(FORMS["debrief"], [{"setup": 5}, {"setup": 2}])
    assert setup.nps is None and setup.mean == 3.5


@pytest.fixture
async def answered(tmp_path: Path) -> AsyncIterator[Chat]:
    chat = await Chat.open(tmp_path, feedback=FeedbackSettings(min_responses_for_leads=3))
    await chat.say(
        ORGANIZER,
        "!workshop add 2026-spring title=Spring tz=Europe/Oslo "
        "days=2026-03-17,2026-03-18 time=10:00-15:00",
    )
    await chat.say(HOST, ROOM)
    for learner in LEARNERS:
        await chat.say(learner, "!join R1")
    await chat.say("@dee:uni.no", "!join R1")  # seated, never answers
    try:
        yield chat
    finally:
        await chat.close()


async def answer_daily(chat: Chat, learner: str, picks: str, good: str) -> None:
    await chat.say(learner, "!feedback daily day=1")
    for text in (picks, good, "slower please", "skip", "yes"):
        await chat.say(learner, text, direct=True)


async def test_summary_chart_and_export_without_user_ids(answered: Chat) -> None:
    chat = answered
    await answer_daily(chat, LEARNERS[0], "1, 6", "=HYPERLINK(\"http://x\")")
    await answer_daily(chat, LEARNERS[1], "1", "pairing")
    lead = await chat.say(HOST, "!feedback summary daily day=1")  # day 1 still answerable
    assert "nothing of it can be shown to you yet" in lead.reply and "at least 3" in lead.reply
    assert lead.messages[0].attachment is None
    await answer_daily(chat, LEARNERS[2], "3", "exercises")
    organizer = await chat.say(ORGANIZER, "!feedback summary daily day=1")
    text = organizer.reply
    assert "3 responses" in text and "R1 Oslo classroom: 3 of 4 (75%)" in text
    assert "`too fast" in text and "██████" in text and "  2  67%`" in text
    assert "(2 answered)" not in text.split("One good thing")[0]
    assert "- exercises" in text
    attachment = organizer.messages[0].attachment
    assert attachment is not None and attachment.data.startswith(b"\x89PNG")
    assert attachment.content_type == "image/png"
    chat.clock.set(datetime(2026, 3, 19, 2, 10, tzinfo=UTC))  # day 1's window closed
    lead = await chat.say(HOST, "!feedback summary daily")
    assert "3 responses" in lead.reply
    await chat.say(LEARNERS[0], "!feedback daily day=2")
    for text in ("2", "good", "more", "skip", "yes"):
        await chat.say(LEARNERS[0], text, direct=True)
    both_days = await chat.say(ORGANIZER, "!feedback summary daily")
    assert "R1 Oslo classroom: 4 of 8 (50%)" in both_days.reply  # 4 learners, 2 days
    export = await chat.say(ORGANIZER, "!feedback export daily")
    file = export.messages[0].attachment
    assert file is not None and file.filename == "feedback-2026-spring-daily.csv"
    rows = list(csv.DictReader(io.StringIO(file.data.decode())))
    assert len(rows) == 4 and rows[0]["today"] == "too fast; right level"
    assert [r["day"] for r in rows] == ["1", "1", "1", "2"]
    assert rows[0]["good"] == "'=HYPERLINK(\"http://x\")" and rows[0]["room"] == "R1"
    for learner in LEARNERS:
        name = learner.split(":")[0].lstrip("@")  # not even the local part
        for said in (text, lead.reply, export.reply, file.data.decode()):
            assert name not in said
        assert name.encode() not in attachment.data
    assert set(rows[0]) == {"response", "form", "day", "room", "date",
                            "today", "good", "improve", "other"}


async def test_leads_see_only_their_room(answered: Chat) -> None:
    chat = answered
    await chat.say("@other:uni.no", ROOM.replace("Oslo classroom", "Bergen"))
    refused = await chat.say("@other:uni.no", "!feedback summary daily room=R1")
    assert "Only R1's hosts and team leads, or an organizer" in refused.reply
    learner = await chat.say(LEARNERS[0], "!feedback summary")
    assert "is for a team lead or host" in learner.reply


async def test_feedback_switched_off(tmp_path: Path) -> None:
    chat = await Chat.open(tmp_path, feedback=FeedbackSettings(enabled=False))
    try:
        for command in ("!feedback daily day=1", "!feedback summary", "!feedback export"):
            assert "switched off" in await chat.say(ORGANIZER, command)
    finally:
        await chat.close()


async def test_importing_the_bot_does_not_import_the_image_library() -> None:
    code = "import sys, bot.app, bot.__main__; print('PIL' in sys.modules)"
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await child.communicate()
    assert child.returncode == 0 and out.decode().strip() == "False"


def test_a_summary_lists_a_bounded_number_of_free_text_answers() -> None:
    answers = [{"recommend": 9, "useful": f"answer {n:03}", "change": "x" * 200}
               for n in range(TEXTS_SHOWN + 970)]
    tallies = tally(FORMS["final"], answers)
    useful = tallies[2]
    assert len(useful.texts) == TEXTS_SHOWN and useful.text_count == len(answers)  # bounded
    text = render("Final", tallies, len(answers), [], export="`!feedback export final`")
    assert "- answer 000" in text and f"- answer {TEXTS_SHOWN - 1:03}" in text
    assert f"- answer {TEXTS_SHOWN:03}" not in text
    assert "- … and 970 more in `!feedback export final`" in text
    assert len(text.encode()) < 16_000  # a Matrix event may hold 64 KiB
