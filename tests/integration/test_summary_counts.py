"""Summaries counted by the database agree with counting in Python, on odd data too.

`tallies.count` (SQL over `feedback_item`, on SQLite and PostgreSQL) must give the
very numbers, free-text answers and summary text that `summary.tally` gives for
the same answers: answers missing or skipped, JSON the bot never writes, forms
whose questions changed since, many free-text answers sharing long beginnings,
choices too long for the label column, one day and one room.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from bot.db.models import FeedbackItem, FeedbackResponse, LocalRoom, Workshop
from bot.forms.definitions import Form, parse
from bot.forms.engine import Value
from bot.services import answer_items, tallies
from bot.services.counted import TEXTS_SHOWN, Tally
from bot.services.summary import render, tally
from tests.chat import ORGANIZER, Chat

LONG_CHOICE = "a very long choice " * 12  # over answer_items.LABEL characters
FORM = parse(f"""
[odd]
title = "Odd"
[[odd.questions]]
id = "pick"
kind = "choice"
text = "Pick one"
choices = ["yes", "no", "7", {json.dumps(LONG_CHOICE)}]
[[odd.questions]]
id = "many"
kind = "multi"
text = "Pick any"
choices = ["red", "green", "blue"]
[[odd.questions]]
id = "score"
kind = "scale"
text = "Score"
min = 0
max = 10
[[odd.questions]]
id = "count"
kind = "number"
text = "How many"
[[odd.questions]]
id = "words"
kind = "text"
text = "Say something"
optional = true
""", "test")["odd"]

SHARED = "x" * 150  # a beginning longer than the sort key
ODD: list[Any] = [
    {},
    {"pick": None, "many": [], "score": None, "words": None},  # all skipped
    {"pick": "yes", "many": ["red", "blue"], "score": 10, "count": 3, "words": "Zebra"},
    {"pick": "no", "many": ["green"], "score": 9, "count": 12, "words": "apple"},
    {"pick": "maybe", "many": ["purple", "red"], "score": 11, "count": -4, "words": "Äpfel"},
    {"pick": 7, "many": "red", "score": "5", "count": 2**40, "words": 42},  # changed forms
    {"pick": True, "many": [["red"]], "score": 1.5, "count": {"n": 1}, "words": ["a", "b"]},
    {"pick": LONG_CHOICE, "score": 0, "words": "straße"},
    {"pick": LONG_CHOICE[:answer_items.LABEL], "score": 6, "words": "STRASSE"},
    {"Pick": "yes", "bad key!": 3, "words": "nul\x00in the middle"},
    *({"words": f"{SHARED}{tail}", "score": n % 11} for n, tail in enumerate("dcbaDCBA")),
    *({"words": f"Same {n % 3}", "many": ["blue"]} for n in range(TEXTS_SHOWN)),
    *({"words": f"{SHARED}"} for _ in range(3)),
]


def same(counted: list[Tally], expected: list[Tally]) -> None:
    for got, want in zip(counted, expected, strict=True):
        assert (got.question, got.answered, got.counts, got.numbers, got.texts,
                got.text_count) == (want.question, want.answered, want.counts, want.numbers,
                                    want.texts, want.text_count)


async def fill(chat: Chat, answers: list[Any], rooms: int = 2) -> tuple[int, list[int]]:
    """Responses over `rooms` rooms and two days, itemized as saving does it."""
    await chat.say(ORGANIZER, "!workshop add ws title=W tz=UTC days=2026-03-17,2026-03-18 "
                              "time=10:00-15:00")
    for n in range(rooms):
        await chat.say(ORGANIZER, f"!room add name=Room{n} org=U mode=online capacity=5 "
                                  "public=no")
    async with chat.app.sessions() as session, session.begin():
        workshop = await session.scalar(select(Workshop.id))
        room_ids = list(await session.scalars(select(LocalRoom.id).order_by(LocalRoom.id)))
        assert workshop is not None
        for n, given in enumerate(answers):
            response = FeedbackResponse(
                form=FORM.name, workshop_id=workshop, day=1 + n % 2,
                room_id=room_ids[n % len(room_ids)] if n % 5 else None, respondent=f"r{n}",
                answers=json.dumps(given, ensure_ascii=False),
                submitted_at=datetime(2026, 3, 17, tzinfo=UTC))
            session.add(response)
            await session.flush()
            await tallies.index(session, response)
    return workshop, room_ids


async def counted(chat: Chat, form: Form, workshop: int, day: int | None = None,
                  room: int | None = None) -> tallies.Counted:
    async with chat.app.sessions() as session:
        return await tallies.count(session, workshop, form, day, room)


async def test_the_database_counts_odd_answers_as_python_does(chat: Chat) -> None:
    workshop, _ = await fill(chat, ODD)
    got = await counted(chat, FORM, workshop)
    same(got.tallies, tally(FORM, ODD))
    assert got.responses == len(ODD) and got.days == {1, 2}
    assert sum(got.by_room.values()) == len(ODD) and None in got.by_room
    pick, many, score, count, words = got.tallies
    # What the rules say, not only that both agree:
    assert pick.answered == 7  # "maybe", 7, true and the long choices count as answered
    assert pick.counts == {"yes": 1, "no": 1, "7": 1, LONG_CHOICE: 1}  # 7 names "7"
    assert many.counts == {"red": 3, "green": 1, "blue": 1 + TEXTS_SHOWN}
    assert score.counts["5"] == 2  # the text "5" and the number 5
    assert 11 in score.numbers and "11" not in score.counts  # beyond the scale now
    assert count.numbers == {3: 1, 12: 1, -4: 1}  # 2**40 and an object are no numbers
    assert 42 in words.numbers and words.mean is not None  # a number, the form changed
    assert "nul\ufffdin the middle" in words.texts or words.text_count > TEXTS_SHOWN
    assert words.texts[:2] == ["a", "apple"]  # case-folded order; "b" is further on
    text = render("Odd", got.tallies, got.responses, [])
    assert text == render("Odd", tally(FORM, ODD), len(ODD), [])


async def test_free_text_beyond_the_sort_key_is_in_full_order(chat: Chat) -> None:
    answers: list[dict[str, Value]] = [{"words": f"{SHARED}{tail}"} for tail in
               [*"zyxwvutsrqponmlkjihgfedcba", *"ZYXWVUTSRQ", "", "", "a"]]
    workshop, _ = await fill(chat, answers)
    got = (await counted(chat, FORM, workshop)).tallies[-1]
    assert got.texts == tally(FORM, answers)[-1].texts
    assert got.texts[:4] == [SHARED, SHARED, f"{SHARED}a", f"{SHARED}a"]
    assert len(got.texts) == TEXTS_SHOWN and got.text_count == len(answers)


async def test_free_text_is_listed_in_case_folded_order_on_every_database(chat: Chat) -> None:
    given = ["Zebra", "straße", "Äpfel", "apple", "STRASSE", "zebra", "Apple", "éclair", "Eclair"]
    workshop, _ = await fill(chat, [{"words": w} for w in given])
    got = (await counted(chat, FORM, workshop)).tallies[-1]
    # Code point order of the case-folded text; equal ones in the order they came.
    assert got.texts == ["apple", "Apple", "Eclair", "straße", "STRASSE", "Zebra", "zebra",
                         "Äpfel", "éclair"]


async def test_one_day_and_one_room_count_only_theirs(chat: Chat) -> None:
    workshop, rooms = await fill(chat, ODD, rooms=3)
    placed = [(1 + n % 2, rooms[n % 3] if n % 5 else None) for n in range(len(ODD))]
    for day, room in ((1, None), (2, None), (None, rooms[1]), (2, rooms[2]), (1, None)):
        wanted = [a for a, (d, r) in zip(ODD, placed, strict=True)
                  if day in (None, d) and room in (None, r)]
        got = await counted(chat, FORM, workshop, day, room)
        assert got.responses == len(wanted)
        same(got.tallies, tally(FORM, wanted))


async def test_a_form_changed_since_counts_by_its_questions_now(chat: Chat) -> None:
    workshop, _ = await fill(chat, ODD)
    now = parse("""
[odd]
[[odd.questions]]
id = "words"
kind = "choice"
text = "Now a choice"
choices = ["apple", "Zebra", "42"]
[[odd.questions]]
id = "pick"
kind = "text"
text = "Now free text"
[[odd.questions]]
id = "new"
kind = "scale"
text = "Added since"
min = 1
max = 5
""", "test")["odd"]
    got = await counted(chat, now, workshop)
    same(got.tallies, tally(now, ODD))
    words, pick, new = got.tallies
    assert words.counts == {"apple": 1, "Zebra": 1, "42": 1}  # the number 42 names "42"
    assert pick.text_count == 5 and new.answered == 0


async def test_no_responses_and_a_form_without_answers(chat: Chat) -> None:
    workshop, _ = await fill(chat, [])
    got = await counted(chat, FORM, workshop)
    assert got.responses == 0 and all(t.answered == 0 for t in got.tallies)
    assert await item_count(chat) == 0


async def item_count(chat: Chat) -> int:
    async with chat.app.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(FeedbackItem)) or 0)


async def test_answering_again_replaces_the_counted_answers(chat: Chat) -> None:
    await chat.say(ORGANIZER, "!workshop add ws title=W tz=UTC days=2026-03-17 time=10:00-15:00")
    for picks in ("1, 2", "3"):
        await chat.say("@ana:uni.no", "!feedback daily day=1")
        for text in (picks, "good", "more", "skip", "yes"):
            await chat.say("@ana:uni.no", text, direct=True)
    summary = await chat.say(ORGANIZER, "!feedback summary daily day=1")
    assert "1 response" in summary.reply
    lines = summary.reply.splitlines()
    assert any(line.startswith("`too fast ") and line.endswith("  0   0%`") for line in lines)
    assert any(line.startswith("`right speed ") and line.endswith("  1 100%`") for line in lines)
    assert await item_count(chat) == 3  # right speed, good, more: the first answers are gone


async def test_forget_me_leaves_no_user_id_in_the_items_and_keeps_their_order(
    chat: Chat,
) -> None:
    zed = "@Zed:uni.no"  # upper case: the sort key holds it case-folded
    await chat.say(ORGANIZER, "!workshop add ws title=W tz=UTC days=2026-03-17 time=10:00-15:00")
    await chat.say(zed, "!tz Europe/Oslo")
    for learner, good in (("@ana:uni.no", f"{zed} helped"), ("@bo:uni.no", "Zebra")):
        await chat.say(learner, "!feedback daily day=1")
        for text in ("1", good, "more", "skip", "yes"):
            await chat.say(learner, text, direct=True)
    await chat.say(zed, "!forget-me", direct=True)
    await chat.say(zed, "yes", direct=True)
    async with chat.app.sessions() as session:
        items = (await session.execute(select(FeedbackItem))).scalars().all()
    stored = [str(value) for item in items for value in vars(item).values()]
    assert not [value for value in stored if "zed:uni.no" in value.casefold()]
    summary = await chat.say(ORGANIZER, "!feedback summary daily day=1")
    good = summary.reply.split("One good thing")[1]
    assert good.index("- \\[forgotten\\] helped") < good.index("- Zebra")  # "[" < "z"
