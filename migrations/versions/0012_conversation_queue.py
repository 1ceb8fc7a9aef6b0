"""conversations queue: one active per person, the others waiting in order

- `conversation.position`: 0 is the person's active conversation, 1, 2...
  wait in that order (bot/conversations/store.py). Rows of the old schema are
  each a person's only conversation: they become active.
- the unique `person_id` becomes a partial unique index over the active rows,
  and an index over (person, position) finds the queue.
- `form` becomes `topic`: what the conversation is about within its kind.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 18:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = "position = 0"


def upgrade() -> None:
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('position', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.alter_column('form', new_column_name='topic', existing_type=sa.String(32),
                              existing_nullable=True)
        batch_op.drop_constraint('uq_conversation_person_id', type_='unique')
        batch_op.create_index('uq_conversation_one_active', ['person_id'], unique=True,
                              sqlite_where=sa.text(ACTIVE), postgresql_where=sa.text(ACTIVE))
        batch_op.create_index('ix_conversation_queue', ['person_id', 'position'])
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.alter_column('position', server_default=None, existing_type=sa.Integer(),
                              existing_nullable=False)


def downgrade() -> None:
    op.execute("DELETE FROM conversation WHERE position <> 0")
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.drop_index('ix_conversation_queue')
        batch_op.drop_index('uq_conversation_one_active')
        batch_op.create_unique_constraint('uq_conversation_person_id', ['person_id'])
        batch_op.alter_column('topic', new_column_name='form', existing_type=sa.String(32),
                              existing_nullable=True)
        batch_op.drop_column('position')
