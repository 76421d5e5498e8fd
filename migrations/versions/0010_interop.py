"""interop: HL7 v2 inbound log, outbox, EHR id links, imports held for a person (issue #19)

Revision ID: 0010_interop
Revises: 0009_history_indexes
Create Date: 2026-12-02 12:38:39.739599
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import coordinator_tui.store.types

revision = "0010_interop"
down_revision = "0009_history_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('interop_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('system', sa.String(length=180), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=False),
    sa.Column('local_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('patient', 'appointment', 'provider', 'location')", name=op.f('ck_interop_links_kind_valid')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interop_links')),
    sa.UniqueConstraint('system', 'kind', 'external_id', name='uq_interop_links_system_kind_id')
    )
    with op.batch_alter_table('interop_links', schema=None) as batch_op:
        batch_op.create_index('ix_interop_links_kind_local_id', ['kind', 'local_id'], unique=False)

    op.create_table('interop_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=True),
    sa.Column('event', sa.String(length=12), nullable=False),
    sa.Column('entity', sa.String(length=12), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('created_at', coordinator_tui.store.types.UTCDateTime(), nullable=False),
    sa.Column('status', sa.String(length=8), server_default='pending', nullable=False),
    sa.Column('attempts', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('sent_at', coordinator_tui.store.types.UTCDateTime(), nullable=True),
    sa.Column('ack_code', sa.String(length=2), nullable=True),
    sa.Column('ack_text', sa.String(length=300), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'sent', 'refused')", name=op.f('ck_interop_outbox_status_valid')),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_interop_outbox_attempts_nonneg')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interop_outbox'))
    )
    with op.batch_alter_table('interop_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_interop_outbox_patient_id', ['patient_id', 'id'], unique=False)
        batch_op.create_index('ix_interop_outbox_status_id', ['status', 'id'], unique=False)

    op.create_table('interop_held',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('sender', sa.String(length=180), nullable=False),
    sa.Column('reference', sa.String(length=120), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('created_at', coordinator_tui.store.types.UTCDateTime(), nullable=False),
    sa.Column('resolved_at', coordinator_tui.store.types.UTCDateTime(), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolution', sa.String(length=300), nullable=True),
    sa.CheckConstraint("source IN ('hl7', 'fhir')", name=op.f('ck_interop_held_source_valid')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['staff_users.id'], name=op.f('fk_interop_held_resolved_by_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interop_held'))
    )
    with op.batch_alter_table('interop_held', schema=None) as batch_op:
        batch_op.create_index('ix_interop_held_open', ['resolved_at'], unique=False)

    op.create_table('interop_inbound',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sender', sa.String(length=180), nullable=False),
    sa.Column('control_id', sa.String(length=64), nullable=False),
    sa.Column('message_type', sa.String(length=16), nullable=False),
    sa.Column('received_at', coordinator_tui.store.types.UTCDateTime(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('ack_code', sa.String(length=2), nullable=False),
    sa.Column('ack_text', sa.String(length=300), nullable=True),
    sa.Column('patient_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('applied', 'held')", name=op.f('ck_interop_inbound_status_valid')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_interop_inbound_patient_id_patients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interop_inbound')),
    sa.UniqueConstraint('sender', 'control_id', name='uq_interop_inbound_sender_control_id')
    )


def downgrade() -> None:
    op.drop_table('interop_inbound')
    with op.batch_alter_table('interop_held', schema=None) as batch_op:
        batch_op.drop_index('ix_interop_held_open')

    op.drop_table('interop_held')
    with op.batch_alter_table('interop_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_interop_outbox_status_id')
        batch_op.drop_index('ix_interop_outbox_patient_id')

    op.drop_table('interop_outbox')
    with op.batch_alter_table('interop_links', schema=None) as batch_op:
        batch_op.drop_index('ix_interop_links_kind_local_id')

    op.drop_table('interop_links')
