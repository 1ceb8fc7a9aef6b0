"""A chat room per local room

- `workshop_chats`: a workshop's own choice of chats (`!workshop edit SLUG
  chats=yes|no`) and the network's id of its Space once known.
- `room_chat`: a local room's chat on a network: its name, the network's room or
  channel id once created, and its state (wanted, created, archived).
- `chat_member`: whom the bot asked the network to let into a chat, and at which
  power level.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 14:36:01.538938
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.types

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('workshop_chats',
    sa.Column('workshop_id', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('network_space', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshop.id'], name=op.f('fk_workshop_chats_workshop_id_workshop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('workshop_id', name=op.f('pk_workshop_chats'))
    )
    op.create_table('room_chat',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('network', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('network_room', sa.String(length=255), nullable=True),
    sa.Column('state', sa.Enum('wanted', 'created', 'archived', name='chatstate', native_enum=False, length=16), nullable=False),
    sa.Column('created_at', bot.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('archived_at', bot.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['room_id'], ['local_room.id'], name=op.f('fk_room_chat_room_id_local_room'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_room_chat')),
    sa.UniqueConstraint('room_id', 'network', name=op.f('uq_room_chat_room_id_network'))
    )
    with op.batch_alter_table('room_chat', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_room_chat_room_id'), ['room_id'], unique=False)
    op.create_table('chat_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chat_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('power', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['chat_id'], ['room_chat.id'], name=op.f('fk_chat_member_chat_id_room_chat'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_chat_member_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_member')),
    sa.UniqueConstraint('chat_id', 'person_id', name=op.f('uq_chat_member_chat_id_person_id'))
    )
    with op.batch_alter_table('chat_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chat_member_person_id'), ['person_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('chat_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chat_member_person_id'))
    op.drop_table('chat_member')
    with op.batch_alter_table('room_chat', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_room_chat_room_id'))
    op.drop_table('room_chat')
    op.drop_table('workshop_chats')
