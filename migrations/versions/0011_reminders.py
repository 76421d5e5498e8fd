"""reminders and paper: contact consent per channel, reminders sent (and the gateway's answers),
letters written to patients

Revision ID: 0011_reminders
Revises: 0010_interop
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_reminders"
down_revision = "0010_interop"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('contact_consents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('agreed', sa.Boolean(), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("channel IN ('sms', 'voice', 'email', 'letter')", name=op.f('ck_contact_consents_channel_valid')),
    sa.CheckConstraint("source IN ('desk', 'checkin', 'command', 'reply')", name=op.f('ck_contact_consents_source_valid')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_contact_consents_patient_id_patients')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['staff_users.id'], name=op.f('fk_contact_consents_recorded_by_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_consents'))
    )
    with op.batch_alter_table('contact_consents', schema=None) as batch_op:
        batch_op.create_index('ix_contact_consents_patient_channel', ['patient_id', 'channel', 'id'], unique=False)

    op.create_table('reminders_sent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('lead_days', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_by_id', sa.Integer(), nullable=True),
    sa.Column('delivery', sa.String(length=10), nullable=False),
    sa.Column('delivery_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reply', sa.String(length=12), nullable=True),
    sa.Column('reply_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("channel IN ('sms', 'email', 'letter', 'ics')", name=op.f('ck_reminders_sent_channel_valid')),
    sa.CheckConstraint("delivery IN ('sent', 'delivered', 'failed')", name=op.f('ck_reminders_sent_delivery_valid')),
    sa.CheckConstraint("reply IS NULL OR reply IN ('confirm', 'reschedule', 'stop')", name=op.f('ck_reminders_sent_reply_valid')),
    sa.CheckConstraint('lead_days >= 0', name=op.f('ck_reminders_sent_lead_days_nonneg')),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_reminders_sent_appointment_id_appointments')),
    sa.ForeignKeyConstraint(['sent_by_id'], ['staff_users.id'], name=op.f('fk_reminders_sent_sent_by_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminders_sent'))
    )
    with op.batch_alter_table('reminders_sent', schema=None) as batch_op:
        batch_op.create_index('ix_reminders_sent_appointment_channel_lead', ['appointment_id', 'channel', 'lead_days'], unique=True)

    op.create_table('patient_letters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=14), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=True),
    sa.Column('callback_id', sa.Integer(), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('written_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('written_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind IN ('reminder', 'no_show', 'cancellation', 'recall')", name=op.f('ck_patient_letters_kind_valid')),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_patient_letters_appointment_id_appointments')),
    sa.ForeignKeyConstraint(['callback_id'], ['callbacks.id'], name=op.f('fk_patient_letters_callback_id_callbacks')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_patient_letters_patient_id_patients')),
    sa.ForeignKeyConstraint(['written_by_id'], ['staff_users.id'], name=op.f('fk_patient_letters_written_by_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patient_letters'))
    )
    with op.batch_alter_table('patient_letters', schema=None) as batch_op:
        batch_op.create_index('ix_patient_letters_kind_appointment', ['kind', 'appointment_id'], unique=False)
        batch_op.create_index('ix_patient_letters_kind_callback', ['kind', 'callback_id'], unique=False)
        batch_op.create_index('ix_patient_letters_patient_kind', ['patient_id', 'kind'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('patient_letters', schema=None) as batch_op:
        batch_op.drop_index('ix_patient_letters_patient_kind')
        batch_op.drop_index('ix_patient_letters_kind_callback')
        batch_op.drop_index('ix_patient_letters_kind_appointment')

    op.drop_table('patient_letters')
    with op.batch_alter_table('reminders_sent', schema=None) as batch_op:
        batch_op.drop_index('ix_reminders_sent_appointment_channel_lead')

    op.drop_table('reminders_sent')
    with op.batch_alter_table('contact_consents', schema=None) as batch_op:
        batch_op.drop_index('ix_contact_consents_patient_channel')

    op.drop_table('contact_consents')
