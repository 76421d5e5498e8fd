"""integrity: the database itself refuses a second active appointment in a provider's slot

SQLite triggers on `appointments` (issue #22, point 7): an active appointment (any status but
cancelled and no-show) that is not a recorded overbook (`is_overbook = 1`) may not overlap another
active, non-overbook appointment of the same provider. The booking service already re-checks the
slot inside its write transaction; these triggers hold for every other writer of the file too (a
script, a raw INSERT, a restored or hand-edited copy).

PostgreSQL (issue 20): an exclusion constraint does the same (btree_gist, a trusted extension the
database owner creates): no two active, non-overbook appointments of one provider whose
[starts_at, ends_at) ranges overlap. A check refuses an active appointment over a day, as here.

The overlap search looks back one day from the new start (an indexed range on provider and start),
so the triggers also refuse an active appointment longer than a day: no clinic visit is.

Revision ID: 0008_integrity
Revises: 0007_reports
"""

from __future__ import annotations

from alembic import op

revision = "0008_integrity"
down_revision = "0007_reports"
branch_labels = None
depends_on = None

OVERLAP_MESSAGE = "appointment overlaps another active appointment of the provider"
TOO_LONG_MESSAGE = "an appointment cannot last more than a day"

_ACTIVE = "status NOT IN ('cancelled', 'no_show')"


def _body(exclude_self: str) -> str:
    return (
        f"BEGIN "
        f"SELECT RAISE(ABORT, '{TOO_LONG_MESSAGE}') "
        f"WHERE NEW.ends_at > datetime(NEW.starts_at, '+1 day'); "
        f"SELECT RAISE(ABORT, '{OVERLAP_MESSAGE}') WHERE EXISTS ("
        f"SELECT 1 FROM appointments AS other WHERE other.provider_id = NEW.provider_id "
        f"AND other.starts_at >= datetime(NEW.starts_at, '-1 day') "
        f"AND other.starts_at < NEW.ends_at AND other.ends_at > NEW.starts_at "
        f"AND other.{_ACTIVE} AND other.is_overbook = 0{exclude_self}); "
        f"END"
    )


TRIGGERS = {
    "trg_appointments_no_overlap_insert": (
        f"BEFORE INSERT ON appointments WHEN NEW.{_ACTIVE} AND NEW.is_overbook = 0 ", ""),
    # Only a change that makes the row take a slot it did not hold (moved, re-activated, no
    # longer an overbook): checking in or rooming a patient whose slot was double-booked before
    # this migration is never blocked.
    "trg_appointments_no_overlap_update": (
        "BEFORE UPDATE OF provider_id, starts_at, ends_at, status, is_overbook ON appointments "
        f"WHEN NEW.{_ACTIVE} AND NEW.is_overbook = 0 AND (OLD.status IN ('cancelled', 'no_show') "
        "OR OLD.is_overbook <> 0 OR NEW.provider_id <> OLD.provider_id OR NEW.starts_at <> OLD.starts_at "
        "OR NEW.ends_at <> OLD.ends_at) ", " AND other.id <> NEW.id"),
}


PG_EXCLUSION = "ex_appointments_no_overlap"
PG_TOO_LONG = "ck_appointments_at_most_a_day"
PG_WHERE = "status NOT IN ('cancelled', 'no_show') AND NOT is_overbook"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(f"ALTER TABLE appointments ADD CONSTRAINT {PG_EXCLUSION} EXCLUDE USING gist "
                   f"(provider_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
                   f"WHERE ({PG_WHERE})")
        op.execute(f"ALTER TABLE appointments ADD CONSTRAINT {PG_TOO_LONG} CHECK "
                   f"(NOT ({PG_WHERE}) OR ends_at <= starts_at + interval '1 day')")
        return
    if op.get_bind().dialect.name != "sqlite":
        return
    for name, (when, exclude_self) in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {when}{_body(exclude_self)}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE appointments DROP CONSTRAINT IF EXISTS {PG_TOO_LONG}")
        op.execute(f"ALTER TABLE appointments DROP CONSTRAINT IF EXISTS {PG_EXCLUSION}")
        return
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
