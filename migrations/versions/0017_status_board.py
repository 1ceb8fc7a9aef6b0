"""The live status board: rooms' statuses per workshop day, the board messages, edits

- `room_day_status`: a room's latest status (need-help, working, done) on a
  workshop day, with a note and when it changed.
- `status_board`: the board message of one workshop day on one network, found
  by the dedupe key of the outbox row that posts it.
- `outbox_message.editable`: the row's network id is kept once sent (later rows
  edit that message); `outbox_message.edit_of`: the row whose message an edit
  row replaces.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 14:35:53.495882
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.types

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('status_board',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workshop_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Integer(), nullable=False),
    sa.Column('network', sa.String(length=32), nullable=False),
    sa.Column('post_key', sa.String(length=255), nullable=False),
    sa.Column('created_at', bot.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshop.id'], name=op.f('fk_status_board_workshop_id_workshop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_board')),
    sa.UniqueConstraint('post_key', name=op.f('uq_status_board_post_key')),
    sa.UniqueConstraint('workshop_id', 'day', 'network', name=op.f('uq_status_board_workshop_id_day_network'))
    )
    op.create_table('room_day_status',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('workshop_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('need-help', 'working', 'done', name='exercisestate', native_enum=False, length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('changed_at', bot.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['room_id'], ['local_room.id'], name=op.f('fk_room_day_status_room_id_local_room'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshop.id'], name=op.f('fk_room_day_status_workshop_id_workshop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_room_day_status')),
    sa.UniqueConstraint('room_id', 'day', name=op.f('uq_room_day_status_room_id_day'))
    )
    with op.batch_alter_table('room_day_status', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_room_day_status_workshop_id'), ['workshop_id'], unique=False)
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('editable', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('edit_of', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_message_edit_of'), ['edit_of'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_message_edit_of'))
        batch_op.drop_column('edit_of')
        batch_op.drop_column('editable')
    with op.batch_alter_table('room_day_status', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_room_day_status_workshop_id'))

    op.drop_table('room_day_status')
    op.drop_table('status_board')
