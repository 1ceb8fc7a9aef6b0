"""Direct-chat rows and outbox actions

- `outbox_message.direct`: the row goes to a direct chat; once sent, its text
  and what it answered are dropped (bot/outbox/marks.py). Rows written before
  this revision to a person are direct; a reply in a direct chat cannot be told
  from one in a room any more, and stays as it was until it is pruned.
- `outbox_message.action`: a row that asks the transport to do something (forget
  a person's direct chats) instead of saying something.
- Zulip's in-flight notes were keyed by an unsalted hash of the target (a user
  id for a direct message): they are deleted. A send cut short by a crash just
  before the upgrade may then land twice, once.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 14:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('direct', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.add_column(sa.Column('action', sa.String(length=32), nullable=True))
    op.execute("UPDATE outbox_message SET direct = true WHERE person IS NOT NULL")
    op.execute("DELETE FROM transport_state WHERE network = 'zulip' AND key LIKE 'in-flight:%'")


def downgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('action')
        batch_op.drop_column('direct')
