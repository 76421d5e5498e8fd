"""initial schema: the whole front desk

Revision ID: 0001_initial
Revises: (none)
Create Date: 2026-11-23 07:55:27.925710
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "appointment_types",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("default_minutes", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.CheckConstraint(
            "default_minutes BETWEEN 5 AND 480",
            name=op.f("ck_appointment_types_default_minutes_range"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment_types")),
        sa.UniqueConstraint("code", name=op.f("uq_appointment_types_code")),
    )
    op.create_table(
        "locations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_locations")),
        sa.UniqueConstraint("name", name=op.f("uq_locations_name")),
    )
    op.create_table(
        "payers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payers")),
        sa.UniqueConstraint("name", name=op.f("uq_payers_name")),
    )
    op.create_table(
        "settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_settings")),
    )
    op.create_table(
        "staff_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "role IN ('front_desk', 'supervisor', 'admin')", name=op.f("ck_staff_users_role_valid")
        ),
        sa.CheckConstraint("failed_logins >= 0", name=op.f("ck_staff_users_failed_logins_nonneg")),
        sa.CheckConstraint(
            "length(username) BETWEEN 1 AND 64", name=op.f("ck_staff_users_username_length")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_users")),
        sa.UniqueConstraint("username", name=op.f("uq_staff_users_username")),
    )
    op.create_table(
        "patients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mrn", sa.String(length=16), nullable=False),
        sa.Column("given_name", sa.String(length=100), nullable=False),
        sa.Column("middle_name", sa.String(length=100), nullable=True),
        sa.Column("family_name", sa.String(length=100), nullable=False),
        sa.Column("preferred_name", sa.String(length=100), nullable=True),
        sa.Column("family_key", sa.String(length=100), nullable=False),
        sa.Column("given_key", sa.String(length=100), nullable=False),
        sa.Column("family_phonetic", sa.String(length=32), nullable=False),
        sa.Column("given_phonetic", sa.String(length=32), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("sex", sa.String(length=1), nullable=False),
        sa.Column("phone_mobile", sa.String(length=20), nullable=True),
        sa.Column("phone_home", sa.String(length=20), nullable=True),
        sa.Column("phone_mobile_rev", sa.String(length=20), nullable=True),
        sa.Column("phone_home_rev", sa.String(length=20), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("address_line1", sa.String(length=200), nullable=True),
        sa.Column("address_line2", sa.String(length=200), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("region", sa.String(length=50), nullable=True),
        sa.Column("postal_code", sa.String(length=20), nullable=True),
        sa.Column("country", sa.String(length=2), server_default="US", nullable=False),
        sa.Column(
            "preferred_language", sa.String(length=40), server_default="English", nullable=False
        ),
        sa.Column("alerts", sa.Text(), nullable=True),
        sa.Column("deceased_date", sa.Date(), nullable=True),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("merged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("external_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("version_id", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint("sex IN ('F', 'M', 'X', 'U')", name=op.f("ck_patients_sex_valid")),
        sa.CheckConstraint(
            "length(family_name) BETWEEN 1 AND 100", name=op.f("ck_patients_family_name_length")
        ),
        sa.CheckConstraint(
            "length(given_name) BETWEEN 1 AND 100", name=op.f("ck_patients_given_name_length")
        ),
        sa.CheckConstraint(
            "merged_into_id IS NULL OR merged_into_id <> id",
            name=op.f("ck_patients_not_merged_into_self"),
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"], ["patients.id"], name=op.f("fk_patients_merged_into_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["staff_users.id"],
            name=op.f("fk_patients_updated_by_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patients")),
        sa.UniqueConstraint("external_id", name=op.f("uq_patients_external_id")),
        sa.UniqueConstraint("mrn", name=op.f("uq_patients_mrn")),
    )
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.create_index(
            "ix_patients_birth_date_family_key", ["birth_date", "family_key"], unique=False
        )
        batch_op.create_index(
            "ix_patients_family_key_given_key", ["family_key", "given_key"], unique=False
        )
        batch_op.create_index("ix_patients_family_phonetic", ["family_phonetic"], unique=False)
        batch_op.create_index(
            "ix_patients_given_key_family_key", ["given_key", "family_key"], unique=False
        )
        batch_op.create_index("ix_patients_given_phonetic", ["given_phonetic"], unique=False)
        batch_op.create_index("ix_patients_merged_into_id", ["merged_into_id"], unique=False)
        batch_op.create_index("ix_patients_phone_home_rev", ["phone_home_rev"], unique=False)
        batch_op.create_index("ix_patients_phone_mobile_rev", ["phone_mobile_rev"], unique=False)

    op.create_table(
        "providers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("short_name", sa.String(length=16), nullable=False),
        sa.Column("specialty", sa.String(length=80), nullable=True),
        sa.Column("npi", sa.String(length=10), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("default_location_id", sa.Integer(), nullable=True),
        sa.Column(
            "overbook_daily_limit", sa.Integer(), server_default=sa.text("2"), nullable=False
        ),
        sa.CheckConstraint(
            "overbook_daily_limit >= 0", name=op.f("ck_providers_overbook_limit_nonneg")
        ),
        sa.ForeignKeyConstraint(
            ["default_location_id"],
            ["locations.id"],
            name=op.f("fk_providers_default_location_id_locations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_providers")),
        sa.UniqueConstraint("npi", name=op.f("uq_providers_npi")),
        sa.UniqueConstraint("short_name", name=op.f("uq_providers_short_name")),
    )
    op.create_table(
        "rooms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_rooms_location_id_locations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rooms")),
        sa.UniqueConstraint("location_id", "name", name=op.f("uq_rooms_location_id")),
    )
    op.create_table(
        "appointments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("appointment_type_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("desired_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("is_walk_in", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("is_overbook", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("rescheduled_from_id", sa.Integer(), nullable=True),
        sa.Column("cancelled_by", sa.String(length=8), nullable=True),
        sa.Column("cancel_reason", sa.String(length=300), nullable=True),
        sa.Column("checkin_exception_reason", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("version_id", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint(
            "cancelled_by IS NULL OR cancelled_by IN ('patient', 'clinic')",
            name=op.f("ck_appointments_cancelled_by_valid"),
        ),
        sa.CheckConstraint(
            "status <> 'cancelled' OR (cancel_reason IS NOT NULL AND cancelled_by IS NOT NULL)",
            name=op.f("ck_appointments_cancel_has_reason"),
        ),
        sa.CheckConstraint(
            "status IN ('scheduled', 'confirmed', 'arrived', 'roomed', 'with_provider', 'checked_out', 'cancelled', 'no_show')",
            name=op.f("ck_appointments_status_valid"),
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_appointments_interval_order")),
        sa.ForeignKeyConstraint(
            ["appointment_type_id"],
            ["appointment_types.id"],
            name=op.f("fk_appointments_appointment_type_id_appointment_types"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff_users.id"],
            name=op.f("fk_appointments_created_by_id_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_appointments_location_id_locations")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_appointments_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["providers.id"], name=op.f("fk_appointments_provider_id_providers")
        ),
        sa.ForeignKeyConstraint(
            ["rescheduled_from_id"],
            ["appointments.id"],
            name=op.f("fk_appointments_rescheduled_from_id_appointments"),
        ),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name=op.f("fk_appointments_room_id_rooms")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointments")),
    )
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_appointments_patient_start", ["patient_id", "starts_at"], unique=False
        )
        batch_op.create_index(
            "ix_appointments_provider_start", ["provider_id", "starts_at"], unique=False
        )
        batch_op.create_index("ix_appointments_starts_at", ["starts_at"], unique=False)

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("entity", sa.String(length=40), nullable=True),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_audit_events_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["staff_users.id"], name=op.f("fk_audit_events_user_id_staff_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_events_hash")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index("ix_audit_events_patient_at", ["patient_id", "at"], unique=False)
        batch_op.create_index("ix_audit_events_user_at", ["user_id", "at"], unique=False)

    op.create_table(
        "availability_exceptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('vacation', 'block', 'holiday')",
            name=op.f("ck_availability_exceptions_kind_valid"),
        ),
        sa.CheckConstraint(
            "ends_at > starts_at", name=op.f("ck_availability_exceptions_interval_order")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff_users.id"],
            name=op.f("fk_availability_exceptions_created_by_id_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_availability_exceptions_provider_id_providers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_availability_exceptions")),
    )
    with op.batch_alter_table("availability_exceptions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_availability_exceptions_provider_start", ["provider_id", "starts_at"], unique=False
        )

    op.create_table(
        "availability_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("start_minute", sa.Integer(), nullable=False),
        sa.Column("end_minute", sa.Integer(), nullable=False),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "slot_minutes BETWEEN 5 AND 240",
            name=op.f("ck_availability_templates_slot_minutes_range"),
        ),
        sa.CheckConstraint(
            "start_minute >= 0 AND end_minute <= 1440 AND start_minute < end_minute",
            name=op.f("ck_availability_templates_hours_order"),
        ),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to >= valid_from",
            name=op.f("ck_availability_templates_validity_order"),
        ),
        sa.CheckConstraint(
            "weekday BETWEEN 0 AND 6", name=op.f("ck_availability_templates_weekday_range")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_availability_templates_location_id_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_availability_templates_provider_id_providers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_availability_templates")),
    )
    with op.batch_alter_table("availability_templates", schema=None) as batch_op:
        batch_op.create_index(
            "ix_availability_templates_provider_weekday", ["provider_id", "weekday"], unique=False
        )

    op.create_table(
        "coverages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("payer_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.String(length=12), nullable=False),
        sa.Column("member_id", sa.String(length=40), nullable=False),
        sa.Column("group_number", sa.String(length=40), nullable=True),
        sa.Column("plan_name", sa.String(length=120), nullable=True),
        sa.Column("subscriber_name", sa.String(length=200), nullable=True),
        sa.Column("subscriber_relationship", sa.String(length=12), nullable=False),
        sa.Column("copay_cents", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("eligibility_status", sa.String(length=12), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verified_by_id", sa.Integer(), nullable=True),
        sa.Column("eligibility_note", sa.String(length=300), nullable=True),
        sa.Column("effective_from", sa.Date(), nullable=True),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("version_id", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint(
            "eligibility_status <> 'verified' OR (verified_at IS NOT NULL AND verified_by_id IS NOT NULL)",
            name=op.f("ck_coverages_verified_has_who_and_when"),
        ),
        sa.CheckConstraint(
            "eligibility_status IN ('unverified', 'verified', 'problem')",
            name=op.f("ck_coverages_eligibility_status_valid"),
        ),
        sa.CheckConstraint(
            "rank IN ('primary', 'secondary', 'tertiary')", name=op.f("ck_coverages_rank_valid")
        ),
        sa.CheckConstraint(
            "subscriber_relationship IN ('self', 'spouse', 'child', 'other')",
            name=op.f("ck_coverages_subscriber_relationship_valid"),
        ),
        sa.CheckConstraint("copay_cents >= 0", name=op.f("ck_coverages_copay_nonneg")),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_coverages_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["payer_id"], ["payers.id"], name=op.f("fk_coverages_payer_id_payers")
        ),
        sa.ForeignKeyConstraint(
            ["verified_by_id"],
            ["staff_users.id"],
            name=op.f("fk_coverages_verified_by_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coverages")),
    )
    with op.batch_alter_table("coverages", schema=None) as batch_op:
        batch_op.create_index("ix_coverages_member_id", ["member_id"], unique=False)
        batch_op.create_index(
            "ix_coverages_patient_rank_active",
            ["patient_id", "rank"],
            unique=True,
            sqlite_where=sa.text("active = 1"),
            postgresql_where=sa.text("active"),
        )

    op.create_table(
        "form_signatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("form", sa.String(length=24), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "form IN ('privacy_notice', 'consent_to_treat', 'financial_policy')",
            name=op.f("ck_form_signatures_form_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_form_signatures_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["staff_users.id"],
            name=op.f("fk_form_signatures_recorded_by_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_form_signatures")),
    )
    with op.batch_alter_table("form_signatures", schema=None) as batch_op:
        batch_op.create_index(
            "ix_form_signatures_patient_form", ["patient_id", "form", "signed_on"], unique=False
        )

    op.create_table(
        "referrals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("referring_party", sa.String(length=200), nullable=True),
        sa.Column("to_provider_id", sa.Integer(), nullable=True),
        sa.Column("to_specialty", sa.String(length=80), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("auth_required", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("auth_number", sa.String(length=40), nullable=True),
        sa.Column("auth_valid_from", sa.Date(), nullable=True),
        sa.Column("auth_valid_to", sa.Date(), nullable=True),
        sa.Column("auth_visits", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("version_id", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint(
            "status IN ('received', 'auth_pending', 'authorised', 'denied', 'scheduled', 'closed')",
            name=op.f("ck_referrals_status_valid"),
        ),
        sa.CheckConstraint(
            "auth_valid_to IS NULL OR auth_valid_from IS NULL OR auth_valid_to >= auth_valid_from",
            name=op.f("ck_referrals_auth_window_order"),
        ),
        sa.CheckConstraint(
            "auth_visits IS NULL OR auth_visits >= 0", name=op.f("ck_referrals_auth_visits_nonneg")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff_users.id"],
            name=op.f("fk_referrals_created_by_id_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_referrals_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["to_provider_id"], ["providers.id"], name=op.f("fk_referrals_to_provider_id_providers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
    )
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index("ix_referrals_patient_id", ["patient_id"], unique=False)

    op.create_table(
        "appointment_status_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("is_undo", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.CheckConstraint(
            "from_status IS NULL OR from_status IN ('scheduled', 'confirmed', 'arrived', 'roomed', 'with_provider', 'checked_out', 'cancelled', 'no_show')",
            name=op.f("ck_appointment_status_events_from_status_valid"),
        ),
        sa.CheckConstraint(
            "to_status IN ('scheduled', 'confirmed', 'arrived', 'roomed', 'with_provider', 'checked_out', 'cancelled', 'no_show')",
            name=op.f("ck_appointment_status_events_to_status_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_appointment_status_events_appointment_id_appointments"),
        ),
        sa.ForeignKeyConstraint(
            ["by_id"],
            ["staff_users.id"],
            name=op.f("fk_appointment_status_events_by_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment_status_events")),
    )
    with op.batch_alter_table("appointment_status_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_appointment_status_events_appointment_at", ["appointment_id", "at"], unique=False
        )

    op.create_table(
        "availability_template_types",
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("appointment_type_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["appointment_type_id"],
            ["appointment_types.id"],
            name=op.f("fk_availability_template_types_appointment_type_id_appointment_types"),
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["availability_templates.id"],
            name=op.f("fk_availability_template_types_template_id_availability_templates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "template_id", "appointment_type_id", name=op.f("pk_availability_template_types")
        ),
    )
    op.create_table(
        "callbacks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=True),
        sa.Column("referral_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("assigned_to_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("claimed_by_id", sa.Integer(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("close_reason", sa.String(length=300), nullable=True),
        sa.Column("version_id", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint(
            "priority IN ('urgent', 'high', 'normal', 'low')",
            name=op.f("ck_callbacks_priority_valid"),
        ),
        sa.CheckConstraint(
            "reason IN ('no_show', 'rebook', 'insurance', 'referral', 'results', 'recall', 'confirmation', 'patient_request', 'other')",
            name=op.f("ck_callbacks_reason_valid"),
        ),
        sa.CheckConstraint(
            "status = 'open' OR (closed_at IS NOT NULL AND close_reason IS NOT NULL)",
            name=op.f("ck_callbacks_closed_has_reason"),
        ),
        sa.CheckConstraint(
            "status IN ('open', 'done', 'cancelled')", name=op.f("ck_callbacks_status_valid")
        ),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_callbacks_appointment_id_appointments"),
        ),
        sa.ForeignKeyConstraint(
            ["assigned_to_id"],
            ["staff_users.id"],
            name=op.f("fk_callbacks_assigned_to_id_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["claimed_by_id"],
            ["staff_users.id"],
            name=op.f("fk_callbacks_claimed_by_id_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["closed_by_id"], ["staff_users.id"], name=op.f("fk_callbacks_closed_by_id_staff_users")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff_users.id"],
            name=op.f("fk_callbacks_created_by_id_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_callbacks_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referrals.id"], name=op.f("fk_callbacks_referral_id_referrals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callbacks")),
    )
    with op.batch_alter_table("callbacks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_callbacks_open_patient_reason",
            ["patient_id", "reason"],
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )
        batch_op.create_index("ix_callbacks_status_due", ["status", "due_at"], unique=False)

    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=True),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("reference", sa.String(length=60), nullable=True),
        sa.Column("receipt_number", sa.String(length=24), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("taken_by_id", sa.Integer(), nullable=False),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("voided_by_id", sa.Integer(), nullable=True),
        sa.Column("void_reason", sa.String(length=300), nullable=True),
        sa.CheckConstraint(
            "method IN ('cash', 'card', 'check')", name=op.f("ck_payments_method_valid")
        ),
        sa.CheckConstraint(
            "(voided_at IS NULL AND void_reason IS NULL AND voided_by_id IS NULL) OR (voided_at IS NOT NULL AND void_reason IS NOT NULL AND voided_by_id IS NOT NULL)",
            name=op.f("ck_payments_void_complete"),
        ),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_payments_amount_positive")),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_payments_appointment_id_appointments"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_payments_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["taken_by_id"], ["staff_users.id"], name=op.f("fk_payments_taken_by_id_staff_users")
        ),
        sa.ForeignKeyConstraint(
            ["voided_by_id"], ["staff_users.id"], name=op.f("fk_payments_voided_by_id_staff_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("receipt_number", name=op.f("uq_payments_receipt_number")),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index("ix_payments_patient_id", ["patient_id"], unique=False)
        batch_op.create_index("ix_payments_taken_at", ["taken_at"], unique=False)

    op.create_table(
        "waitlist_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=True),
        sa.Column("appointment_type_id", sa.Integer(), nullable=False),
        sa.Column("current_appointment_id", sa.Integer(), nullable=True),
        sa.Column("earliest", sa.Date(), nullable=False),
        sa.Column("latest", sa.Date(), nullable=True),
        sa.Column("part_of_day", sa.String(length=3), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "part_of_day IN ('any', 'am', 'pm')", name=op.f("ck_waitlist_entries_part_of_day_valid")
        ),
        sa.CheckConstraint(
            "latest IS NULL OR latest >= earliest", name=op.f("ck_waitlist_entries_window_order")
        ),
        sa.ForeignKeyConstraint(
            ["appointment_type_id"],
            ["appointment_types.id"],
            name=op.f("fk_waitlist_entries_appointment_type_id_appointment_types"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff_users.id"],
            name=op.f("fk_waitlist_entries_created_by_id_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["current_appointment_id"],
            ["appointments.id"],
            name=op.f("fk_waitlist_entries_current_appointment_id_appointments"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_waitlist_entries_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_waitlist_entries_provider_id_providers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_entries")),
    )
    op.create_table(
        "callback_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("callback_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.CheckConstraint(
            "outcome IN ('reached', 'voicemail', 'no_answer', 'wrong_number', 'busy')",
            name=op.f("ck_callback_attempts_outcome_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["by_id"], ["staff_users.id"], name=op.f("fk_callback_attempts_by_id_staff_users")
        ),
        sa.ForeignKeyConstraint(
            ["callback_id"],
            ["callbacks.id"],
            name=op.f("fk_callback_attempts_callback_id_callbacks"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callback_attempts")),
    )
    with op.batch_alter_table("callback_attempts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_callback_attempts_callback_at", ["callback_id", "at"], unique=False
        )

    _create_append_only_triggers()


# Event tables are append-only: the database itself refuses to rewrite history, whatever client
# touches the file. Payments may be voided (an UPDATE) but never deleted.
APPEND_ONLY = {
    "appointment_status_events": ("UPDATE", "DELETE"),
    "audit_events": ("UPDATE", "DELETE"),
    "callback_attempts": ("UPDATE", "DELETE"),
    "payments": ("DELETE",),
}


def _trigger_name(table: str, operation: str) -> str:
    return f"trg_{table}_no_{operation.lower()}"


# PostgreSQL: one trigger function refuses the change, naming the table and the operation.
PG_REFUSE_FUNCTION = """
CREATE OR REPLACE FUNCTION coordinator_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows cannot be %d', TG_TABLE_NAME, lower(TG_OP);
END $$"""


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _create_append_only_triggers() -> None:
    if _postgresql():
        op.execute(PG_REFUSE_FUNCTION)
    for table, operations in APPEND_ONLY.items():
        for operation in operations:
            if _postgresql():
                op.execute(f"CREATE TRIGGER {_trigger_name(table, operation)} BEFORE {operation} "
                           f"ON {table} FOR EACH ROW EXECUTE FUNCTION coordinator_refuse_change()")
                continue
            op.execute(
                f"CREATE TRIGGER {_trigger_name(table, operation)} BEFORE {operation} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} rows cannot be {operation.lower()}d'); END"
            )


def _drop_append_only_triggers() -> None:
    for table, operations in APPEND_ONLY.items():
        for operation in operations:
            on = f" ON {table}" if _postgresql() else ""
            op.execute(f"DROP TRIGGER IF EXISTS {_trigger_name(table, operation)}{on}")


def downgrade() -> None:
    _drop_append_only_triggers()
    with op.batch_alter_table("callback_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_callback_attempts_callback_at")

    op.drop_table("callback_attempts")
    op.drop_table("waitlist_entries")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index("ix_payments_taken_at")
        batch_op.drop_index("ix_payments_patient_id")

    op.drop_table("payments")
    with op.batch_alter_table("callbacks", schema=None) as batch_op:
        batch_op.drop_index("ix_callbacks_status_due")
        batch_op.drop_index(
            "ix_callbacks_open_patient_reason",
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )

    op.drop_table("callbacks")
    op.drop_table("availability_template_types")
    with op.batch_alter_table("appointment_status_events", schema=None) as batch_op:
        batch_op.drop_index("ix_appointment_status_events_appointment_at")

    op.drop_table("appointment_status_events")
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index("ix_referrals_patient_id")

    op.drop_table("referrals")
    with op.batch_alter_table("form_signatures", schema=None) as batch_op:
        batch_op.drop_index("ix_form_signatures_patient_form")

    op.drop_table("form_signatures")
    with op.batch_alter_table("coverages", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_coverages_patient_rank_active",
            sqlite_where=sa.text("active = 1"),
            postgresql_where=sa.text("active"),
        )
        batch_op.drop_index("ix_coverages_member_id")

    op.drop_table("coverages")
    with op.batch_alter_table("availability_templates", schema=None) as batch_op:
        batch_op.drop_index("ix_availability_templates_provider_weekday")

    op.drop_table("availability_templates")
    with op.batch_alter_table("availability_exceptions", schema=None) as batch_op:
        batch_op.drop_index("ix_availability_exceptions_provider_start")

    op.drop_table("availability_exceptions")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_user_at")
        batch_op.drop_index("ix_audit_events_patient_at")

    op.drop_table("audit_events")
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.drop_index("ix_appointments_starts_at")
        batch_op.drop_index("ix_appointments_provider_start")
        batch_op.drop_index("ix_appointments_patient_start")

    op.drop_table("appointments")
    op.drop_table("rooms")
    op.drop_table("providers")
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.drop_index("ix_patients_phone_mobile_rev")
        batch_op.drop_index("ix_patients_phone_home_rev")
        batch_op.drop_index("ix_patients_merged_into_id")
        batch_op.drop_index("ix_patients_given_phonetic")
        batch_op.drop_index("ix_patients_given_key_family_key")
        batch_op.drop_index("ix_patients_family_phonetic")
        batch_op.drop_index("ix_patients_family_key_given_key")
        batch_op.drop_index("ix_patients_birth_date_family_key")

    op.drop_table("patients")
    op.drop_table("staff_users")
    op.drop_table("settings")
    op.drop_table("payers")
    op.drop_table("locations")
    op.drop_table("appointment_types")
    if _postgresql():
        op.execute("DROP FUNCTION IF EXISTS coordinator_refuse_change()")
