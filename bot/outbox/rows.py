"""Outbox rows: written in the transaction of the effects that caused them.

A row is a message the bot has decided to say. It is committed together with
the command's effects (or a reminder's state), so a crash can delay a message
but never lose it, and never send it without its cause.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import DeliveryStatus, OutboxMessage
from bot.messages import Attachment, Origin, Outgoing, Poll
from bot.outbox.marks import DROP_IF_DIRECT, MARK_SENT, OUTBOX


@dataclass(frozen=True)
class Delivery:
    """A committed row on its way to a transport."""

    id: int
    network: str
    message: Outgoing
    not_before: datetime
    attempts: int = 0
    # An edit: the id of the row whose message it replaces (bot/outbox/edits.py).
    edit_of: int | None = None
    # The command that wrote it waits for it (a board's edit may wait seconds: no).
    awaited: bool = True

    @property
    def lane(self) -> str:
        """Messages to the same target go out in order; targets do not wait for each other."""
        target = f"room:{self.message.room}" if self.message.room else f"user:{self.message.user}"
        return f"{self.network}|{target}"


# Dedupe keys per id look-up (SQLite allows 32,766 parameters to a statement).
ID_LOOKUP_CHUNK = 1000


# Built once, on the table: no ORM bulk insert path for rows the session never holds.
_INSERT = insert(OUTBOX)
_INSERT_ONE = insert(OUTBOX).returning(OUTBOX.c.id)


def reply_key(network: str, event_id: str) -> str:
    """The dedupe key of the answer to a command (one answer per command event)."""
    return f"reply:{network}:{event_id}"


def notice_key(reply: str, index: int) -> str:
    """The dedupe key of the `index`th notice (from 1) sent with an answer."""
    return f"{reply}:notice:{index}"


def _values(
    key: str, network: str, message: Outgoing, reference: str, now: datetime,
    not_before: datetime | None,
) -> dict[str, Any]:
    """The columns of a new pending row."""
    origin = message.in_reply_to
    attachment = message.attachment
    return {
        "dedupe_key": key,
        "network": network,
        "room": message.room,
        "person": message.user,
        "direct": message.user is not None or message.direct,
        "action": message.action,
        "text": message.text,
        "reply_to_event": origin.event_id if origin else None,
        "reply_to_room": origin.room if origin else None,
        "thread_root": origin.thread_root if origin else None,
        "mentions": "\n".join(message.mentions) or None,
        "attachment_name": attachment.filename if attachment else None,
        "attachment_type": attachment.content_type if attachment else None,
        "attachment_data": attachment.data if attachment else None,
        "editable": message.editable,
        "poll": json.dumps({"question": message.poll.question,
                            "choices": list(message.poll.choices)},
                           ensure_ascii=False) if message.poll else None,
        "not_before": not_before or now,
        "status": DeliveryStatus.PENDING,
        "attempts": 0,
        "reference": reference,
        "created_at": now,
    }


def add(
    session: AsyncSession,
    *,
    key: str,
    network: str,
    message: Outgoing,
    reference: str,
    now: datetime,
    not_before: datetime | None = None,
) -> OutboxMessage:
    """Add a row to the session's transaction (flushed with it)."""
    row = OutboxMessage(**_values(key, network, message, reference, now, not_before))
    session.add(row)
    return row


async def add_all(
    session: AsyncSession,
    messages: Sequence[tuple[str, Outgoing]],
    *,
    network: str,
    reference: str,
    now: datetime,
) -> list[Delivery]:
    """Write rows for (dedupe key, message) pairs in the session's transaction, in that
    order (ids ascending, so the worker keeps it after a restart too); their deliveries.

    One row (most answers): an INSERT … RETURNING its id. More: not an ORM object
    each but one INSERT executed for all of them (SQLite: an
    executemany, row after row; PostgreSQL: multi-row VALUES, whose ids are drawn
    in row order), then their ids by dedupe key. An INSERT … RETURNING in
    parameter order would be one statement per row on SQLite, which has no
    other way to match the ids to the rows. So an announcement to a thousand
    people costs two statements, not a thousand (bench/fanout.py). Pending ORM
    changes are flushed first, as before any query.
    """
    if not messages:
        return []
    await session.flush()  # statements on the table do not flush the session themselves
    values = [_values(key, network, message, reference, now, None) for key, message in messages]
    if len(values) == 1:  # most answers: the row and its id in one statement
        row_id = (await session.execute(_INSERT_ONE, values[0])).scalar_one()
        key, message = messages[0]
        return [Delivery(row_id, network, replace(message, reference=reference, key=key), now)]
    await session.execute(_INSERT, values)
    keys = [key for key, _ in messages]
    ids: dict[str, int] = {}
    for start in range(0, len(keys), ID_LOOKUP_CHUNK):
        found = await session.execute(
            select(OutboxMessage.dedupe_key, OutboxMessage.id)
            .where(OutboxMessage.dedupe_key.in_(keys[start:start + ID_LOOKUP_CHUNK]))
        )
        ids.update((key, row_id) for key, row_id in found)
    return [
        Delivery(ids[key], network, replace(message, reference=reference, key=key), now)
        for key, message in messages
    ]


# Where rows written beside a command's answer wait for the dispatcher to hand
# them on with it (a session's own `info`, so they leave with its transaction).
_ASIDE = "outbox-aside"


def put_aside(session: AsyncSession, deliveries: Iterable[Delivery]) -> None:
    """Rows a service wrote in the session's transaction, to be handed to the worker
    with the answer once it commits."""
    session.info.setdefault(_ASIDE, []).extend(deliveries)


def take_aside(session: AsyncSession) -> list[Delivery]:
    """The rows put aside in this session (and forget them: after a rollback they are
    gone)."""
    return list(session.info.pop(_ASIDE, []))


def delivery(row: OutboxMessage) -> Delivery:
    """The row as the worker hands it to a transport."""
    origin = None
    if row.reply_to_event is not None and row.reply_to_room is not None:
        origin = Origin(row.reply_to_room, row.reply_to_event, row.thread_root)
    attachment = None
    if row.attachment_name is not None and row.attachment_data is not None:
        attachment = Attachment(
            row.attachment_name, row.attachment_type or "application/octet-stream",
            row.attachment_data,
        )
    message = Outgoing(
        text=row.text,
        room=row.room,
        user=row.person,
        in_reply_to=origin,
        mentions=tuple(row.mentions.splitlines()) if row.mentions else (),
        attachment=attachment,
        reference=row.reference,
        key=row.dedupe_key,
        poll=_poll(row.poll),
        direct=row.direct and row.room is not None,  # to `user`: direct anyway
        action=row.action,
        editable=row.editable,
    )
    return Delivery(row.id, row.network, message, row.not_before, row.attempts, row.edit_of)


def _poll(raw: str | None) -> Poll | None:
    if raw is None:
        return None
    found = json.loads(raw)
    return Poll(str(found["question"]), tuple(str(c) for c in found["choices"]))


async def pending(session: AsyncSession, networks: Iterable[str]) -> list[Delivery]:
    """Rows not yet sent for these networks, oldest first."""
    rows = await session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.status == DeliveryStatus.PENDING,
            OutboxMessage.network.in_(list(networks)),
        )
        .order_by(OutboxMessage.id)
    )
    return [delivery(row) for row in rows]


async def mark_sent(
    session: AsyncSession, row_id: int, now: datetime, message_id: str | None = None
) -> None:
    """Mark a row sent, keeping the network's id of its message where given (for a
    message the network names back later: votes name their poll's)."""
    marked = MARK_SENT if message_id is None else MARK_SENT.values(
        network_message_id=message_id)
    await session.execute(marked, {"ids": [row_id], "now": now})


async def mark_failed(session: AsyncSession, row_id: int, reason: str) -> None:
    """Mark a row failed for good; a direct chat's is then kept like a sent one (its
    target, reason and reference for `!deliveries`, not what it said)."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id)
        .values(status=DeliveryStatus.FAILED, error=reason[:2000], **DROP_IF_DIRECT)
    )


async def note_attempt(session: AsyncSession, row_id: int, attempts: int, problem: str) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id)
        .values(attempts=attempts, error=problem[:2000])
    )


async def failed(session: AsyncSession, limit: int) -> tuple[int, Sequence[OutboxMessage]]:
    """How many deliveries failed, and the latest `limit` of them, newest first."""
    total = await session.scalar(
        select(func.count()).where(OutboxMessage.status == DeliveryStatus.FAILED)
    )
    rows = await session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status == DeliveryStatus.FAILED)
        .order_by(OutboxMessage.id.desc())
        .limit(limit)
    )
    return int(total or 0), rows.all()


async def forget_sent_before(session: AsyncSession, cutoff: datetime) -> int:
    """Delete rows sent before `cutoff`. Failed and pending rows are kept, and so are
    rows whose message the network names back (a poll's: a late vote still finds it)."""
    result = await session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.status == DeliveryStatus.SENT, OutboxMessage.sent_at < cutoff,
            OutboxMessage.network_message_id.is_(None),
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
