"""Issue 22, point 2: the audit trail detects truncation and forgery. The chain is keyed (an
HMAC under a key outside the database), its head is anchored outside the database, and the
database refuses inserts that do not come through the audit writer."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from coordinator_tui.services import audit
from coordinator_tui.services.staff import audit_keys, audit_trail
from coordinator_tui.services.staff.actors import actor_for
from tests.conftest import make_context
from tests.helpers.cli import run
from tests.helpers.clinic_files import shell

GENESIS = "0" * 64


@pytest.fixture
def trail(ctx, desk_user):
    """Ten events in ten transactions (the first one anchors the head)."""
    for n in range(10):
        with ctx.db.write() as session:
            audit.record(session, desk_user, "patient.view", ctx.now() + timedelta(seconds=n),
                         patient_id=n + 1)
    return ctx


def _rows(path):
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT id, at, user_id, action, patient_id, entity, entity_id, "
                            "detail, prev_hash, hash FROM audit_events ORDER BY id").fetchall()
    finally:
        conn.close()


def _plain(prev, at, user_id, action, patient_id, entity, entity_id, detail):
    """The plain SHA-256 chain the harness recomputed after its edit."""
    from datetime import UTC, datetime

    at = datetime.fromisoformat(at).replace(tzinfo=UTC).isoformat()
    payload = json.dumps([prev, at, user_id, action, patient_id, entity, entity_id, detail],
                         separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def _verify(ctx, anchor=None):
    return audit_trail.verify(ctx, anchor)


def test_the_key_lives_outside_the_database_owner_only(trail):
    key = trail.db.path.with_name(trail.db.path.name + ".audit-key")
    anchor = trail.db.path.with_name(trail.db.path.name + ".audit-anchor")
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(anchor.stat().st_mode) == 0o600
    assert key.read_text().strip() not in trail.db.path.read_bytes().decode("latin-1")
    report = _verify(trail)
    assert report.intact and report.events == 10 and report.anchor_files == (anchor,)


def test_an_edit_rechained_with_plain_sha256_is_found(trail):
    rows = _rows(trail.db.path)
    statements = []
    prev = rows[3][8]
    for row in rows[3:]:
        patient = 99 if row[0] == rows[3][0] else row[4]
        digest = _plain(prev, row[1], row[2], row[3], patient, row[5], row[6], row[7])
        statements.append(f"UPDATE audit_events SET patient_id = {patient}, prev_hash = '{prev}', "
                          f"hash = '{digest}' WHERE id = {row[0]}")
        prev = digest
    shell(trail.db.path, *statements)
    report = _verify(trail)
    assert report.broken.event_id == rows[3][0] and "signature" in report.broken.problem


def test_a_correctly_chained_forgery_at_the_end_is_found(trail):
    last = _rows(trail.db.path)[-1]
    forged = _plain(last[9], "2026-11-23 16:00:00", None, "patient.view", 1, None, None, None)
    shell(trail.db.path, "INSERT INTO audit_events (at, action, patient_id, prev_hash, hash, "
                         f"key_id) VALUES ('2026-11-23 16:00:00', 'patient.view', 1, '{last[9]}', "
                         f"'{forged}', NULL)")
    report = _verify(trail)
    assert report.broken.event_id == last[0] + 1 and "not signed" in report.broken.problem
    # Naming a key that is not in the key file does not help either.
    shell(trail.db.path, f"UPDATE audit_events SET key_id = 'feedfacefeedface' WHERE id = {last[0] + 1}")
    assert "not in the audit key file" in _verify(trail).broken.problem


def test_deleting_the_last_rows_or_every_row_is_found_by_the_anchor(trail):
    ids = [r[0] for r in _rows(trail.db.path)]
    audit_keys.anchor_now(trail)  # the head (all ten) anchored
    shell(trail.db.path, f"DELETE FROM audit_events WHERE id > {ids[6]}")
    report = _verify(trail)
    assert report.broken is None and not report.intact
    assert any(f"event {ids[-1]} is missing" in f.problem for f in report.problems)
    shell(trail.db.path, "DELETE FROM audit_events")
    emptied = run("audit", "verify", "--db", str(trail.db.path))
    assert emptied.returncode == 1 and f"event {ids[-1]} is missing" in emptied.stderr
    assert "audit trail BROKEN" in emptied.stderr


def test_a_removed_anchor_file_is_a_finding_and_an_empty_trail_without_one_is_said(trail,
                                                                                      tmp_path):
    trail.db.path.with_name(trail.db.path.name + ".audit-anchor").unlink()
    shell(trail.db.path, "DELETE FROM audit_events")  # the trail and its anchor both gone
    done = run("audit", "verify", "--db", str(trail.db.path))
    assert done.returncode == 1 and "the anchor file is missing" in done.stderr
    # A clinic that has signed nothing yet has no anchor, and says what that means.
    fresh = tmp_path / "fresh.sqlite"
    assert run("db", "upgrade", "--db", str(fresh)).returncode == 0
    empty = run("audit", "verify", "--db", str(fresh))
    assert empty.returncode == 0
    assert "no anchor to compare with: a trail cut at its end would not show" in empty.stdout


def test_a_backup_is_an_anchor(trail, tmp_path, desk_user):
    from coordinator_tui.services.staff.backups import backup

    copy = backup(trail, actor_for(trail, "super"), tmp_path / "b.sqlite").path
    ids = [r[0] for r in _rows(trail.db.path)]
    anchor = trail.db.path.with_name(trail.db.path.name + ".audit-anchor")
    anchor.unlink()  # whoever cut the trail removed the anchor file too
    shell(trail.db.path, f"DELETE FROM audit_events WHERE id > {ids[4]}")
    done = run("audit", "verify", "--anchor", str(copy), "--db", str(trail.db.path))
    in_copy = _rows(copy)[-1][0]  # the copy holds the trail up to the backup
    assert done.returncode == 1 and f"event {in_copy} is missing" in done.stderr
    assert "backup b.sqlite" in done.stderr


def test_a_forged_anchor_line_is_found(trail):
    anchor = trail.db.path.with_name(trail.db.path.name + ".audit-anchor")
    parts = anchor.read_text().splitlines()[0].split()
    parts[1] = str(int(parts[1]) - 1)  # claims one event fewer
    with open(anchor, "a") as handle:
        handle.write(" ".join(parts) + "\n")
    report = _verify(trail)
    assert [f.problem for f in report.problems] == ["the anchor's signature does not match (forged)"]


def test_the_head_is_anchored_every_few_minutes_not_on_every_write(trail, desk_user):
    anchor = trail.db.path.with_name(trail.db.path.name + ".audit-anchor")
    assert len(anchor.read_text().splitlines()) == 1  # ten writes, one anchor
    old = anchor.stat().st_mtime - audit.ANCHOR_MINUTES * 60 - 1
    os.utime(anchor, (old, old))
    with trail.db.write() as session:
        audit.record(session, desk_user, "patient.view", trail.now(), patient_id=1)
    lines = anchor.read_text().splitlines()
    assert len(lines) == 2 and lines[1].split()[1] == "11"


def test_the_database_refuses_inserts_that_do_not_come_through_the_writer(trail):
    last = _rows(trail.db.path)[-1]
    conn = sqlite3.connect(trail.db.path)
    with pytest.raises(sqlite3.OperationalError, match="coordinator_audit_writer"):
        conn.execute("INSERT INTO audit_events (at, action, prev_hash, hash) VALUES "
                     f"('2026-11-23 16:00:00', 'x', '{last[9]}', 'y')")
    conn.close()
    # Through our own engine, but not the writer: refused by the trigger too.
    with pytest.raises(DatabaseError, match="only by the audit writer"), \
            trail.db.engine.begin() as connection:
        connection.execute(text("INSERT INTO audit_events (at, action, prev_hash, hash) VALUES "
                                f"('2026-11-23 16:00:00', 'x', '{last[9]}', 'y')"))
    assert len(_rows(trail.db.path)) == 10


def test_rotation_is_recorded_and_a_retired_key_cannot_sign_later_events(trail, desk_user):
    from coordinator_tui.store import audit_files

    old = audit_files.ring_for(trail.db.path, create=False).current
    new_id = audit_keys.rotate_key(trail, actor_for(trail, "admin"))
    with trail.db.write() as session:
        audit.record(session, desk_user, "patient.view", trail.now(), patient_id=2)
    rows = _rows(trail.db.path)
    assert rows[-2][3] == "audit.key_rotated" and new_id in rows[-2][7] and old.id in rows[-2][7]
    assert _verify(trail).intact
    # Someone holding only the old key re-signs the last event with it: refused.
    last = rows[-1]
    from datetime import UTC, datetime

    at = datetime.fromisoformat(last[1]).replace(tzinfo=UTC)
    digest = audit.keyed_digest(old, last[8], at, last[2], last[3], last[4], last[5], last[6],
                                last[7])
    shell(trail.db.path, f"UPDATE audit_events SET key_id = '{old.id}', hash = '{digest}' "
                         f"WHERE id = {last[0]}")
    assert "retired" in _verify(trail).broken.problem


def test_an_upgrade_seals_the_unkeyed_chain_and_a_later_rechain_shows(tmp_path):
    from coordinator_tui.store.engine import url_for_path
    from coordinator_tui.store.migrate import upgrade

    path = _legacy_clinic(tmp_path / "old.sqlite")
    upgrade(url_for_path(path))
    rows = _rows(path)
    assert rows[-1][3] == "audit.keyed" and '"sealed_events":3' in rows[-1][7]
    ctx = make_context(path)
    assert audit_trail.verify(ctx).intact
    # Rewrite and re-chain the old, unkeyed rows: the keyed seal no longer follows them.
    prev, statements = GENESIS, []
    for row in rows[:3]:
        digest = _plain(prev, row[1], row[2], "login", row[4], row[5], row[6], row[7])
        statements.append(f"UPDATE audit_events SET action = 'login', prev_hash = '{prev}', "
                          f"hash = '{digest}' WHERE id = {row[0]}")
        prev = digest
    shell(path, *statements)
    broken = audit_trail.verify(ctx).broken
    assert broken.event_id == rows[-1][0] and "does not follow" in broken.problem
    ctx.db.dispose()


def test_a_key_others_can_read_is_refused_and_a_missing_key_is_said(trail, desk_user):
    from coordinator_tui.errors import StorageError

    key = trail.db.path.with_name(trail.db.path.name + ".audit-key")
    key.chmod(0o644)
    with pytest.raises(StorageError, match="readable or writable by others"), \
            trail.db.write() as session:
        audit.record(session, desk_user, "patient.view", trail.now(), patient_id=1)
    key.chmod(0o600)
    key.rename(key.with_name("elsewhere"))
    done = run("audit", "verify", "--db", str(trail.db.path))
    assert done.returncode == 1 and "no audit key file" in done.stderr


def test_beside_a_group_shared_database_the_key_is_shared_with_that_group_only(tmp_path):
    from coordinator_tui.store import audit_files

    database = tmp_path / "shared.sqlite"
    database.write_bytes(b"")
    database.chmod(0o660)
    ring = audit_files.ring_for(database, create=True)
    assert stat.S_IMODE(ring.path.stat().st_mode) == 0o660
    assert ring.path.stat().st_gid == database.stat().st_gid


def _legacy_clinic(path, events=3):
    """A database as written before the audit key: schema 0003, a plain SHA-256 chain."""
    from coordinator_tui.store.engine import url_for_path
    from coordinator_tui.store.migrate import downgrade, upgrade

    url = url_for_path(path)
    upgrade(url)
    downgrade(url, "0003_checkin_checks")
    conn = sqlite3.connect(path, isolation_level=None)
    prev = GENESIS
    for n in range(events):
        at = f"2026-11-2{n} 10:00:00"
        digest = _plain(prev, at, None, "login.failed", None, None, None, None)
        conn.execute("INSERT INTO audit_events (at, action, prev_hash, hash) VALUES (?, ?, ?, ?)",
                     (at, "login.failed", prev, digest))
        prev = digest
    conn.close()
    return path


def test_restoring_an_older_backup_keeps_the_key_its_upgrade_sealed_with(trail, tmp_path):
    from coordinator_tui.services.staff.backups import restore

    old = _legacy_clinic(tmp_path / "old-backup.sqlite")
    report = restore(trail, actor_for(trail, "admin"), old)
    assert report.upgraded
    fresh = make_context(report.path)
    verified = audit_trail.verify(fresh)
    fresh.db.dispose()
    assert verified.intact and verified.broken is None
    assert [p.name for p in report.path.parent.glob("*.audit-key")] == [report.path.name + ".audit-key"]
