"""eligibility with payers: 270 inquiries (trace numbers), 271 benefits per coverage, visit estimates

Revision ID: 0006_eligibility
Revises: 0005_referrals
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_eligibility"
down_revision = "0005_referrals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('eligibility_inquiries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trace_number', sa.String(length=30), nullable=False),
    sa.Column('control_number', sa.Integer(), nullable=False),
    sa.Column('coverage_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=True),
    sa.Column('service_date', sa.Date(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_eligibility_inquiries_appointment_id_appointments')),
    sa.ForeignKeyConstraint(['coverage_id'], ['coverages.id'], name=op.f('fk_eligibility_inquiries_coverage_id_coverages')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_eligibility_inquiries_patient_id_patients')),
    sa.ForeignKeyConstraint(['sent_by_id'], ['staff_users.id'], name=op.f('fk_eligibility_inquiries_sent_by_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_eligibility_inquiries')),
    sa.UniqueConstraint('trace_number', name=op.f('uq_eligibility_inquiries_trace_number'))
    )
    with op.batch_alter_table('eligibility_inquiries', schema=None) as batch_op:
        batch_op.create_index('ix_eligibility_inquiries_coverage_id', ['coverage_id'], unique=False)

    op.create_table('eligibility_benefits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('coverage_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('inquiry_id', sa.Integer(), nullable=True),
    sa.Column('trace_number', sa.String(length=30), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('reject_code', sa.String(length=4), nullable=True),
    sa.Column('reject_reason', sa.String(length=120), nullable=True),
    sa.Column('plan_name', sa.String(length=120), nullable=True),
    sa.Column('plan_from', sa.Date(), nullable=True),
    sa.Column('plan_to', sa.Date(), nullable=True),
    sa.Column('copay_cents', sa.Integer(), nullable=True),
    sa.Column('deductible_cents', sa.Integer(), nullable=True),
    sa.Column('deductible_remaining_cents', sa.Integer(), nullable=True),
    sa.Column('coinsurance_bp', sa.Integer(), nullable=True),
    sa.Column('oop_remaining_cents', sa.Integer(), nullable=True),
    sa.Column('in_network', sa.Boolean(), nullable=True),
    sa.Column('auth_required', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('source_digest', sa.String(length=64), nullable=False),
    sa.Column('interchange_control', sa.String(length=9), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('imported_by_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("status <> 'rejected' OR reject_reason IS NOT NULL", name=op.f('ck_eligibility_benefits_rejection_has_reason')),
    sa.CheckConstraint("status IN ('active', 'inactive', 'rejected')", name=op.f('ck_eligibility_benefits_status_valid')),
    sa.CheckConstraint('coinsurance_bp IS NULL OR coinsurance_bp BETWEEN 0 AND 10000', name=op.f('ck_eligibility_benefits_coinsurance_range')),
    sa.ForeignKeyConstraint(['coverage_id'], ['coverages.id'], name=op.f('fk_eligibility_benefits_coverage_id_coverages')),
    sa.ForeignKeyConstraint(['imported_by_id'], ['staff_users.id'], name=op.f('fk_eligibility_benefits_imported_by_id_staff_users')),
    sa.ForeignKeyConstraint(['inquiry_id'], ['eligibility_inquiries.id'], name=op.f('fk_eligibility_benefits_inquiry_id_eligibility_inquiries')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_eligibility_benefits_patient_id_patients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_eligibility_benefits')),
    sa.UniqueConstraint('coverage_id', 'source_digest', name='uq_eligibility_benefits_coverage_source')
    )
    with op.batch_alter_table('eligibility_benefits', schema=None) as batch_op:
        batch_op.create_index('ix_eligibility_benefits_coverage_imported', ['coverage_id', 'imported_at'], unique=False)

    op.create_table('visit_estimates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('benefit_id', sa.Integer(), nullable=True),
    sa.Column('charge_cents', sa.Integer(), nullable=False),
    sa.Column('copay_cents', sa.Integer(), nullable=False),
    sa.Column('deductible_part_cents', sa.Integer(), nullable=False),
    sa.Column('coinsurance_part_cents', sa.Integer(), nullable=False),
    sa.Column('total_cents', sa.Integer(), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('estimated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('estimated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('total_cents >= 0 AND charge_cents >= 0', name=op.f('ck_visit_estimates_amounts_nonneg')),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_visit_estimates_appointment_id_appointments')),
    sa.ForeignKeyConstraint(['benefit_id'], ['eligibility_benefits.id'], name=op.f('fk_visit_estimates_benefit_id_eligibility_benefits')),
    sa.ForeignKeyConstraint(['estimated_by_id'], ['staff_users.id'], name=op.f('fk_visit_estimates_estimated_by_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_estimates'))
    )
    with op.batch_alter_table('visit_estimates', schema=None) as batch_op:
        batch_op.create_index('ix_visit_estimates_appointment_id', ['appointment_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('visit_estimates', schema=None) as batch_op:
        batch_op.drop_index('ix_visit_estimates_appointment_id')

    op.drop_table('visit_estimates')
    with op.batch_alter_table('eligibility_benefits', schema=None) as batch_op:
        batch_op.drop_index('ix_eligibility_benefits_coverage_imported')

    op.drop_table('eligibility_benefits')
    with op.batch_alter_table('eligibility_inquiries', schema=None) as batch_op:
        batch_op.drop_index('ix_eligibility_inquiries_coverage_id')

    op.drop_table('eligibility_inquiries')
