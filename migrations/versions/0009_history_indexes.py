"""callbacks: indexes on created_at and closed_at, so the Callbacks desk's figures read recent
items only instead of scanning every item the clinic ever made (issue 23)

Revision ID: 0009_history_indexes
Revises: 0008_integrity
"""

from __future__ import annotations

from alembic import op

revision = "0009_history_indexes"
down_revision = "0008_integrity"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("callbacks", schema=None) as batch_op:
        batch_op.create_index("ix_callbacks_created_at", ["created_at"], unique=False)
        batch_op.create_index("ix_callbacks_closed_at", ["closed_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("callbacks", schema=None) as batch_op:
        batch_op.drop_index("ix_callbacks_closed_at")
        batch_op.drop_index("ix_callbacks_created_at")
