"""flow: a per-visit summary of the status events (appointment_flow), kept at write time by
services/status_events.py, so the patient-flow report reads one row per visit instead of the
year's events (issue #18 point 6). Backfilled here from the events.

Revision ID: 0016_flow
Revises: 0015_interop_more

Plain op.* calls and SQL written once for SQLite and PostgreSQL. The backfill statement is a
frozen copy of services/status_events.py's (a migration must not change when the code does).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import coordinator_tui.store.types

revision = "0016_flow"
down_revision = "0015_interop_more"
branch_labels = None
depends_on = None

BACKFILL = """INSERT INTO appointment_flow (appointment_id, arrived, arrived_by_id, roomed, with_provider, done)
SELECT e.appointment_id,
       max(CASE WHEN e.to_status = 'arrived' THEN e.at END),
       (SELECT x.by_id FROM appointment_status_events x
        WHERE x.appointment_id = e.appointment_id AND x.to_status = 'arrived'
        ORDER BY x.at DESC, x.id DESC LIMIT 1),
       max(CASE WHEN e.to_status = 'roomed' THEN e.at END),
       max(CASE WHEN e.to_status = 'with_provider' THEN e.at END),
       max(CASE WHEN e.to_status = 'checked_out' THEN e.at END)
FROM appointment_status_events e
WHERE e.to_status IN ('arrived', 'roomed', 'with_provider', 'checked_out')
GROUP BY e.appointment_id"""


def upgrade() -> None:
    instant = coordinator_tui.store.types.UTCDateTime
    op.create_table(
        "appointment_flow",
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("arrived", instant(), nullable=True),
        sa.Column("arrived_by_id", sa.Integer(), nullable=True),
        sa.Column("roomed", instant(), nullable=True),
        sa.Column("with_provider", instant(), nullable=True),
        sa.Column("done", instant(), nullable=True),
        sa.ForeignKeyConstraint(["appointment_id"], ["appointments.id"],
                                name=op.f("fk_appointment_flow_appointment_id_appointments")),
        sa.ForeignKeyConstraint(["arrived_by_id"], ["staff_users.id"],
                                name=op.f("fk_appointment_flow_arrived_by_id_staff_users")),
        sa.PrimaryKeyConstraint("appointment_id", name=op.f("pk_appointment_flow")),
    )
    op.execute(BACKFILL)


def downgrade() -> None:
    op.drop_table("appointment_flow")
