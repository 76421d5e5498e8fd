"""The engine's promises: pragmas, BEGIN IMMEDIATE writes, owner-only files, and integrity that
lives in the database itself (constraints and append-only triggers), whatever client writes."""

from __future__ import annotations

import sqlite3
import stat
import threading

import pytest
from sqlalchemy import text

from coordinator_tui.errors import StorageError
from coordinator_tui.store.engine import Database, prepare_file
from tests.helpers import engines
from tests.helpers.engines import raw_connect
from tests.helpers.engines import url_for as url_for_path

# What a refusal by the database itself raises, on either engine.
if engines.on_postgresql():
    import psycopg

    REFUSED = (psycopg.errors.IntegrityError, psycopg.errors.RaiseException)
else:
    REFUSED = sqlite3.IntegrityError


@pytest.mark.sqlite_only("SQLite's pragmas")
def test_every_connection_gets_the_pragmas(db_path):
    db = Database(url_for_path(db_path))
    with db.read() as session:
        assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert session.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert session.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
        # Reads through a memory map (capped by SQLite's build, never off).
        assert session.execute(text("PRAGMA mmap_size")).scalar() >= 2**30
    db.dispose()


@pytest.mark.sqlite_only("BEGIN IMMEDIATE through the sqlite3 module")
def test_a_write_transaction_holds_the_write_lock_from_its_first_statement(db_path):
    """BEGIN IMMEDIATE: while a desk is inside write(), another writer cannot start, even before
    the first desk has written anything (a deferred BEGIN would let both start, then fail one)."""
    db = Database(url_for_path(db_path))
    inside = threading.Event()
    release = threading.Event()

    def hold_write():
        with db.write() as session:
            session.execute(text("SELECT 1"))  # a read only: DEFERRED would take no lock yet
            inside.set()
            release.wait(5)

    holder = threading.Thread(target=hold_write)
    holder.start()
    assert inside.wait(5)
    other = sqlite3.connect(db_path, timeout=0, isolation_level=None)
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
    finally:
        release.set()
        holder.join()
        other.close()
    db.dispose()


@pytest.mark.postgresql_only("PostgreSQL's counterpart of BEGIN IMMEDIATE")
def test_a_postgresql_write_transaction_holds_the_write_lock_from_its_start(db_path):
    """store/pg.py: while a desk is inside write(), another writer cannot take the write lock,
    even before the first has written anything; a read transaction does not hold it."""
    from coordinator_tui.store.pg import WRITE_LOCK

    db = Database(url_for_path(db_path))
    other = raw_connect(db_path)
    try:
        with db.read() as session:
            session.execute(text("SELECT count(*) FROM patients"))
            assert other.execute(f"SELECT pg_try_advisory_xact_lock({WRITE_LOCK})").fetchone()[0]
            other.rollback()
        with db.write() as session:
            session.execute(text("SELECT 1"))
            assert not other.execute(f"SELECT pg_try_advisory_xact_lock({WRITE_LOCK})").fetchone()[0]
            other.rollback()
        assert other.execute(f"SELECT pg_try_advisory_xact_lock({WRITE_LOCK})").fetchone()[0]
    finally:
        other.close()
        db.dispose()


@pytest.mark.sqlite_only("BEGIN IMMEDIATE through the sqlite3 module")
def test_a_read_transaction_does_not_block_writers(db_path):
    db = Database(url_for_path(db_path))
    with db.read() as session:
        session.execute(text("SELECT count(*) FROM patients"))
        other = sqlite3.connect(db_path, timeout=0, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        other.close()
    db.dispose()


def test_write_rolls_back_everything_on_error(db_path):
    db = Database(url_for_path(db_path))
    with pytest.raises(RuntimeError), db.write() as session:
        session.execute(text("INSERT INTO settings (key, value) VALUES ('a', 'b')"))
        raise RuntimeError("crash in the middle")
    with db.read() as session:
        assert session.execute(text("SELECT count(*) FROM settings")).scalar() == 0
    db.dispose()


def test_new_database_file_is_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "private" / "clinic.sqlite"
    prepare_file(path, create=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_a_file_made_by_another_desk_in_the_same_instant_is_used_not_refused(tmp_path, monkeypatch):
    """Two desks start on a new clinic at once: the other one creates the file between our
    check and our create. We use its file instead of failing with "File exists"."""
    import os

    path = tmp_path / "clinic.sqlite"
    real_open = os.open

    def other_desk_first(target, flags, *args):
        if str(target) == str(path) and flags & os.O_EXCL and not path.exists():
            os.close(real_open(target, os.O_CREAT | os.O_WRONLY, 0o600))  # the other desk
        return real_open(target, flags, *args)

    monkeypatch.setattr(os, "open", other_desk_first)
    prepare_file(path, create=True)
    assert path.is_file()


def test_prepare_file_refuses_a_directory_and_a_path_under_a_file(tmp_path):
    with pytest.raises(StorageError, match="directory"):
        prepare_file(tmp_path, create=True)
    blocker = tmp_path / "plain-file"
    blocker.write_text("x")
    with pytest.raises(StorageError, match="not a directory"):
        prepare_file(blocker / "clinic.sqlite", create=True)


def _raw(path):
    if engines.on_postgresql():
        return raw_connect(path)
    return sqlite3.connect(path, isolation_level=None)


@pytest.mark.parametrize("statement", [
    "UPDATE appointment_status_events SET to_status = 'arrived'",
    "DELETE FROM appointment_status_events",
    "UPDATE audit_events SET action = 'nothing'",
    "DELETE FROM audit_events",
    "DELETE FROM payments",
    "DELETE FROM callback_attempts",
])
def test_history_tables_refuse_rewrites_from_any_client(seeded_path, statement):
    conn = _raw(seeded_path)
    table = statement.split()[1] if statement.startswith("UPDATE") else statement.split()[2]
    if conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0 and table in {"audit_events", "callback_attempts"}:
        # Give the table a row so the trigger has something to protect.
        if table == "audit_events":
            # Only the audit writer may insert (store/audit_guard.py): stand in for it.
            if engines.on_postgresql():
                conn.execute("SELECT set_config('coordinator.audit_writer', 'on', true)")
            else:
                conn.create_function("coordinator_audit_writer", 0, lambda: 1)
            conn.execute("INSERT INTO audit_events (at, action, prev_hash, hash) VALUES "
                         f"('2026-01-01 00:00:00.000000', 'x', '{'0' * 64}', 'h')")
        else:
            conn.execute("INSERT INTO callback_attempts (callback_id, at, by_id, outcome) VALUES "
                         "(1, '2026-01-01 00:00:00.000000', 1, 'busy')")
    with pytest.raises(REFUSED, match="cannot be"):
        conn.execute(statement)
    conn.close()


@pytest.mark.parametrize("statement, constraint", [
    ("UPDATE coverages SET copay_cents = -1 WHERE id = 1", "copay_nonneg"),
    ("INSERT INTO payments (patient_id, amount_cents, method, receipt_number, taken_at, taken_by_id) "
     "VALUES (1, 0, 'cash', 'R-zero', '2026-01-01 00:00:00.000000', 1)", "amount_positive"),
    ("INSERT INTO payments (patient_id, amount_cents, method, receipt_number, taken_at, taken_by_id) "
     "VALUES (1, 100, 'bitcoin', 'R-coin', '2026-01-01 00:00:00.000000', 1)", "method_valid"),
    ("UPDATE appointments SET status = 'teleported' WHERE id = (SELECT min(id) FROM appointments)", "status_valid"),
    ("UPDATE appointments SET status = 'cancelled', cancel_reason = NULL WHERE id = (SELECT min(id) FROM appointments)", "cancel_has_reason"),
    ("UPDATE appointments SET ends_at = starts_at WHERE id = (SELECT min(id) FROM appointments)", "interval_order"),
    ("UPDATE patients SET merged_into_id = id WHERE id = 1", "not_merged_into_self"),
    ("UPDATE coverages SET eligibility_status = 'verified', verified_at = NULL WHERE id = 1",
     "verified_has_who_and_when"),
])
def test_check_constraints_hold_in_the_database(seeded_path, statement, constraint):
    conn = _raw(seeded_path)
    with pytest.raises(REFUSED, match=constraint):
        conn.execute(statement)
    conn.close()


def test_foreign_keys_are_enforced(seeded_path):
    db = Database(url_for_path(seeded_path))
    with pytest.raises(StorageError), db.write() as session:
        session.execute(text("UPDATE appointments SET patient_id = 99999999 WHERE id = (SELECT min(id) FROM appointments)"))
    db.dispose()


def test_only_one_open_callback_per_patient_and_reason(seeded_path):
    conn = _raw(seeded_path)
    patient_id, reason = conn.execute(
        "SELECT patient_id, reason FROM callbacks WHERE status = 'open' LIMIT 1").fetchone()
    insert = ("INSERT INTO callbacks (patient_id, reason, priority, status, due_at, created_at, version_id) "
              "VALUES (?, ?, 'normal', 'open', '2026-01-01 00:00:00.000000', '2026-01-01 00:00:00.000000', 1)")
    with pytest.raises(REFUSED, match="UNIQUE|unique constraint"):
        conn.execute(insert, (patient_id, reason))
    conn.close()


def test_the_desks_two_host_url_finds_the_primarys_audit_key_files():
    """A clinic moved to db1 (`db copy --to ...@db1:5433/clinic`) took its audit key to the file
    named after db1; desks on the failover URL naming db1 then db2 sign with that same key."""
    from coordinator_tui.store.engine import key_base

    single = key_base("postgresql+psycopg://clinic:pw@db1:5433/clinic")
    both = key_base("postgresql+psycopg://clinic:pw@/clinic?host=db1:5433&host=db2:5432"
                    "&target_session_attrs=read-write")
    assert both == single and single.name == "db1-5433-clinic"
    # A socket folder is no name: still 'local', inside the data folder.
    socket = key_base("postgresql+psycopg://clinic@/clinic?host=/run/postgresql")
    assert socket.name == "local-5432-clinic" and socket.parent == single.parent


def test_read_driver_is_one_read_transaction_on_the_pools_own_connection(db_path):
    """The lookup's transaction (Database.read_driver): the DB-API connection itself, inside a
    transaction that sees one snapshot, ended when the block ends, the connection pooled again."""
    db = Database(url_for_path(db_path))
    try:
        with db.read_driver() as raw:
            raw.execute("SELECT count(*) FROM patients").fetchall()
            if engines.on_postgresql():
                assert raw.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
            else:
                assert raw.in_transaction
            first = raw
        if engines.on_postgresql():
            assert first.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        else:
            assert not first.in_transaction
        with db.read_driver() as raw:
            assert raw is first  # pooled, not opened again
    finally:
        db.dispose()


def test_read_driver_settings_are_postgresqls_alone(db_path):
    """Settings fixed for a read pool (the lookup's, store/pg.make_fixed_engine) mean nothing to
    SQLite: the same pooled connection, in a read transaction as ever."""
    if engines.on_postgresql():
        pytest.skip("SQLite's read_driver (PostgreSQL's pool: tests/store/test_pg_pool.py)")
    db = Database(url_for_path(db_path))
    try:
        with db.read_driver() as raw:
            first = raw
        with db.read_driver((("plan_cache_mode", "force_generic_plan"),)) as raw:
            assert raw is first and raw.in_transaction
    finally:
        db.dispose()


def test_read_driver_turns_a_database_error_into_words_and_keeps_working(db_path):
    db = Database(url_for_path(db_path))
    try:
        with pytest.raises(StorageError) as caught, db.read_driver() as raw:
            raw.execute("SELECT no_such_column FROM patients").fetchall()
        assert "no_such_column" not in str(caught.value)  # no SQL in what a person reads
        with db.read_driver() as raw:
            assert raw.execute("SELECT 1").fetchall()[0][0] == 1
    finally:
        db.dispose()
