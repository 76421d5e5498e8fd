"""ledger summary: one row per patient with patient-responsibility rows (the balance, the last
date of any row, of a debit, of a payment and of a statement), kept by triggers on
ledger_entries on both engines, so every writer (post_row, the copay backfill, a merge, a bulk
import) keeps it without knowing. The A/R aging reads it instead of summing the ledger for
every patient, and skips patients who owe nothing (services/accounts/aging_sql.py). Backfilled
here from the ledger.

Revision ID: 0017_ledger_summary
Revises: 0016_flow

The backfill is a frozen copy of store/ledger_summary.py's REFILL (a migration must not change
when the code does). A later batch migration of ledger_entries on SQLite drops these
triggers: it must create them again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_ledger_summary"
down_revision = "0016_flow"
branch_labels = None
depends_on = None

_AGGREGATES = ("sum(amount_cents), max(service_date), max(CASE WHEN amount_cents > 0 THEN service_date END), "
               "max(CASE WHEN kind = 'payment' THEN service_date END), "
               "max(CASE WHEN kind = 'statement' THEN service_date END)")
_COLUMNS = "patient_id, balance_cents, last_date, last_debit, last_payment, last_statement"
BACKFILL = (f"INSERT INTO ledger_summary ({_COLUMNS}) SELECT patient_id, {_AGGREGATES} FROM ledger_entries "
            "WHERE responsibility = 'patient' GROUP BY patient_id")


def _later(column: str) -> str:
    """The later of the kept date and the new row's, either may be NULL (SQLite's max(a, NULL) is NULL)."""
    return (f"{column} = CASE WHEN excluded.{column} IS NULL OR ledger_summary.{column} >= excluded.{column} "
            f"THEN ledger_summary.{column} ELSE excluded.{column} END")


def _upsert(new: str) -> str:
    """Add one new ledger row (`new` is NEW in a trigger) to its patient's summary row."""
    return (f"INSERT INTO ledger_summary ({_COLUMNS}) VALUES ({new}.patient_id, {new}.amount_cents, "
            f"{new}.service_date, CASE WHEN {new}.amount_cents > 0 THEN {new}.service_date END, "
            f"CASE WHEN {new}.kind = 'payment' THEN {new}.service_date END, "
            f"CASE WHEN {new}.kind = 'statement' THEN {new}.service_date END) "
            "ON CONFLICT (patient_id) DO UPDATE SET balance_cents = ledger_summary.balance_cents + "
            f"excluded.balance_cents, {', '.join(_later(c) for c in ('last_date', 'last_debit', 'last_payment', 'last_statement'))}")


def _recount(ids: str) -> str:
    """A merge moved a row: both records' summaries again from their rows (a merge is rare)."""
    return (f"DELETE FROM ledger_summary WHERE patient_id IN ({ids}); "
            f"INSERT INTO ledger_summary ({_COLUMNS}) SELECT patient_id, {_AGGREGATES} FROM ledger_entries "
            f"WHERE responsibility = 'patient' AND patient_id IN ({ids}) GROUP BY patient_id;")


def create_triggers() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("CREATE TRIGGER trg_ledger_summary_insert AFTER INSERT ON ledger_entries "
                   f"WHEN NEW.responsibility = 'patient' BEGIN {_upsert('NEW')}; END")
        op.execute("CREATE TRIGGER trg_ledger_summary_move AFTER UPDATE OF patient_id ON ledger_entries "
                   "WHEN NEW.patient_id IS NOT OLD.patient_id AND NEW.responsibility = 'patient' "
                   f"BEGIN {_recount('OLD.patient_id, NEW.patient_id')} END")
    elif dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION ledger_summary_keep() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "IF NEW.responsibility <> 'patient' THEN RETURN NULL; END IF; "
            f"IF TG_OP = 'INSERT' THEN {_upsert('NEW')}; "
            "ELSIF NEW.patient_id IS DISTINCT FROM OLD.patient_id THEN "
            f"{_recount('OLD.patient_id, NEW.patient_id')} END IF; RETURN NULL; END $$")
        op.execute("CREATE TRIGGER trg_ledger_summary_keep AFTER INSERT OR UPDATE OF patient_id ON "
                   "ledger_entries FOR EACH ROW EXECUTE FUNCTION ledger_summary_keep()")


def upgrade() -> None:
    op.create_table(
        "ledger_summary",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("balance_cents", sa.Integer(), nullable=False),
        sa.Column("last_date", sa.Date(), nullable=False),
        sa.Column("last_debit", sa.Date(), nullable=True),
        sa.Column("last_payment", sa.Date(), nullable=True),
        sa.Column("last_statement", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name=op.f("fk_ledger_summary_patient_id_patients")),
        sa.PrimaryKeyConstraint("patient_id", name=op.f("pk_ledger_summary")),
    )
    op.execute(BACKFILL)
    create_triggers()


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS trg_ledger_summary_insert")
        op.execute("DROP TRIGGER IF EXISTS trg_ledger_summary_move")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS trg_ledger_summary_keep ON ledger_entries")
        op.execute("DROP FUNCTION IF EXISTS ledger_summary_keep()")
    op.drop_table("ledger_summary")
