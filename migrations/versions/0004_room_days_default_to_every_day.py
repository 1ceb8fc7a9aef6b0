"""a room's days may be NULL: every day of its workshop, also days added later

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 03:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("local_room", schema=None) as batch_op:
        batch_op.alter_column("days", existing_type=sa.String(length=100), nullable=True)
    # A room that covers every day of its workshop now says so, so that days
    # added to the workshop later are covered too.
    op.execute(
        """
        UPDATE local_room SET days = NULL
        WHERE days = (
            SELECT CASE COUNT(*) WHEN 1 THEN '1' ELSE '1-' || COUNT(*) END
            FROM workshop_day WHERE workshop_day.workshop_id = local_room.workshop_id
        )
        """
    )


def downgrade() -> None:
    op.execute(
        """
        UPDATE local_room SET days = (
            SELECT CASE COUNT(*) WHEN 1 THEN '1' ELSE '1-' || COUNT(*) END
            FROM workshop_day WHERE workshop_day.workshop_id = local_room.workshop_id
        )
        WHERE days IS NULL
        """
    )
    with op.batch_alter_table("local_room", schema=None) as batch_op:
        batch_op.alter_column("days", existing_type=sa.String(length=100), nullable=False)
