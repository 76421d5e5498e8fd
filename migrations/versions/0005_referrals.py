"""referrals and prior authorisations: kinds and the new statuses, what they cover, their
history, documents, the visits booked on them, chases, and the clinic's rules

The referrals table is rebuilt (new status vocabulary, `kind` instead of `direction`, coverage,
payer, procedure codes, reply date): statuses are mapped received -> requested, auth_pending ->
pending, authorised -> approved, scheduled -> active; direction outgoing -> outgoing_referral,
anything else -> incoming_referral. Downgrade maps them back (exhausted and expired -> closed).

Revision ID: 0005_referrals
Revises: 0004_security
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_referrals"
down_revision = "0004_security"
branch_labels = None
depends_on = None

NEW_STATUSES = ("requested", "pending", "approved", "denied", "active", "exhausted", "expired", "closed")
OLD_STATUSES = ("received", "auth_pending", "authorised", "denied", "scheduled", "closed")
KINDS = ("incoming_referral", "outgoing_referral", "prior_authorisation")
COMMON = ("id", "patient_id", "referring_party", "to_provider_id", "to_specialty", "reason",
          "received_on", "auth_number", "auth_valid_from", "auth_valid_to", "auth_visits", "notes",
          "created_at", "created_by_id", "version_id")
APPEND_ONLY = ("UPDATE", "DELETE")


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _referrals(name: str, new: bool) -> None:
    """The referrals table as `name`; constraint names are those of `referrals`."""
    columns = [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
    ]
    if new:
        columns += [
            sa.Column("kind", sa.String(length=20), nullable=False),
            sa.Column("coverage_id", sa.Integer(), nullable=True),
            sa.Column("payer_id", sa.Integer(), nullable=True),
        ]
    else:
        columns.append(sa.Column("direction", sa.String(length=8), nullable=False))
    columns += [
        sa.Column("referring_party", sa.String(length=200), nullable=True),
        sa.Column("to_provider_id", sa.Integer(), nullable=True),
        sa.Column("to_specialty", sa.String(length=80), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=True),
    ]
    if new:
        columns.append(sa.Column("procedure_codes", sa.String(length=200), nullable=True))
    columns.append(sa.Column("received_on", sa.Date(), nullable=False))
    if new:
        columns.append(sa.Column("replied_on", sa.Date(), nullable=True))
    columns.append(sa.Column("status", sa.String(length=16), nullable=False))
    if not new:
        columns.append(sa.Column("auth_required", sa.Boolean(), server_default=sa.false(), nullable=False))
    columns += [
        sa.Column("auth_number", sa.String(length=40), nullable=True),
        sa.Column("auth_valid_from", sa.Date(), nullable=True),
        sa.Column("auth_valid_to", sa.Date(), nullable=True),
        sa.Column("auth_visits", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("version_id", sa.Integer(), server_default=sa.text("1"), nullable=False),
    ]
    constraints = [
        sa.CheckConstraint(_in("status", NEW_STATUSES if new else OLD_STATUSES),
                           name="ck_referrals_status_valid"),
        sa.CheckConstraint("auth_valid_to IS NULL OR auth_valid_from IS NULL OR auth_valid_to >= auth_valid_from",
                           name="ck_referrals_auth_window_order"),
        sa.CheckConstraint("auth_visits IS NULL OR auth_visits >= 0", name="ck_referrals_auth_visits_nonneg"),
        sa.ForeignKeyConstraint(["created_by_id"], ["staff_users.id"],
                                name="fk_referrals_created_by_id_staff_users"),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name="fk_referrals_patient_id_patients"),
        sa.ForeignKeyConstraint(["to_provider_id"], ["providers.id"],
                                name="fk_referrals_to_provider_id_providers"),
        sa.PrimaryKeyConstraint("id", name="pk_referrals"),
    ]
    if new:
        constraints += [
            sa.CheckConstraint(_in("kind", KINDS), name="ck_referrals_kind_valid"),
            sa.ForeignKeyConstraint(["coverage_id"], ["coverages.id"], name="fk_referrals_coverage_id_coverages"),
            sa.ForeignKeyConstraint(["payer_id"], ["payers.id"], name="fk_referrals_payer_id_payers"),
        ]
    op.create_table(name, *columns, *constraints)


def _swap(new: bool, copy_sql: str) -> None:
    """Rebuild referrals through a temporary table (foreign keys are off during migrations)."""
    op.drop_index("ix_referrals_patient_id", table_name="referrals")
    if not new:
        op.drop_index("ix_referrals_payer_number", table_name="referrals")
        op.drop_index("ix_referrals_status_valid_to", table_name="referrals")
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:  # an index name is the schema's: free the primary key's for the new table
        op.execute("ALTER INDEX pk_referrals RENAME TO pk_referrals_old")
    _referrals("referrals_rebuilt", new)
    op.execute(copy_sql)
    if postgresql:  # foreign keys stay on there: move the one that points at referrals
        op.drop_constraint("fk_callbacks_referral_id_referrals", "callbacks", type_="foreignkey")
    op.drop_table("referrals")
    op.rename_table("referrals_rebuilt", "referrals")
    if postgresql:
        op.create_foreign_key("fk_callbacks_referral_id_referrals", "callbacks", "referrals",
                              ["referral_id"], ["id"])
    op.create_index("ix_referrals_patient_id", "referrals", ["patient_id"], unique=False)
    if new:
        op.create_index("ix_referrals_payer_number", "referrals", ["payer_id", "auth_number"], unique=False)
        op.create_index("ix_referrals_status_valid_to", "referrals", ["status", "auth_valid_to"], unique=False)


def upgrade() -> None:
    common = ", ".join(COMMON)
    _swap(True, f"""
        INSERT INTO referrals_rebuilt ({common}, kind, status)
        SELECT {common},
               CASE direction WHEN 'outgoing' THEN 'outgoing_referral' ELSE 'incoming_referral' END,
               CASE status WHEN 'received' THEN 'requested' WHEN 'auth_pending' THEN 'pending'
                           WHEN 'authorised' THEN 'approved' WHEN 'scheduled' THEN 'active'
                           ELSE status END
        FROM referrals""")

    op.create_table('auth_requirements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appointment_type_id', sa.Integer(), nullable=False),
    sa.Column('payer_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['appointment_type_id'], ['appointment_types.id'], name=op.f('fk_auth_requirements_appointment_type_id_appointment_types')),
    sa.ForeignKeyConstraint(['payer_id'], ['payers.id'], name=op.f('fk_auth_requirements_payer_id_payers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auth_requirements'))
    )
    with op.batch_alter_table('auth_requirements', schema=None) as batch_op:
        batch_op.create_index('ix_auth_requirements_type_payer', ['appointment_type_id', 'payer_id'], unique=False)

    op.create_table('payer_visit_rules',
    sa.Column('payer_id', sa.Integer(), nullable=False),
    sa.Column('cancelled_uses', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('no_show_uses', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.ForeignKeyConstraint(['payer_id'], ['payers.id'], name=op.f('fk_payer_visit_rules_payer_id_payers')),
    sa.PrimaryKeyConstraint('payer_id', name=op.f('pk_payer_visit_rules'))
    )
    op.create_table('type_documents',
    sa.Column('appointment_type_id', sa.Integer(), nullable=False),
    sa.Column('document', sa.String(length=16), nullable=False),
    sa.CheckConstraint("document IN ('photo_id', 'insurance_card', 'referral', 'authorisation', 'consent')", name=op.f('ck_type_documents_document_valid')),
    sa.ForeignKeyConstraint(['appointment_type_id'], ['appointment_types.id'], name=op.f('fk_type_documents_appointment_type_id_appointment_types')),
    sa.PrimaryKeyConstraint('appointment_type_id', 'document', name=op.f('pk_type_documents'))
    )
    op.create_table('referral_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('document', sa.String(length=80), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['staff_users.id'], name=op.f('fk_referral_documents_recorded_by_id_staff_users')),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_referral_documents_referral_id_referrals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_documents'))
    )
    with op.batch_alter_table('referral_documents', schema=None) as batch_op:
        batch_op.create_index('ix_referral_documents_referral_id', ['referral_id'], unique=False)

    op.create_table('referral_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('field', sa.String(length=24), nullable=False),
    sa.Column('from_value', sa.String(length=300), nullable=True),
    sa.Column('to_value', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['by_id'], ['staff_users.id'], name=op.f('fk_referral_events_by_id_staff_users')),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_referral_events_referral_id_referrals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_events'))
    )
    with op.batch_alter_table('referral_events', schema=None) as batch_op:
        batch_op.create_index('ix_referral_events_referral_id', ['referral_id'], unique=False)

    op.create_table('referral_types',
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('appointment_type_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['appointment_type_id'], ['appointment_types.id'], name=op.f('fk_referral_types_appointment_type_id_appointment_types')),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_referral_types_referral_id_referrals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('referral_id', 'appointment_type_id', name=op.f('pk_referral_types'))
    )
    op.create_table('referral_visits',
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=True),
    sa.Column('override_reason', sa.String(length=300), nullable=True),
    sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('linked_by_id', sa.Integer(), nullable=True),
    sa.Column('moved_to_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_referral_visits_appointment_id_appointments')),
    sa.ForeignKeyConstraint(['linked_by_id'], ['staff_users.id'], name=op.f('fk_referral_visits_linked_by_id_staff_users')),
    sa.ForeignKeyConstraint(['moved_to_id'], ['appointments.id'], name=op.f('fk_referral_visits_moved_to_id_appointments')),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_referral_visits_referral_id_referrals')),
    sa.PrimaryKeyConstraint('appointment_id', name=op.f('pk_referral_visits'))
    )
    with op.batch_alter_table('referral_visits', schema=None) as batch_op:
        batch_op.create_index('ix_referral_visits_referral_id', ['referral_id'], unique=False)

    op.create_table('referral_chases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('callback_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("reason IN ('expiring', 'few_visits', 'no_appointment', 'no_reply', 'not_booked')", name=op.f('ck_referral_chases_reason_valid')),
    sa.ForeignKeyConstraint(['callback_id'], ['callbacks.id'], name=op.f('fk_referral_chases_callback_id_callbacks')),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_referral_chases_referral_id_referrals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_chases')),
    sa.UniqueConstraint('referral_id', 'reason', name=op.f('uq_referral_chases_referral_id'))
    )
    for operation in APPEND_ONLY:
        if op.get_bind().dialect.name == "postgresql":  # coordinator_refuse_change: 0001
            op.execute(f"CREATE TRIGGER trg_referral_events_no_{operation.lower()} BEFORE "
                       f"{operation} ON referral_events FOR EACH ROW "
                       "EXECUTE FUNCTION coordinator_refuse_change()")
            continue
        op.execute(f"CREATE TRIGGER trg_referral_events_no_{operation.lower()} BEFORE {operation} "
                   f"ON referral_events BEGIN SELECT RAISE(ABORT, "
                   f"'referral_events rows cannot be {operation.lower()}d'); END")


def downgrade() -> None:
    on = " ON referral_events" if op.get_bind().dialect.name == "postgresql" else ""
    for operation in APPEND_ONLY:
        op.execute(f"DROP TRIGGER IF EXISTS trg_referral_events_no_{operation.lower()}{on}")
    op.drop_table('referral_chases')
    with op.batch_alter_table('referral_visits', schema=None) as batch_op:
        batch_op.drop_index('ix_referral_visits_referral_id')

    op.drop_table('referral_visits')
    op.drop_table('referral_types')
    with op.batch_alter_table('referral_events', schema=None) as batch_op:
        batch_op.drop_index('ix_referral_events_referral_id')

    op.drop_table('referral_events')
    with op.batch_alter_table('referral_documents', schema=None) as batch_op:
        batch_op.drop_index('ix_referral_documents_referral_id')

    op.drop_table('referral_documents')
    op.drop_table('type_documents')
    op.drop_table('payer_visit_rules')
    with op.batch_alter_table('auth_requirements', schema=None) as batch_op:
        batch_op.drop_index('ix_auth_requirements_type_payer')

    op.drop_table('auth_requirements')
    common = ", ".join(COMMON)
    _swap(False, f"""
        INSERT INTO referrals_rebuilt ({common}, direction, auth_required, status)
        SELECT {common},
               CASE kind WHEN 'outgoing_referral' THEN 'outgoing' ELSE 'incoming' END,
               CASE kind WHEN 'prior_authorisation' THEN TRUE ELSE FALSE END,
               CASE status WHEN 'requested' THEN 'received' WHEN 'pending' THEN 'auth_pending'
                           WHEN 'approved' THEN 'authorised' WHEN 'active' THEN 'scheduled'
                           WHEN 'exhausted' THEN 'closed' WHEN 'expired' THEN 'closed'
                           ELSE status END
        FROM referrals""")
