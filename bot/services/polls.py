"""The daily form's "Today was" question as a poll, and the votes on it.

When a day's end-of-day reminders go out (bot/scheduling/delivery.py), the
first multiple-choice question of the `daily` form is posted once per
workshop day on every network configured for polls (`config.poll_networks`),
as an outbox row in the same transaction as the reminder that caused it. That
row keeps the network's id of the poll message once sent (`rows.mark_sent`),
and a vote finds its poll through it. Votes are stored like form responses:
under the voter's keyed pseudonym, never a user id, one row per chosen choice,
so a voter's current set of choices is what counts (withdrawing a vote deletes
its row).
Forget-me clears the pseudonym (bot/services/forget.py). Summaries show the
poll's counts next to the form's, labelled as the poll's.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings, poll_networks
from bot.db.models import FeedbackPoll, OutboxMessage, PollVote, Workshop
from bot.forms.definitions import Form, Kind, Question
from bot.messages import POLL_ROOM, Outgoing, Poll, Vote
from bot.outbox import rows
from bot.services import feedback
from bot.services.counted import PollCount
from bot.text import escape

FORM = "daily"


def poll_question(form: Form) -> Question | None:
    """The question a poll asks: the form's first multiple-choice question."""
    return next(
        (q for q in form.questions if q.kind in (Kind.MULTI, Kind.CHOICE) and q.choices), None
    )


def poll_key(network: str, workshop_id: int, day: int) -> str:
    return f"poll:{network}:w{workshop_id}:day{day}:{FORM}"


async def post_daily(
    session: AsyncSession, settings: Settings, workshop_id: int, day: int, now: datetime
) -> list[OutboxMessage]:
    """The day's poll on each network configured for polls, unless already posted."""
    networks = poll_networks(settings)
    form = feedback.forms(settings).get(FORM) if settings.feedback.enabled else None
    question = poll_question(form) if form is not None else None
    workshop = await session.get(Workshop, workshop_id) if networks else None
    if question is None or workshop is None:
        return []
    written = []
    for network in networks:
        key = poll_key(network, workshop_id, day)
        if await session.scalar(select(FeedbackPoll.id).where(FeedbackPoll.outbox_key == key)):
            continue
        session.add(FeedbackPoll(
            network=network, workshop_id=workshop_id, day=day, form=FORM,
            question=question.id, choices=json.dumps(list(question.choices), ensure_ascii=False),
            outbox_key=key, created_at=now,
        ))
        asked = f"Day {day} of {workshop.title}: {question.text}"
        text = "\n".join([
            f"📊 Day {day} of {escape(workshop.title)}: {escape(question.text)}",
            *(f"{n}. {escape(choice)}" for n, choice in enumerate(question.choices, start=1)),
        ])
        written.append(rows.add(
            session, key=key, network=network, reference="poll", now=now,
            message=Outgoing(text=text, room=POLL_ROOM, poll=Poll(asked, question.choices)),
        ))
    return written


async def record_vote(
    session: AsyncSession, settings: Settings, vote: Vote, now: datetime
) -> bool:
    """Store votes (or their withdrawal) on one of the bot's polls; False when they
    are not about one (another poll, an unknown choice: nothing is stored)."""
    poll = await session.scalar(
        select(FeedbackPoll)
        .join(OutboxMessage, OutboxMessage.dedupe_key == FeedbackPoll.outbox_key)
        .where(OutboxMessage.network == vote.network,
               OutboxMessage.network_message_id == vote.poll))
    if poll is None or not all(0 <= c < len(json.loads(poll.choices)) for c in vote.choices):
        return False
    key = await feedback.feedback_key(session, settings)
    respondent = feedback.pseudonym_of(key, f"{vote.network}:{vote.voter}")
    voters = (PollVote.poll_id == poll.id, PollVote.respondent == respondent)
    if vote.replaces:
        await session.execute(delete(PollVote).where(*voters))
        await session.flush()
    for choice in dict.fromkeys(vote.choices):
        mine = (*voters, PollVote.choice == choice)
        if not vote.chosen:
            await session.execute(delete(PollVote).where(*mine))
        elif await session.scalar(select(PollVote.id).where(*mine)) is None:
            session.add(PollVote(poll_id=poll.id, respondent=respondent, choice=choice,
                                 voted_at=now))
    return True


async def counts(
    session: AsyncSession, workshop: Workshop, form: str, day: int | None
) -> dict[str, PollCount]:
    """Per question id, the votes on its polls (of one day, or of every day)."""
    query = select(FeedbackPoll).where(
        FeedbackPoll.workshop_id == workshop.id, FeedbackPoll.form == form)
    if day is not None:
        query = query.where(FeedbackPoll.day == day)
    found: dict[str, PollCount] = {}
    for poll in (await session.scalars(query.order_by(FeedbackPoll.id))).all():
        choices: list[str] = json.loads(poll.choices)
        count = found.setdefault(poll.question, PollCount(counts=dict.fromkeys(choices, 0)))
        voters = await session.scalar(
            select(func.count(func.distinct(PollVote.respondent))).where(
                PollVote.poll_id == poll.id))
        count.voters += int(voters or 0)
        per_choice = await session.execute(
            select(PollVote.choice, func.count()).where(PollVote.poll_id == poll.id)
            .group_by(PollVote.choice))
        for index, number in per_choice.all():
            if 0 <= index < len(choices):
                count.counts[choices[index]] = count.counts.get(choices[index], 0) + number
    return found
