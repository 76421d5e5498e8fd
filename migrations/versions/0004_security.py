"""security: a keyed audit chain, inserts only through the audit writer, OS-bound staff

- `audit_events.key_id`: the audit key (HMAC, kept in a file outside the database) that signed
  a row. Rows written before this revision keep their plain SHA-256 chain; if there are any,
  the upgrade appends one keyed `audit.keyed` event after them, which seals them: re-chaining
  them would change the hash the keyed event signed.
- A trigger refuses an INSERT into audit_events that is not the audit writer's
  (store/audit_guard.py; PostgreSQL: the writer's session setting, store/pg.py) or that does
  not follow the last row. Future migrations that copy
  audit_events (a batch rebuild) must do it inside `audit_guard.writing()`.
- `staff_users.os_uid`: the operating-system account bound to a staff account (command line).

Revision ID: 0004_security
Revises: 0003_checkin_checks
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_security"
down_revision = "0003_checkin_checks"
branch_labels = None
depends_on = None

GENESIS = "0" * 64
WRITER_TRIGGER = "trg_audit_events_writer_only"
PG_WRITER_FUNCTION = f"""
CREATE OR REPLACE FUNCTION coordinator_audit_writer_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('coordinator.audit_writer', true), '') <> 'on' THEN
        RAISE EXCEPTION 'audit_events rows are added only by the audit writer';
    END IF;
    IF NEW.prev_hash IS DISTINCT FROM coalesce(
            (SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1), '{GENESIS}')
       OR NEW.id <= coalesce((SELECT max(id) FROM audit_events), 0) THEN
        RAISE EXCEPTION 'an audit_events row must follow the last row';
    END IF;
    RETURN NEW;
END $$"""


def upgrade() -> None:
    op.add_column("audit_events", sa.Column("key_id", sa.String(length=16), nullable=True))
    op.add_column("staff_users", sa.Column("os_uid", sa.Integer(), nullable=True))
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # The same two checks; the writer turns `coordinator.audit_writer` on for its insert
        # (store/pg.py), inside a transaction that holds the chain head's lock.
        op.execute(PG_WRITER_FUNCTION)
        op.execute(f"CREATE TRIGGER {WRITER_TRIGGER} BEFORE INSERT ON audit_events FOR EACH ROW "
                   "EXECUTE FUNCTION coordinator_audit_writer_only()")
        _seal_legacy_rows(bind)
        return
    if bind.dialect.name != "sqlite":
        return
    op.execute(
        f"CREATE TRIGGER {WRITER_TRIGGER} BEFORE INSERT ON audit_events BEGIN "
        "SELECT RAISE(ABORT, 'audit_events rows are added only by the audit writer') "
        "WHERE coordinator_audit_writer() IS NOT 1; "
        "SELECT RAISE(ABORT, 'an audit_events row must follow the last row') "
        f"WHERE NEW.prev_hash IS NOT COALESCE((SELECT hash FROM audit_events ORDER BY id DESC "
        f"LIMIT 1), '{GENESIS}') OR (NEW.id IS NOT -1 AND NEW.id <= COALESCE((SELECT max(id) "
        "FROM audit_events), 0)); END"
    )
    _seal_legacy_rows(bind)


def _seal_legacy_rows(bind) -> None:
    from datetime import UTC, datetime

    from coordinator_tui.services import audit
    from coordinator_tui.store import audit_files, audit_guard
    from coordinator_tui.store.engine import key_base

    last = bind.exec_driver_sql("SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1").first()
    if last is None:
        return
    count = bind.exec_driver_sql("SELECT count(*) FROM audit_events").scalar()
    # The SQLite file, or the name a PostgreSQL database's key and anchor files are made from.
    database = key_base(bind.engine.url.render_as_string(hide_password=False))
    key = audit_files.ring_for(database, create=True).current
    at = datetime.now(UTC)
    detail = f'{{"key":"{key.id}","sealed_events":{count}}}'
    digest = audit.keyed_digest(key, last.hash, at, None, "audit.keyed", None, None, None, detail)
    insert = sa.text("INSERT INTO audit_events (at, action, detail, prev_hash, hash, key_id) "
                     "VALUES (:at, 'audit.keyed', :detail, :prev, :hash, :key)")
    values = {"detail": detail, "prev": last.hash, "hash": digest, "key": key.id}
    if bind.dialect.name == "postgresql":
        # The writer's session setting (store/pg.py), for this transaction only.
        bind.exec_driver_sql("SELECT set_config('coordinator.audit_writer', 'on', true)")
        bind.execute(insert, {**values, "at": at})
        bind.exec_driver_sql("SELECT set_config('coordinator.audit_writer', 'off', true)")
    else:
        stored_at = at.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
        with audit_guard.writing():
            bind.execute(insert, {**values, "at": stored_at})
    sealed = bind.exec_driver_sql("SELECT id FROM audit_events ORDER BY id DESC LIMIT 1").scalar()
    # The first anchor: from now on a missing anchor file is itself a finding.
    audit_files.append_anchor(audit_files.anchor_path(database), database, at, count + 1, sealed,
                              digest, key)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {WRITER_TRIGGER} ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS coordinator_audit_writer_only()")
        op.drop_column("audit_events", "key_id")
        op.drop_column("staff_users", "os_uid")
        return
    op.execute(f"DROP TRIGGER IF EXISTS {WRITER_TRIGGER}")
    # A batch rebuild of audit_events drops its append-only triggers: recreate them after.
    op.execute("DROP TRIGGER IF EXISTS trg_audit_events_no_update")
    op.execute("DROP TRIGGER IF EXISTS trg_audit_events_no_delete")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_column("key_id")
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.drop_column("os_uid")
    for operation in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER trg_audit_events_no_{operation.lower()} BEFORE {operation} ON "
            f"audit_events BEGIN SELECT RAISE(ABORT, 'audit_events rows cannot be "
            f"{operation.lower()}d'); END"
        )
