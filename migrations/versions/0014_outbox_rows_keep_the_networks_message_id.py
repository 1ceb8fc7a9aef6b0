"""Outbox rows keep the network's message id; polls find their message through it

- `outbox_message.network_message_id`: the network's id of a sent message that
  the network names back later (a poll's: votes name it). A row holding one is
  not pruned with the other sent rows.
- `feedback_poll.message_ref` goes: a poll's message id is on its outbox row
  (`feedback_poll.outbox_key` is the row's dedupe key). Each id moves there; a
  poll whose row was already pruned gets a sent row of its own, holding only the
  key, the network, the id and the poll's time, so votes on it still count.
  Going down copies the ids back (the rows made on the way up stay; the older
  code prunes them like any sent row).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 07:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('network_message_id', sa.String(length=255),
                                      nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_message_network_message_id'),
                              ['network_message_id'], unique=False)
    op.execute(
        "UPDATE outbox_message SET network_message_id = ("
        " SELECT message_ref FROM feedback_poll"
        " WHERE feedback_poll.outbox_key = outbox_message.dedupe_key)"
        " WHERE dedupe_key IN ("
        " SELECT outbox_key FROM feedback_poll WHERE message_ref IS NOT NULL)"
    )
    op.execute(
        "INSERT INTO outbox_message (dedupe_key, network, room, text, not_before, status,"
        " attempts, reference, created_at, sent_at, network_message_id)"
        " SELECT outbox_key, network, 'poll', '', created_at, 'sent', 0, 'poll',"
        " created_at, created_at, message_ref FROM feedback_poll"
        " WHERE message_ref IS NOT NULL"
        " AND outbox_key NOT IN (SELECT dedupe_key FROM outbox_message)"
    )
    with op.batch_alter_table('feedback_poll', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_poll_message_ref'))
        batch_op.drop_column('message_ref')


def downgrade() -> None:
    with op.batch_alter_table('feedback_poll', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_ref', sa.String(length=255), nullable=True))
        batch_op.create_index(batch_op.f('ix_feedback_poll_message_ref'), ['message_ref'],
                              unique=False)
    op.execute(
        "UPDATE feedback_poll SET message_ref = ("
        " SELECT network_message_id FROM outbox_message"
        " WHERE outbox_message.dedupe_key = feedback_poll.outbox_key)"
    )
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_message_network_message_id'))
        batch_op.drop_column('network_message_id')
