"""patient accounts: the ledger (append-only, signed cents) and payment plans; the existing
copay payments become ledger rows (store/ledger_backfill.py says how)

Revision ID: 0012_ledger
Revises: 0011_reminders
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from alembic import op

revision = "0012_ledger"
down_revision = "0011_reminders"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('payment_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('next_due', sa.Date(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('amount_cents >= 0', name=op.f('ck_payment_plans_amount_not_negative')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_payment_plans_patient_id_patients')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['staff_users.id'], name=op.f('fk_payment_plans_recorded_by_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_plans'))
    )
    with op.batch_alter_table('payment_plans', schema=None) as batch_op:
        batch_op.create_index('ix_payment_plans_patient', ['patient_id', 'id'], unique=False)

    op.create_table('ledger_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('responsibility', sa.String(length=10), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('service_date', sa.Date(), nullable=False),
    sa.Column('posted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('posted_by_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=True),
    sa.Column('payment_id', sa.Integer(), nullable=True),
    sa.Column('reverses_id', sa.Integer(), nullable=True),
    sa.Column('reference', sa.String(length=60), nullable=True),
    sa.Column('reason', sa.String(length=300), nullable=True),
    sa.CheckConstraint("(kind = 'reversal') = (reverses_id IS NOT NULL)", name=op.f('ck_ledger_entries_reversal_names_row')),
    sa.CheckConstraint("(kind = 'statement') = (amount_cents = 0)", name=op.f('ck_ledger_entries_amount_nonzero')),
    sa.CheckConstraint("kind IN ('charge', 'payment', 'adjustment', 'write_off', 'refund', 'transfer', 'reversal', 'statement')", name=op.f('ck_ledger_entries_kind_valid')),
    sa.CheckConstraint("kind NOT IN ('adjustment', 'write_off', 'reversal') OR reason IS NOT NULL", name=op.f('ck_ledger_entries_reason_required')),
    sa.CheckConstraint("responsibility IN ('patient', 'insurance')", name=op.f('ck_ledger_entries_responsibility_valid')),
    sa.CheckConstraint("source IN ('desk', 'import', 'migration', 'command')", name=op.f('ck_ledger_entries_source_valid')),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_ledger_entries_appointment_id_appointments')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_ledger_entries_patient_id_patients')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_ledger_entries_payment_id_payments')),
    sa.ForeignKeyConstraint(['posted_by_id'], ['staff_users.id'], name=op.f('fk_ledger_entries_posted_by_id_staff_users')),
    sa.ForeignKeyConstraint(['reverses_id'], ['ledger_entries.id'], name=op.f('fk_ledger_entries_reverses_id_ledger_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_entries'))
    )
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_entries_import_reference', ['reference'], unique=True, sqlite_where=sa.text("source = 'import'"), postgresql_where=sa.text("source = 'import'"))
        batch_op.create_index('ix_ledger_entries_patient_resp_date', ['patient_id', 'responsibility', 'service_date', 'amount_cents', 'kind'], unique=False)
        batch_op.create_index('ix_ledger_entries_payment_id', ['payment_id'], unique=False)
        batch_op.create_index('ix_ledger_entries_appointment_id', ['appointment_id'], unique=False)
        batch_op.create_index('ix_ledger_entries_reverses_id', ['reverses_id'], unique=True)
    op.create_table('payment_promises',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('promised_for', sa.Date(), nullable=False),
    sa.Column('noted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('noted_by_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_payment_promises_amount_positive')),
    sa.ForeignKeyConstraint(['noted_by_id'], ['staff_users.id'], name=op.f('fk_payment_promises_noted_by_id_staff_users')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_payment_promises_patient_id_patients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_promises'))
    )
    with op.batch_alter_table('payment_promises', schema=None) as batch_op:
        batch_op.create_index('ix_payment_promises_patient', ['patient_id', 'promised_for'], unique=False)
        batch_op.create_index('ix_payment_promises_promised_for', ['promised_for'], unique=False)

    _create_triggers()
    _backfill()


# Ledger rows are never edited or deleted: a mistake is reversed by another row. The one change
# allowed is a merge's: a row moves from a merged record to the record it was merged into.
_KEPT = ("id", "kind", "responsibility", "amount_cents", "service_date", "posted_at", "posted_by_id",
         "source", "appointment_id", "payment_id", "reverses_id", "reference", "reason")


def _create_triggers() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _KEPT)
        op.execute("CREATE TRIGGER trg_ledger_entries_no_update BEFORE UPDATE ON ledger_entries "
                   f"WHEN {changed} OR NEW.patient_id IS NOT (SELECT merged_into_id FROM patients "
                   "WHERE id = OLD.patient_id) BEGIN SELECT RAISE(ABORT, 'ledger_entries rows "
                   "cannot be updated'); END")
        op.execute("CREATE TRIGGER trg_ledger_entries_no_delete BEFORE DELETE ON ledger_entries "
                   "BEGIN SELECT RAISE(ABORT, 'ledger_entries rows cannot be deleted'); END")
    elif dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION ledger_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "IF TG_OP = 'DELETE' OR (to_jsonb(NEW) - 'patient_id') IS DISTINCT FROM "
            "(to_jsonb(OLD) - 'patient_id') OR NEW.patient_id IS DISTINCT FROM (SELECT merged_into_id "
            "FROM patients WHERE id = OLD.patient_id) THEN "
            "RAISE EXCEPTION 'ledger_entries rows cannot be changed'; END IF; RETURN NEW; END $$")
        op.execute("CREATE TRIGGER trg_ledger_entries_append_only BEFORE UPDATE OR DELETE ON "
                   "ledger_entries FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only()")


def _drop_triggers() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS trg_ledger_entries_no_update")
        op.execute("DROP TRIGGER IF EXISTS trg_ledger_entries_no_delete")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS trg_ledger_entries_append_only ON ledger_entries")
        op.execute("DROP FUNCTION IF EXISTS ledger_entries_append_only()")


def _backfill() -> None:
    """Payments already taken become ledger rows, dated by the clinic's day (the clinic's time
    zone from COORDINATOR_CLINIC_TZ when set, else the settings' default)."""
    from zoneinfo import ZoneInfo

    from coordinator_tui.config import Settings
    from coordinator_tui.store.ledger_backfill import backfill_payments

    backfill_payments(op.get_bind(), ZoneInfo(os.environ.get("COORDINATOR_CLINIC_TZ") or Settings.clinic_tz))


def downgrade() -> None:
    _drop_triggers()
    with op.batch_alter_table('payment_promises', schema=None) as batch_op:
        batch_op.drop_index('ix_payment_promises_promised_for')
        batch_op.drop_index('ix_payment_promises_patient')

    op.drop_table('payment_promises')
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_entries_reverses_id')
        batch_op.drop_index('ix_ledger_entries_payment_id')
        batch_op.drop_index('ix_ledger_entries_appointment_id')
        batch_op.drop_index('ix_ledger_entries_patient_resp_date')
        batch_op.drop_index('ix_ledger_entries_import_reference', sqlite_where=sa.text("source = 'import'"), postgresql_where=sa.text("source = 'import'"))

    op.drop_table('ledger_entries')
    with op.batch_alter_table('payment_plans', schema=None) as batch_op:
        batch_op.drop_index('ix_payment_plans_patient')

    op.drop_table('payment_plans')
