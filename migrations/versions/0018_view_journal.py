"""view journal marks: how far each view journal beside a SQLite clinic file
(store/view_journal.py) has been brought into the audit chain, so a view's audit event waits for
no writer and is still appended exactly once (issue 23 point 2). Created on both engines so the
schema is one; PostgreSQL desks write their views' events straight into the chain.

Revision ID: 0018_view_journal
Revises: 0017_ledger_summary
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_view_journal"
down_revision = "0017_ledger_summary"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_view_marks",
        sa.Column("journal", sa.String(length=16), nullable=False),
        sa.Column("moved_through", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("journal", name=op.f("pk_audit_view_marks")),
    )


def downgrade() -> None:
    op.drop_table("audit_view_marks")
