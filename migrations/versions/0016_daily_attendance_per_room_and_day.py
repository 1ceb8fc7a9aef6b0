"""Daily attendance per local room and workshop day

`attendance`: one row per (room, day number), the count its hosts, team leads or
an organizer last reported, who reported it (cleared when they are forgotten),
how (a command or the day-end question) and when. A new report replaces the row:
the newest report wins.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 14:50:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.types

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('attendance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workshop_id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('reported_by', sa.Integer(), nullable=True),
    sa.Column('via', sa.String(length=16), nullable=False),
    sa.Column('reported_at', bot.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['reported_by'], ['person.id'], name=op.f('fk_attendance_reported_by_person'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['room_id'], ['local_room.id'], name=op.f('fk_attendance_room_id_local_room'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshop.id'], name=op.f('fk_attendance_workshop_id_workshop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance')),
    sa.UniqueConstraint('room_id', 'day', name=op.f('uq_attendance_room_id_day'))
    )


def downgrade() -> None:
    op.drop_table('attendance')
