"""feedback polls: the daily question posted as a poll, its votes by pseudonym, the
outbox row's poll

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 06:39:01.947111
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.types


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('feedback_poll',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('network', sa.String(length=32), nullable=False),
    sa.Column('workshop_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Integer(), nullable=False),
    sa.Column('form', sa.String(length=32), nullable=False),
    sa.Column('question', sa.String(length=64), nullable=False),
    sa.Column('choices', sa.Text(), nullable=False),
    sa.Column('outbox_key', sa.String(length=255), nullable=False),
    sa.Column('message_ref', sa.String(length=255), nullable=True),
    sa.Column('created_at', bot.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshop.id'], name=op.f('fk_feedback_poll_workshop_id_workshop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_poll')),
    sa.UniqueConstraint('network', 'workshop_id', 'day', 'form', name=op.f('uq_feedback_poll_network_workshop_id_day_form')),
    sa.UniqueConstraint('outbox_key', name=op.f('uq_feedback_poll_outbox_key'))
    )
    with op.batch_alter_table('feedback_poll', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_poll_message_ref'), ['message_ref'], unique=False)

    op.create_table('poll_vote',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('respondent', sa.String(length=64), nullable=True),
    sa.Column('choice', sa.Integer(), nullable=False),
    sa.Column('voted_at', bot.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['poll_id'], ['feedback_poll.id'], name=op.f('fk_poll_vote_poll_id_feedback_poll'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_poll_vote')),
    sa.UniqueConstraint('poll_id', 'respondent', 'choice', name=op.f('uq_poll_vote_poll_id_respondent_choice'))
    )
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('poll', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('poll')

    op.drop_table('poll_vote')
    with op.batch_alter_table('feedback_poll', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_poll_message_ref'))

    op.drop_table('feedback_poll')
