"""A workshop's setup link, and archiving a finished workshop

- `workshop.setup_url`: the address of the installation instructions, shown to
  learners before the first day.
- `workshop.archived_at`: when an organizer archived the finished workshop
  (hidden from listings; its rooms, feedback and summaries stay).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 08:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.types

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('workshop', schema=None) as batch_op:
        batch_op.add_column(sa.Column('setup_url', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('archived_at', bot.db.types.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('workshop', schema=None) as batch_op:
        batch_op.drop_column('archived_at')
        batch_op.drop_column('setup_url')
