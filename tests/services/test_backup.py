"""Backups while another process keeps writing, and restores that refuse bad backups."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sqlite3
import stat
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from coordinator_tui.errors import PermissionDenied, StorageError, UserError
from coordinator_tui.services.staff import accounts, audit_trail
from coordinator_tui.services.staff.actors import actor_for
from coordinator_tui.services.staff.backups import backup, check_backup, restore
from coordinator_tui.store import backup_file
from coordinator_tui.store.models import AuditEvent, Patient
from coordinator_tui.store.schema_version import SCHEMA_HEAD
from tests.conftest import make_context
from tests.helpers.engines import raw_connect


def _writer(path: str, started, stop, count) -> None:
    """Another desk: writes (audit events) as fast as it can until told to stop."""
    ctx = make_context(Path(path))
    actor = actor_for(ctx, "demo")
    started.set()
    while not stop.is_set():
        accounts.lock(ctx, actor, idle=False)
        with count.get_lock():
            count.value += 1
    ctx.db.dispose()


def _table_rows(path: Path) -> dict[str, list]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'patient_search%' "
            "AND name <> 'sqlite_sequence' ORDER BY name")]
        return {t: conn.execute(f'SELECT * FROM "{t}" ORDER BY rowid').fetchall() for t in tables}
    finally:
        conn.close()


@pytest.fixture
def supervisor(ctx):
    return actor_for(ctx, "super")


@pytest.fixture
def admin(ctx):
    return actor_for(ctx, "admin")


def test_backup_while_another_process_writes(ctx, supervisor, seeded_path, tmp_path,
                                            monkeypatch):
    spawn = multiprocessing.get_context("spawn")
    started, stop, count = spawn.Event(), spawn.Event(), spawn.Value("i", 0)
    writer = spawn.Process(target=_writer, args=(str(seeded_path), started, stop, count))
    writer.start()
    try:
        assert started.wait(60)
        while count.value < 5:
            time.sleep(0.01)
        seen: list[tuple[int, int, int]] = []

        def progress(stage, done, total):
            if stage == "copy":
                seen.append((done, total, count.value))
                time.sleep(0.005)  # a slow disk: the other desk must keep writing meanwhile

        report = backup(ctx, supervisor, tmp_path / "b.sqlite", progress=progress,
                        pages_per_step=4)
    finally:
        stop.set()
        writer.join(timeout=60)
    assert writer.exitcode == 0
    assert len(seen) > 10
    assert seen[-1][0] == seen[-1][1]  # finished, without restarting
    assert [d for d, _t, _c in seen] == sorted(d for d, _t, _c in seen)
    assert seen[-1][2] > seen[0][2], "the other desk could not write during the backup"
    copy = report.path
    assert backup_file.check_file(copy) is None
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert report.revision == SCHEMA_HEAD
    assert not list(tmp_path.glob(".b.sqlite.*"))  # no temporary file left
    # A consistent snapshot: the copied audit chain is whole (checked with the clinic's key).
    monkeypatch.setenv("COORDINATOR_AUDIT_KEY", str(ctx.db.path) + ".audit-key")
    copy_ctx = make_context(copy)
    assert audit_trail.verify(copy_ctx).broken is None
    copy_ctx.db.dispose()
    with ctx.db.read() as session:
        last = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        backups = session.scalars(select(AuditEvent).where(AuditEvent.action == "backup")).all()
    assert len(backups) == 1 and backups[0].user_id == supervisor.id
    assert last.id >= backups[0].id


def test_backup_file_is_owner_only_even_with_a_lax_umask(ctx, supervisor, tmp_path):
    old = os.umask(0)
    try:
        report = backup(ctx, supervisor, tmp_path / "lax.sqlite")
    finally:
        os.umask(old)
    assert stat.S_IMODE(report.path.stat().st_mode) == 0o600


def test_backup_refuses_existing_file_unless_forced_and_front_desk(ctx, supervisor, desk_user,
                                                                   tmp_path):
    dest = tmp_path / "exists.sqlite"
    dest.write_text("keep me")
    with pytest.raises(UserError, match="already exists"):
        backup(ctx, supervisor, dest)
    assert dest.read_text() == "keep me"
    with pytest.raises(PermissionDenied):
        backup(ctx, desk_user, tmp_path / "desk.sqlite")
    assert not (tmp_path / "desk.sqlite").exists()
    backup(ctx, supervisor, dest, force=True)
    assert backup_file.check_file(dest) is None
    for bad in (tmp_path, tmp_path / "missing-folder" / "x.sqlite", ctx.db.path):
        with pytest.raises(UserError):
            backup(ctx, supervisor, bad)


def test_round_trip_gives_the_same_rows(ctx, supervisor, admin, tmp_path):
    dest = tmp_path / "rt.sqlite"
    backup(ctx, supervisor, dest)
    expected = _table_rows(dest)
    # Change the live database after the backup, then restore over it.
    accounts.lock(ctx, supervisor, idle=False)
    with ctx.db.write() as session:
        session.get(Patient, 1).given_name = "Changed"
    target = ctx.db.path
    report = restore(ctx, admin, dest)
    assert report.revision == SCHEMA_HEAD and not report.upgraded
    assert report.kept_previous is not None and report.kept_previous.exists()
    got = _table_rows(target)
    restore_events = [row for row in got["audit_events"] if row[3] == "restore"]
    assert len(restore_events) == 1
    got["audit_events"] = [row for row in got["audit_events"] if row[3] != "restore"]
    assert got == expected
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    fresh = make_context(target)
    assert audit_trail.verify(fresh).broken is None
    fresh.db.dispose()


def _corrupt(src: Path, dest: Path, how: str) -> Path:
    shutil.copyfile(src, dest)
    size = dest.stat().st_size
    if how == "truncate":
        with open(dest, "r+b") as f:
            f.truncate(size // 2)
    elif how == "truncate-page":
        with open(dest, "r+b") as f:
            f.truncate(size - 4096)
    elif how == "bytes":
        with open(dest, "r+b") as f:
            for offset in range(8192, size, 16384):  # scribble over many pages, not the header
                f.seek(offset + 100)
                f.write(b"\xde\xad\xbe\xef" * 64)
    elif how == "header":
        with open(dest, "r+b") as f:
            f.write(b"Not a database!!")
    elif how == "text":
        dest.write_text("name,dob\nSomeone,1980-01-01\n")
    elif how == "empty":
        dest.write_bytes(b"")
    return dest


@pytest.mark.parametrize("how", ["truncate", "truncate-page", "bytes", "header", "text", "empty"])
def test_restore_refuses_a_damaged_or_foreign_file_and_changes_nothing(ctx, supervisor, admin,
                                                                       tmp_path, how):
    good = tmp_path / "good.sqlite"
    backup(ctx, supervisor, good)
    bad = _corrupt(good, tmp_path / f"bad-{how}.sqlite", how)
    target = ctx.db.path
    ctx.db.dispose()
    before = target.read_bytes()
    with pytest.raises(StorageError, match="refused"):
        restore(ctx, admin, bad)
    assert target.read_bytes() == before
    assert not list(target.parent.glob(f".{target.name}.*"))


def test_restore_refuses_a_newer_schema_and_an_empty_database(ctx, supervisor, admin, tmp_path):
    newer = tmp_path / "newer.sqlite"
    backup(ctx, supervisor, newer)
    conn = raw_connect(newer)
    conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    conn.commit()
    conn.close()
    with pytest.raises(StorageError, match="newer version"):
        check_backup(newer)
    with pytest.raises(StorageError, match="newer version"):
        restore(ctx, admin, newer)
    empty = tmp_path / "empty.sqlite"
    raw_connect(empty).close()
    with pytest.raises(StorageError):
        restore(ctx, admin, empty)
    other = tmp_path / "other.sqlite"
    conn = raw_connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    with pytest.raises(StorageError, match="another program"):
        restore(ctx, admin, other)


def test_restore_upgrades_an_older_backup(ctx, supervisor, admin, tmp_path):
    from coordinator_tui.store.engine import url_for_path
    from coordinator_tui.store.migrate import downgrade, read_revision

    old = tmp_path / "old.sqlite"
    backup(ctx, supervisor, old)
    downgrade(url_for_path(old), "0002_patient_search")
    backup_file.to_single_file(old)
    assert read_revision(url_for_path(old)) == "0002_patient_search"
    report = restore(ctx, admin, old)
    assert report.revision == "0002_patient_search" and report.upgraded
    assert read_revision(ctx.db.url) == SCHEMA_HEAD
    with make_context(ctx.db.path).db.read() as session:
        assert session.scalar(select(func.count()).select_from(Patient)) > 0


def test_restore_needs_an_admin_and_refuses_while_a_desk_is_open(ctx, supervisor, admin, desk_user,
                                                                 seeded_path, tmp_path):
    dest = tmp_path / "b.sqlite"
    backup(ctx, supervisor, dest)
    with pytest.raises(PermissionDenied):
        restore(ctx, supervisor, dest)
    with pytest.raises(PermissionDenied):
        restore(ctx, None, dest)
    spawn = multiprocessing.get_context("spawn")
    started, stop, count = spawn.Event(), spawn.Event(), spawn.Value("i", 0)
    writer = spawn.Process(target=_writer, args=(str(seeded_path), started, stop, count))
    writer.start()
    try:
        assert started.wait(60)
        while count.value < 1:
            time.sleep(0.01)
        with pytest.raises(StorageError, match="close every desk"):
            restore(ctx, admin, dest)
    finally:
        stop.set()
        writer.join(timeout=60)
    restore(ctx, admin, dest)


def test_restore_over_a_missing_database_needs_no_account(tmp_path, ctx, supervisor):
    dest = tmp_path / "b.sqlite"
    backup(ctx, supervisor, dest)
    lost = make_context(tmp_path / "new" / "clinic.sqlite")
    report = restore(lost, None, dest)
    assert report.kept_previous is None
    assert backup_file.check_file(report.path) is None


def test_a_restore_sets_the_views_journal_aside_with_the_replaced_file(ctx, supervisor, admin, tmp_path,
                                                                       monkeypatch):
    """A view of a patient registered after the backup, waiting in the journal at the restore,
    belongs to the replaced trail: it goes aside with that file, and every desk's writes go on
    on the restored one (it once made each write fail on the patient the copy lacks)."""
    from coordinator_tui.services import patients, view_audit
    from coordinator_tui.store.view_journal import journal_path

    monkeypatch.setattr(view_audit, "SETTLE_SECONDS", 60.0)  # the view waits for the restore

    dest = tmp_path / "before-the-newcomer.sqlite"
    backup(ctx, supervisor, dest)
    newcomer = patients.register_patient(ctx, supervisor, {
        "given_name": "Noor", "family_name": "Restorova", "birth_date": "2/3/1991", "sex": "F"})
    patients.get_record(ctx, supervisor, newcomer.patient_id)  # journaled: waits for a write
    target = ctx.db.path
    assert journal_path(target).exists()
    report = restore(ctx, admin, dest)
    aside = journal_path(report.kept_previous)
    assert aside.exists()
    with sqlite3.connect(aside) as conn:
        assert conn.execute("SELECT patient_id FROM events").fetchall() == [(newcomer.patient_id,)]
    fresh = make_context(target)
    try:
        desk = actor_for(fresh, "demo")
        record = patients.get_record(fresh, desk, 5)
        patients.update_patient(fresh, desk, 5, {"email": "after.restore@example.org"}, record.version)
        assert audit_trail.verify(fresh).intact
    finally:
        fresh.db.dispose()
