"""`coordinator db copy --from URL --to URL` moves a clinic to another database (issue 20 item 8).

Each pass copies the seeded test clinic to the other engine: the SQLite pass from its SQLite
file into a fresh PostgreSQL database (the move a clinic joining a network makes), the
PostgreSQL pass (`--engine postgresql`) from its PostgreSQL database into a new SQLite file.
Both need the PostgreSQL server (COORDINATOR_TEST_PG; CI starts it before either pass).
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time as clock_time
from datetime import UTC, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from coordinator_tui.errors import UserError
from coordinator_tui.services.schedule import booking
from coordinator_tui.services.staff.actors import actor_for
from coordinator_tui.store import audit_files
from coordinator_tui.store.engine import key_base
from coordinator_tui.store.models import Base
from tests.conftest import CLINIC_TZ, FREE_DAY, SEEDED_PATIENTS
from tests.helpers import engines
from tests.helpers.cli import run
from tests.helpers.pg_clinic import create_database, database_url, drop_database, pg_server_url

SAMPLE = 25  # rows compared column by column, per table (the first and the last)


@pytest.fixture
def target(tmp_path, request):
    """Where the clinic goes: the other engine's empty database, as a path (SQLite) or a URL."""
    if engines.on_postgresql():
        return str(tmp_path / "moved.sqlite")
    server = pg_server_url()
    name = create_database(server)
    request.addfinalizer(lambda: drop_database(server, name))
    return database_url(server, name)


def _url(where: str) -> str:
    return where if "://" in where else f"sqlite:///{where}"


def _tables(url: str) -> dict[str, list[dict]]:
    """Every copied table's row count and its first and last SAMPLE rows, through the models."""
    engine = create_engine(url)
    found = {}
    try:
        with engine.connect() as conn:
            for table in Base.metadata.sorted_tables:
                if table.name == "alembic_version":
                    continue
                order = list(table.primary_key.columns)
                count = conn.execute(select(func.count()).select_from(table)).scalar_one()
                first = conn.execute(select(table).order_by(*order).limit(SAMPLE)).all()
                last = conn.execute(select(table).order_by(*(c.desc() for c in order))
                                    .limit(SAMPLE)).all()
                found[table.name] = (count, [dict(r._mapping) for r in (*first, *last)])
    finally:
        engine.dispose()
    return found


def _at(hour: int) -> datetime:
    return datetime.combine(FREE_DAY, time(hour), tzinfo=ZoneInfo(CLINIC_TZ)).astimezone(UTC)


def _a_morning_at_the_desk(ctx) -> None:
    """Audit events signed with the clinic's key, and a self-reference pointing forward: patient
    5 merged into patient 40 (a row that refers to one copied after it)."""
    from coordinator_tui.services.patients import merge, records

    merge.merge_patients(ctx, actor_for(ctx, "super"), 40, 5, "same person")
    records.get_record(ctx, actor_for(ctx, "demo"), 41)
    booking.book(ctx, actor_for(ctx, "demo"), 42, 1, "FU", _at(8))


def test_a_clinic_moves_whole_and_the_desk_works_on_it(seeded_path, ctx, target, clock):
    _a_morning_at_the_desk(ctx)
    ctx.db.dispose()
    source = engines.url_for(seeded_path)
    moved = run("db", "copy", "--from", source, "--to", target)
    assert moved.returncode == 0, moved.stderr
    assert f"patients: {SEEDED_PATIENTS:,} rows" in moved.stdout.splitlines()  # a line per table
    assert "rows/s" in moved.stdout

    before, after = _tables(source), _tables(_url(target))
    assert {t: c for t, (c, _) in after.items()} == {t: c for t, (c, _) in before.items()}
    assert before["patients"][0] == SEEDED_PATIENTS and before["audit_events"][0] > 0
    for table, (_count, rows) in before.items():
        assert after[table][1] == rows, table  # booleans, instants (aware UTC), texts alike
    assert (5, 40) in _merged(source) and _merged(_url(target)) == _merged(source)

    verified = run("audit", "verify", "--db", target)
    assert verified.returncode == 0, verified.stderr
    assert f"audit trail intact: {before['audit_events'][0]:,} events" in verified.stdout

    # The desk works on the moved clinic: a booking gets a new id (sequences moved past the
    # copied ones), is refused a second time in the same slot, and signs its audit event with
    # the key that went along.
    ctx = _context_on(_url(target), clock)
    try:
        desk = actor_for(ctx, "demo")
        booked = booking.book(ctx, desk, 11, 1, "FU", _at(9))
        assert booked.appointment_id > max(r["id"] for r in before["appointments"][1])
        with pytest.raises(UserError, match="already booked|taken|not free"):
            booking.book(ctx, desk, 12, 1, "FU", _at(9))
    finally:
        ctx.db.dispose()
    verified = run("audit", "verify", "--db", target)
    assert verified.returncode == 0, verified.stderr
    assert f"{before['audit_events'][0]:,} events" not in verified.stdout  # the chain grew


def _merged(url: str) -> list[tuple[int, int]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(
                "SELECT id, merged_into_id FROM patients WHERE merged_into_id IS NOT NULL "
                "ORDER BY id"))]
    finally:
        engine.dispose()


def _context_on(url: str, clock):
    from coordinator_tui.config import Settings
    from coordinator_tui.services.context import AppContext
    from coordinator_tui.store.engine import Database

    return AppContext(db=Database(url), settings=Settings(db_url=url, clinic_tz=CLINIC_TZ),
                      clock=clock)


def _fingerprint(url: str) -> str:
    counts = {t: c for t, (c, _) in _tables(url).items()}
    return hashlib.sha256(repr(sorted(counts.items())).encode()).hexdigest()


def test_a_target_that_holds_a_clinic_is_refused_with_nothing_written(seeded_path, target, tmp_path):
    source = engines.url_for(seeded_path)
    first = run("db", "copy", "--from", source, "--to", target)
    assert first.returncode == 0, first.stderr
    held = _fingerprint(_url(target))
    again = run("db", "copy", "--from", source, "--to", target)
    assert again.returncode != 0
    [line] = again.stderr.strip().splitlines()  # one clear line, no traceback
    assert "is not empty" in line and f"{SEEDED_PATIENTS:,} patients" in line
    assert "nothing was written" in line and "Traceback" not in again.stderr
    assert _fingerprint(_url(target)) == held


def test_a_copy_that_fails_halfway_leaves_no_clinic_behind(seeded_path, target):
    """One transaction: a table refused near the end (a trigger standing in for a disk or a
    server that fails) rolls back every row already copied; a second run starts again."""
    source = engines.url_for(seeded_path)
    assert run("db", "upgrade", "--db", target).returncode == 0  # an empty clinic is a target
    held = _tables(source)
    last = [t.name for t in Base.metadata.sorted_tables if held.get(t.name, (0,))[0]][-1]
    trap = _trap(_url(target), last)
    failed = run("db", "copy", "--from", source, "--to", target)
    assert failed.returncode != 0
    [line] = failed.stderr.strip().splitlines()
    assert "could not be used" in line and "Traceback" not in failed.stderr
    assert all(count == 0 for count, _ in _tables(_url(target)).values())
    key = audit_files.key_path(key_base(_url(target)))
    assert key == audit_files.key_path(key_base(source)) or not key.exists()  # not left behind
    trap()
    done = run("db", "copy", "--from", source, "--to", target)
    assert done.returncode == 0, done.stderr
    assert run("audit", "verify", "--db", target).returncode == 0


def _trap(url: str, last: str):
    """A trigger refusing the rows of the table copied last; returns what removes it."""
    engine = create_engine(url)
    postgresql = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        if postgresql:
            conn.exec_driver_sql("CREATE FUNCTION test_trap() RETURNS trigger LANGUAGE plpgsql AS "
                                 "$$ BEGIN RAISE EXCEPTION 'the disk failed'; END $$")
            conn.exec_driver_sql(f"CREATE TRIGGER test_trap BEFORE INSERT ON {last} "
                                 "FOR EACH ROW EXECUTE FUNCTION test_trap()")
        else:
            conn.exec_driver_sql(f"CREATE TRIGGER test_trap BEFORE INSERT ON {last} "
                                 "BEGIN SELECT RAISE(ABORT, 'the disk failed'); END")

    def remove() -> None:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP TRIGGER test_trap ON {last}" if postgresql
                                 else "DROP TRIGGER test_trap")
        engine.dispose()

    return remove


@pytest.mark.sqlite_only("the copy goes to PostgreSQL in the SQLite pass: a trigger there holds "
                         "it at its last table, where it is killed")
def test_a_copy_killed_halfway_leaves_no_clinic_and_runs_again(seeded_path, target):
    source = engines.url_for(seeded_path)
    assert run("db", "upgrade", "--db", target).returncode == 0
    held = _tables(source)
    last = [t.name for t in Base.metadata.sorted_tables if held.get(t.name, (0,))[0]][-1]
    engine = create_engine(target)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE FUNCTION test_hold() RETURNS trigger LANGUAGE plpgsql AS "
                                 "$$ BEGIN PERFORM pg_sleep(0.05); RETURN NEW; END $$")
            conn.exec_driver_sql(f"CREATE TRIGGER test_hold BEFORE INSERT ON {last} "
                                 "FOR EACH ROW EXECUTE FUNCTION test_hold()")
        copying = subprocess.Popen([sys.executable, "-m", "coordinator_tui", "db", "copy",
                                    "--from", source, "--to", target],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        database = make_url(target).database
        deadline = clock_time.monotonic() + 120
        with engine.connect() as conn:
            while not conn.execute(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = :d AND "
                    "wait_event = 'PgSleep'"), {"d": database}).scalar_one():
                assert copying.poll() is None and clock_time.monotonic() < deadline
                clock_time.sleep(0.05)
                conn.rollback()
            os.kill(copying.pid, signal.SIGKILL)  # at its last table: every other table copied
            copying.wait(timeout=30)
            while conn.execute(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = :d AND "
                    "pid <> pg_backend_pid()"), {"d": database}).scalar_one():
                assert clock_time.monotonic() < deadline  # the server ends the dead client's work
                clock_time.sleep(0.1)
                conn.rollback()
        assert all(count == 0 for count, _ in _tables(target).values())
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP TRIGGER test_hold ON {last}")
    finally:
        engine.dispose()
    again = run("db", "copy", "--from", source, "--to", target)
    assert again.returncode == 0, again.stderr
    assert run("audit", "verify", "--db", target).returncode == 0


@pytest.mark.parametrize("args, words", [
    (("--from", "{missing}", "--to", "{target}"), "no database at"),
    (("--from", "{source}", "--to", "{source}"), "the same database"),
    (("--from", "{source}", "--to", "mysql://x@y/z"), "not supported"),
])
def test_bad_command_lines_are_refused_in_one_line(seeded_path, target, tmp_path, args, words):
    values = {"missing": str(tmp_path / "nothing.sqlite"), "target": target,
              "source": engines.url_for(seeded_path)}
    result = run("db", "copy", *(a.format(**values) for a in args))
    assert result.returncode != 0
    [line] = result.stderr.strip().splitlines()
    assert words in line
    assert _untouched(target)


def _untouched(target: str) -> bool:
    if "://" not in target:
        return not Path(target).exists()
    engine = create_engine(target)
    try:
        with engine.connect() as conn:
            return not conn.execute(text("SELECT count(*) FROM pg_tables WHERE schemaname = "
                                         "'public'")).scalar_one()
    finally:
        engine.dispose()
