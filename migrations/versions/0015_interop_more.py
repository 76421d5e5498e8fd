"""interop, more: HL7 v2 messages from the EHR that we refused (ACK AE), kept with their reason
for a supervisor to re-try once the cause is fixed (issue #19)

Revision ID: 0015_interop_more
Revises: 0011_reminders

Plain op.* calls only: the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import coordinator_tui.store.types

revision = "0015_interop_more"
down_revision = "0014_pg_search"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('interop_refused',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sender', sa.String(length=180), nullable=False),
    sa.Column('control_id', sa.String(length=64), nullable=False),
    sa.Column('message_type', sa.String(length=16), nullable=False),
    sa.Column('received_at', coordinator_tui.store.types.UTCDateTime(), nullable=False),
    sa.Column('ack_code', sa.String(length=2), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('resolved_at', coordinator_tui.store.types.UTCDateTime(), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolution', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['staff_users.id'], name=op.f('fk_interop_refused_resolved_by_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interop_refused'))
    )
    op.create_index('ix_interop_refused_open', 'interop_refused', ['resolved_at'], unique=False)
    op.create_index('ix_interop_refused_sender_control_id', 'interop_refused',
                    ['sender', 'control_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_interop_refused_sender_control_id', table_name='interop_refused')
    op.drop_index('ix_interop_refused_open', table_name='interop_refused')
    op.drop_table('interop_refused')
