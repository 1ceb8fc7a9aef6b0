"""The feedback loop rehearsed as a new user would: a three-day workshop on the
simulated clock, six learners in two rooms and their leads, each answering exactly
the prompts the bot sent them, in the order sent, and nothing else (no command typed
by hand). Every daily, final and debrief form ends saved for everyone, none twice,
and every room's attendance of every day is reported from the day-end question.

The learners answer one message per half hour, so the final form arrives while
they are still in the last daily one (it must wait and start when that one ends);
one learner in Asia/Kolkata (UTC+05:30) answers each day's form the next morning
at 08:00 her time, 12.5 h after it came (a form lasts until its window closes).
Two learners' direct chats have ids of which one is a prefix of the other.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.db.models import Attendance, FeedbackResponse
from tests.chat import ORGANIZER, Chat

DAYS = ("2026-03-17", "2026-03-18", "2026-03-19")
LAST_END = datetime(2026, 3, 19, 14, tzinfo=UTC)  # 15:00 in Oslo
STEP = timedelta(minutes=30)
KOLKATA = ZoneInfo("Asia/Kolkata")
HOSTS = ("@host1:uni.no", "@host2:uni.no")
LEADS = ("@lead1:uni.no", "@lead2:uni.no")
LEARNERS = (("@ana:uni.no", "@ana:uni.no.in", "@bo:uni.no"),
            ("@cy:uni.no", "@di:uni.no", "@ed:uni.no"))
IN_KOLKATA = "@ana:uni.no.in"
QUESTION = re.compile(r"question \d+ of \d+:")
# The day-end question to a room's hosts and team leads: its attendance.
ATTENDANCE = "How many learners came to"


@dataclass
class Someone:
    user: str
    pending: str | None = None  # the last message that asked them something
    seen: int = 0  # messages of the transport read so far

    def awake(self, now: datetime) -> bool:
        """The Kolkata learner reads her messages once a day, at 08:00 her time."""
        return self.user != IN_KOLKATA or now.astimezone(KOLKATA).hour == 8

    def per_look(self) -> int:
        return 20 if self.user == IN_KOLKATA else 1


def asks(text: str) -> bool:
    return bool(QUESTION.search(text)) or "Save them?" in text or ATTENDANCE in text


def answer_to(text: str) -> str:
    """A valid answer to the last thing asked in `text`, read the way a person would."""
    questions = list(QUESTION.finditer(text))
    last = questions[-1].start() if questions else -1
    if text.rfind(ATTENDANCE) > max(last, text.rfind("Save them?")):
        return "4"
    if text.rfind("Save them?") > last:
        return "yes"
    tail = text[last:]
    if "one number from 1 to" in tail:
        return "1"
    if "one or more numbers" in tail:
        return "1, 2"
    if found := re.search(r"whole number from (-?\d+) to (-?\d+)", tail):
        return found[2]
    if "whole number" in tail:
        return "12"
    return "it went well"


async def look(chat: Chat, who: Someone) -> None:
    """Read what arrived (reminders), then answer what is asked, as often as they do."""
    for message in chat.transport.sent[who.seen:]:
        if message.user == who.user and message.in_reply_to is None and asks(message.text):
            who.pending = message.text
    who.seen = len(chat.transport.sent)
    for _ in range(who.per_look()):
        if who.pending is None or not who.awake(chat.clock.now()):
            return
        assert "replaces your earlier answers" not in who.pending, who.pending
        reply = (await chat.say(who.user, answer_to(who.pending), direct=True)).reply
        who.pending = reply if asks(reply) else None
        who.seen = len(chat.transport.sent)


async def set_up(chat: Chat) -> None:
    await chat.say(ORGANIZER, f"!workshop add 2026-spring title=Spring tz=Europe/Oslo "
                              f"days={','.join(DAYS)} time=10:00-15:00")
    for n, (host, lead, learners) in enumerate(zip(HOSTS, LEADS, LEARNERS, strict=True), 1):
        assert f"Registered R{n}" in await chat.say(host, (
            f'!room add name="Room {n}" org=Uni mode=in-person city=Oslo country=NO lang=en '
            "capacity=5 days=1-3 public=yes"))
        assert "is now a team lead" in await chat.say(host, f"!room lead add R{n} {lead}")
        for learner in learners:
            if learner == IN_KOLKATA:
                await chat.say(learner, "!tz Asia/Kolkata")
            await chat.say(learner, f"!join R{n}")


async def test_every_prompt_answered_saves_every_form_once(chat: Chat) -> None:
    await set_up(chat)
    people = [Someone(user) for user in (*HOSTS, *LEADS, *(u for r in LEARNERS for u in r))]
    await chat.app.reminders.advance(chat.clock, datetime(2026, 3, 17, 13, tzinfo=UTC)
                                     - chat.clock.now())
    while chat.clock.now() < LAST_END + timedelta(days=2):
        await chat.app.reminders.advance(chat.clock, STEP)
        for who in people:
            await look(chat, who)
    async with chat.app.sessions() as session:
        saved = list((await session.scalars(select(FeedbackResponse))).all())
    per_form = Counter((r.form, r.day) for r in saved)
    assert per_form == {("daily", 1): 6, ("daily", 2): 6, ("daily", 3): 6, ("final", 0): 6,
                        ("debrief", 0): 4}
    assert len({(r.respondent, r.form, r.day) for r in saved}) == len(saved) == 28
    async with chat.app.sessions() as session:
        counted = list(await session.execute(select(Attendance.room_id, Attendance.day,
                                                    Attendance.count)))
    assert sorted(counted) == [(room, day, 4) for room in (1, 2) for day in (1, 2, 3)]
    assert all(who.pending is None for who in people)
