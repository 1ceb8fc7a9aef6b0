"""One learner place per person per workshop, one current workshop: in the schema

The rules were kept by the code under SQLite's whole-database lock; on
PostgreSQL transactions run side by side, so the schema enforces them too:

- `membership.workshop_id` (the room's workshop, filled from `local_room`) and a
  unique index over (workshop, person) for the learner and waitlist rows;
- a unique index over `workshop.is_current` for the rows where it is true.

A database the old code could not have produced (two learner places of one
person in one workshop, two current workshops) is repaired first, keeping what
the code would have kept: the person's seat before a waitlist place, else the
earliest place; the current workshop with the lowest id.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 05:38:32.135819
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEEKERS = "role IN ('learner', 'waitlist')"


def upgrade() -> None:
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.add_column(sa.Column('workshop_id', sa.Integer(), nullable=True))
    op.execute(
        "UPDATE membership SET workshop_id = "
        "(SELECT local_room.workshop_id FROM local_room WHERE local_room.id = membership.room_id)"
    )
    # Extra places the old code never wrote: keep the seat, else the earliest place.
    op.execute(
        f"DELETE FROM membership WHERE {SEEKERS} AND EXISTS ("
        " SELECT 1 FROM membership AS other"
        " WHERE other.workshop_id = membership.workshop_id"
        " AND other.person_id = membership.person_id"
        " AND other.role IN ('learner', 'waitlist') AND other.id <> membership.id"
        " AND (CASE other.role WHEN 'learner' THEN 0 ELSE 1 END, other.id)"
        " < (CASE membership.role WHEN 'learner' THEN 0 ELSE 1 END, membership.id))"
    )
    op.execute(
        "UPDATE workshop SET is_current = false WHERE is_current = true AND id > "
        "(SELECT min(id) FROM workshop WHERE is_current = true)"
    )
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.alter_column('workshop_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(
            'uq_membership_one_place', ['workshop_id', 'person_id'], unique=True,
            sqlite_where=sa.text(SEEKERS), postgresql_where=sa.text(SEEKERS),
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_membership_workshop_id_workshop'), 'workshop', ['workshop_id'],
            ['id'], ondelete='CASCADE',
        )

    with op.batch_alter_table('workshop', schema=None) as batch_op:
        batch_op.create_index(
            'uq_workshop_one_current', ['is_current'], unique=True,
            sqlite_where=sa.text('is_current = true'),
            postgresql_where=sa.text('is_current = true'),
        )


def downgrade() -> None:
    with op.batch_alter_table('workshop', schema=None) as batch_op:
        batch_op.drop_index('uq_workshop_one_current')

    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_membership_workshop_id_workshop'), type_='foreignkey'
        )
        batch_op.drop_index('uq_membership_one_place')
        batch_op.drop_column('workshop_id')
