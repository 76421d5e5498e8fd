"""check-in checks: demographics confirmed, photo ID and insurance card seen

Revision ID: 0003_checkin_checks
Revises: 0002_patient_search
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_checkin_checks"
down_revision = "0002_patient_search"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "checkin_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=16), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_by_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "item IN ('photo_id', 'insurance_card', 'demographics')",
            name=op.f("ck_checkin_checks_item_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["appointment_id"], ["appointments.id"],
            name=op.f("fk_checkin_checks_appointment_id_appointments"),
        ),
        sa.ForeignKeyConstraint(
            ["checked_by_id"], ["staff_users.id"],
            name=op.f("fk_checkin_checks_checked_by_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_checks")),
    )
    with op.batch_alter_table("checkin_checks", schema=None) as batch_op:
        batch_op.create_index("ix_checkin_checks_appointment_item", ["appointment_id", "item"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("checkin_checks", schema=None) as batch_op:
        batch_op.drop_index("ix_checkin_checks_appointment_item")
    op.drop_table("checkin_checks")
