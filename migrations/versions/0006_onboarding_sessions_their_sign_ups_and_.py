"""onboarding sessions, their sign-ups and reminders

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 03:35:53.722273
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.types


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('onboarding_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workshop_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', bot.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('link', sa.String(length=500), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('audience', sa.Enum('all', 'in-person', 'online', name='audience', native_enum=False, length=16), nullable=False),
    sa.Column('created_at', bot.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshop.id'], name=op.f('fk_onboarding_session_workshop_id_workshop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_onboarding_session'))
    )
    with op.batch_alter_table('onboarding_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_onboarding_session_workshop_id'), ['workshop_id'], unique=False)

    op.create_table('reminder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=255), nullable=False),
    sa.Column('workshop_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('due_at', bot.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'sent', 'missed', 'cancelled', name='reminderstatus', native_enum=False, length=16), nullable=False),
    sa.Column('sent_at', bot.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('late_minutes', sa.Integer(), nullable=True),
    sa.Column('created_at', bot.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_reminder_person_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshop.id'], name=op.f('fk_reminder_workshop_id_workshop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_reminder_dedupe_key'))
    )
    with op.batch_alter_table('reminder', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminder_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminder_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminder_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminder_workshop_id'), ['workshop_id'], unique=False)

    op.create_table('onboarding_signup',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workshop_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('created_at', bot.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_onboarding_signup_person_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['onboarding_session.id'], name=op.f('fk_onboarding_signup_session_id_onboarding_session'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshop.id'], name=op.f('fk_onboarding_signup_workshop_id_workshop'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_onboarding_signup')),
    sa.UniqueConstraint('workshop_id', 'person_id', name=op.f('uq_onboarding_signup_workshop_id_person_id'))
    )
    with op.batch_alter_table('onboarding_signup', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_onboarding_signup_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_onboarding_signup_session_id'), ['session_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('onboarding_signup', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_onboarding_signup_session_id'))
        batch_op.drop_index(batch_op.f('ix_onboarding_signup_person_id'))

    op.drop_table('onboarding_signup')
    with op.batch_alter_table('reminder', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminder_workshop_id'))
        batch_op.drop_index(batch_op.f('ix_reminder_status'))
        batch_op.drop_index(batch_op.f('ix_reminder_person_id'))
        batch_op.drop_index(batch_op.f('ix_reminder_due_at'))

    op.drop_table('reminder')
    with op.batch_alter_table('onboarding_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_onboarding_session_workshop_id'))

    op.drop_table('onboarding_session')
