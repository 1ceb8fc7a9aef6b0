"""Messages kept up to date in place (the status board): one post, then edit rows.

The first text is posted as an `editable` row: once sent, it keeps the network's
id of the message. Each later text is an edit row (`edit_of` the post's row),
which the worker sends as an edit of that message, in the post's lane (so after
it). The rows coalesce:

- at most one edit is pending per post: a newer text replaces the pending edit's
  text in the caller's transaction (the newest wins), so a burst of changes
  costs one edit, not one each;
- an edit is due `gap` after the last one was sent, so a post is edited at most
  once per `gap`;
- the worker reads an edit's text just before sending it and marks it sent only
  if the text is still what it sent; a change that landed meanwhile is sent
  `gap` later (bot/outbox/worker.py). An edit that fails is retried like a send.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import DeliveryStatus, OutboxMessage
from bot.messages import Outgoing
from bot.outbox import rows
from bot.outbox.marks import OUTBOX
from bot.outbox.rows import Delivery


def edit_key(post_key: str) -> str:
    """The dedupe key of a new edit of a post: random, as sent edits are pruned like
    any sent row (a count or a number would come round again). What keeps a post to
    one pending edit is the caller's lock on what it shows (`post_or_edit`)."""
    return f"{post_key}:edit:{secrets.token_hex(8)}"


async def post_or_edit(
    session: AsyncSession, *, key: str, network: str, room: str, text: str,
    reference: str, now: datetime, gap: timedelta,
) -> Delivery:
    """Show `text` as the message posted with the dedupe key `key`: post it, or edit
    it (a new pending edit row, or the pending one's text replaced). The row's
    delivery, not awaited by the command (an edit may be due seconds later). A
    post made anew has a key of its own (`repost_key`): the delivery's
    `message.key` is the one to pass next time. The caller holds a lock on what
    the message shows (the status board's row), so two changes at once do not
    each add an edit."""
    post = await session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == key))
    if post is None or post.status is DeliveryStatus.FAILED or await _last_edit_failed(
            session, post.id):
        fresh = key if post is None else await repost_key(session, key)
        written = await rows.add_all(
            session, [(fresh, Outgoing(text=text, room=room, editable=True))],
            network=network, reference=reference, now=now)
        return replace(written[0], awaited=False)
    pending = await session.scalar(
        select(OutboxMessage)
        .where(OutboxMessage.edit_of == post.id, OutboxMessage.status == DeliveryStatus.PENDING)
        .order_by(OutboxMessage.id.desc()).limit(1))
    if pending is not None:  # the newest wins: still one edit to send
        pending.text = text
        return replace(rows.delivery(pending), awaited=False)
    last_sent = await session.scalar(
        select(func.max(OutboxMessage.sent_at))
        .where(or_(OutboxMessage.id == post.id, OutboxMessage.edit_of == post.id)))
    due = max(now, last_sent + gap) if last_sent is not None else now
    row = rows.add(session, key=edit_key(key), network=network,
                   message=Outgoing(text=text, room=room), reference=reference, now=now,
                   not_before=due)
    row.edit_of = post.id
    await session.flush()
    return replace(rows.delivery(row), awaited=False)


async def _last_edit_failed(session: AsyncSession, post_id: int) -> bool:
    last = await session.scalar(
        select(OutboxMessage.status).where(OutboxMessage.edit_of == post_id)
        .order_by(OutboxMessage.id.desc()).limit(1))
    return last is DeliveryStatus.FAILED


async def repost_key(session: AsyncSession, key: str) -> str:
    """A fresh key for posting the message anew (`KEY:again:N`, N from 1)."""
    base = key.split(":again:", 1)[0]
    count = await session.scalar(select(func.count()).where(
        OutboxMessage.editable,
        OutboxMessage.dedupe_key.startswith(f"{base}:again:", autoescape=True)))
    return f"{base}:again:{int(count or 0) + 1}"


@dataclass(frozen=True)
class EditNow:
    """An edit row as it stands when the worker is about to send it."""

    text: str
    pending: bool
    # The network's id of the message it edits; None while that is not sent.
    replaces: str | None
    # That message failed for good (or its row is gone): there is nothing to edit.
    orphaned: bool


async def edit_now(session: AsyncSession, row_id: int, edit_of: int) -> EditNow | None:
    """The edit's current text and its post's message id; None when the row is gone."""
    found = (await session.execute(
        select(OutboxMessage.text, OutboxMessage.status).where(OutboxMessage.id == row_id)
    )).one_or_none()
    if found is None:
        return None
    post = (await session.execute(
        select(OutboxMessage.network_message_id, OutboxMessage.status)
        .where(OutboxMessage.id == edit_of)
    )).one_or_none()
    orphaned = post is None or post.status is DeliveryStatus.FAILED or (
        post.status is DeliveryStatus.SENT and post.network_message_id is None)
    return EditNow(found.text, found.status is DeliveryStatus.PENDING,
                   None if post is None else post.network_message_id, orphaned)


async def mark_edit_sent(session: AsyncSession, row_id: int, now: datetime, text: str) -> bool:
    """Mark an edit sent if its text is still `text` (what was sent); False when a
    newer text replaced it meanwhile (it stays pending, to be sent again)."""
    result = await session.execute(
        update(OUTBOX)
        .where(OUTBOX.c.id == row_id, OUTBOX.c.status == DeliveryStatus.PENDING,
               OUTBOX.c.text == text)
        .values(status=DeliveryStatus.SENT, sent_at=now, error=None))
    return bool(getattr(result, "rowcount", 0))
