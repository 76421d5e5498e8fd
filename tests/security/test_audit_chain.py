"""Issue 22, point 2: the audit trail detects truncation and forgery. The chain is keyed (an
HMAC under a key outside the database), its head is anchored outside the database, and the
database refuses inserts that do not come through the audit writer."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from coordinator_tui.services import audit
from coordinator_tui.services.staff import audit_keys, audit_trail
from coordinator_tui.services.staff.actors import actor_for
from coordinator_tui.store import audit_files
from tests.conftest import make_context
from tests.helpers.cli import run
from tests.helpers.clinic_files import shell
from tests.helpers.engines import on_postgresql, raw_connect

GENESIS = "0" * 64


@pytest.fixture(autouse=True)
def _as_installed(request, monkeypatch):
    """On PostgreSQL the suite names each test database's key and anchor files through
    COORDINATOR_AUDIT_KEY/_ANCHOR (tests/conftest.py); here they are where an installed network
    finds them (store/engine.py::key_base), so what `audit verify` infers from the key's place
    is what a clinic gets."""
    if not on_postgresql() or "seeded_path" not in request.fixturenames:
        return
    from coordinator_tui.store.engine import key_base
    from tests.helpers.engines import url_for

    base = key_base(url_for(request.getfixturevalue("seeded_path")))
    given = audit_files.key_path(base)
    monkeypatch.delenv(audit_files.KEY_VARIABLE)
    monkeypatch.delenv(audit_files.ANCHOR_VARIABLE)
    if given.exists():  # the template's events were signed with it
        installed = audit_files.key_path(base)
        installed.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        installed.write_bytes(given.read_bytes())
        installed.chmod(0o600)


@pytest.fixture
def trail(ctx, desk_user):
    """Ten events in ten transactions (the first one anchors the head)."""
    for n in range(10):
        with ctx.db.write() as session:
            audit.record(session, desk_user, "patient.view", ctx.now() + timedelta(seconds=n),
                         patient_id=n + 1)
    return ctx


@pytest.fixture
def db(trail, seeded_path):
    """The trail's clinic as the tests name it: an SQLite file, or (--engine postgresql) the
    name of its PostgreSQL database (tests/helpers/engines.py)."""
    return seeded_path


def _key(ctx):
    return audit_files.key_path(ctx.db.key_base)


def _anchor(ctx):
    return audit_files.anchor_path(ctx.db.key_base)


def _rows(path):
    """The rows as the sqlite3 shell shows them (`at` as stored: naive UTC text)."""
    from datetime import UTC

    conn = raw_connect(path)
    try:
        rows = conn.execute("SELECT id, at, user_id, action, patient_id, entity, entity_id, "
                            "detail, prev_hash, hash FROM audit_events ORDER BY id").fetchall()
    finally:
        conn.close()
    return [(r[0], r[1] if isinstance(r[1], str)
             else r[1].astimezone(UTC).replace(tzinfo=None).isoformat(sep=" "), *r[2:])
            for r in rows]


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
    key, anchor = _key(trail), _anchor(trail)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(anchor.stat().st_mode) == 0o600
    if trail.db.path is not None:  # SQLite: not in the file's bytes
        assert key.read_text().strip() not in trail.db.path.read_bytes().decode("latin-1")
    report = _verify(trail)
    assert report.intact and report.events == 10 and report.anchor_files == (anchor,)


def test_an_edit_rechained_with_plain_sha256_is_found(trail, db):
    rows = _rows(db)
    statements = []
    prev = rows[3][8]
    for row in rows[3:]:
        patient = 99 if row[0] == rows[3][0] else row[4]
        digest = _plain(prev, row[1], row[2], row[3], patient, row[5], row[6], row[7])
        statements.append(f"UPDATE audit_events SET patient_id = {patient}, prev_hash = '{prev}', "
                          f"hash = '{digest}' WHERE id = {row[0]}")
        prev = digest
    shell(db, *statements)
    report = _verify(trail)
    assert report.broken.event_id == rows[3][0] and "signature" in report.broken.problem


def test_a_correctly_chained_forgery_at_the_end_is_found(trail, db):
    last = _rows(db)[-1]
    forged = _plain(last[9], "2026-11-23 16:00:00", None, "patient.view", 1, None, None, None)
    shell(db, "INSERT INTO audit_events (at, action, patient_id, prev_hash, hash, "
                         f"key_id) VALUES ('2026-11-23 16:00:00', 'patient.view', 1, '{last[9]}', "
                         f"'{forged}', NULL)")
    report = _verify(trail)
    assert report.broken.event_id == last[0] + 1 and "not signed" in report.broken.problem
    # Naming a key that is not in the key file does not help either.
    shell(db, f"UPDATE audit_events SET key_id = 'feedfacefeedface' WHERE id = {last[0] + 1}")
    assert "not in the audit key file" in _verify(trail).broken.problem


def test_deleting_the_last_rows_or_every_row_is_found_by_the_anchor(trail, db):
    ids = [r[0] for r in _rows(db)]
    audit_keys.anchor_now(trail)  # the head (all ten) anchored
    shell(db, f"DELETE FROM audit_events WHERE id > {ids[6]}")
    report = _verify(trail)
    assert report.broken is None and not report.intact
    assert any(f"event {ids[-1]} is missing" in f.problem for f in report.problems)
    shell(db, "DELETE FROM audit_events")
    emptied = run("audit", "verify", "--db", str(db))
    assert emptied.returncode == 1 and f"event {ids[-1]} is missing" in emptied.stderr
    assert "audit trail BROKEN" in emptied.stderr


def test_a_removed_anchor_file_is_a_finding(trail, db):
    _anchor(trail).unlink()
    shell(db, "DELETE FROM audit_events")  # the trail and its anchor both gone
    done = run("audit", "verify", "--db", str(db))
    assert done.returncode == 1 and "the anchor file is missing" in done.stderr


def test_a_clinic_that_signed_nothing_yet_says_a_cut_would_not_show(db_path):
    empty = run("audit", "verify", "--db", str(db_path))
    assert empty.returncode == 0
    assert "no anchor to compare with: a trail cut at its end would not show" in empty.stdout


@pytest.mark.sqlite_only("backups copy the SQLite file (PostgreSQL: pg_dump)")
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
    anchor = _anchor(trail)
    parts = anchor.read_text().splitlines()[0].split()
    parts[1] = str(int(parts[1]) - 1)  # claims one event fewer
    with open(anchor, "a") as handle:
        handle.write(" ".join(parts) + "\n")
    report = _verify(trail)
    assert [f.problem for f in report.problems] == ["the anchor's signature does not match (forged)"]


def test_the_head_is_anchored_every_few_minutes_not_on_every_write(trail, desk_user):
    anchor = _anchor(trail)
    assert len(anchor.read_text().splitlines()) == 1  # ten writes, one anchor
    old = anchor.stat().st_mtime - audit.ANCHOR_MINUTES * 60 - 1
    os.utime(anchor, (old, old))
    with trail.db.write() as session:
        audit.record(session, desk_user, "patient.view", trail.now(), patient_id=1)
    lines = anchor.read_text().splitlines()
    assert len(lines) == 2 and lines[1].split()[1] == "11"


def test_the_database_refuses_inserts_that_do_not_come_through_the_writer(trail, db):
    last = _rows(db)[-1]
    conn = raw_connect(db)  # another client: the sqlite3 module, or psycopg
    refused = ("only by the audit writer" if on_postgresql()
               else "no such function: coordinator_audit_writer")
    with pytest.raises(Exception, match=refused):
        conn.execute("INSERT INTO audit_events (at, action, prev_hash, hash) VALUES "
                     f"('2026-11-23 16:00:00', 'x', '{last[9]}', 'y')")
    conn.close()
    # Through our own engine, but not the writer: refused by the trigger too.
    with pytest.raises(DatabaseError, match="only by the audit writer"), \
            trail.db.engine.begin() as connection:
        connection.execute(text("INSERT INTO audit_events (at, action, prev_hash, hash) VALUES "
                                f"('2026-11-23 16:00:00', 'x', '{last[9]}', 'y')"))
    assert len(_rows(db)) == 10


def test_rotation_is_recorded_and_a_retired_key_cannot_sign_later_events(trail, db, desk_user):
    old = audit_files.ring_for(trail.db.key_base, create=False).current
    new_id = audit_keys.rotate_key(trail, actor_for(trail, "admin"))
    with trail.db.write() as session:
        audit.record(session, desk_user, "patient.view", trail.now(), patient_id=2)
    rows = _rows(db)
    assert rows[-2][3] == "audit.key_rotated" and new_id in rows[-2][7] and old.id in rows[-2][7]
    assert _verify(trail).intact
    # Someone holding only the old key re-signs the last event with it: refused.
    last = rows[-1]
    from datetime import UTC, datetime

    at = datetime.fromisoformat(last[1]).replace(tzinfo=UTC)
    digest = audit.keyed_digest(old, last[8], at, last[2], last[3], last[4], last[5], last[6],
                                last[7])
    shell(db, f"UPDATE audit_events SET key_id = '{old.id}', hash = '{digest}' "
                         f"WHERE id = {last[0]}")
    assert "retired" in _verify(trail).broken.problem


def test_an_upgrade_seals_the_unkeyed_chain_and_a_later_rechain_shows(db_path):
    from coordinator_tui.store.migrate import upgrade
    from tests.helpers.engines import url_for

    path = _legacy_clinic(db_path)
    upgrade(url_for(path))
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


def test_a_key_others_can_read_is_refused_and_a_missing_key_is_said(trail, db, desk_user):
    from coordinator_tui.errors import StorageError

    key = _key(trail)
    key.chmod(0o644)
    with pytest.raises(StorageError, match="readable or writable by others"), \
            trail.db.write() as session:
        audit.record(session, desk_user, "patient.view", trail.now(), patient_id=1)
    key.chmod(0o600)
    key.rename(key.with_name("elsewhere"))
    done = run("audit", "verify", "--db", str(db))
    assert done.returncode == 1 and "no audit key file" in done.stderr


def test_beside_a_group_shared_database_the_key_is_shared_with_that_group_only(tmp_path):
    database = tmp_path / "shared.sqlite"
    database.write_bytes(b"")
    database.chmod(0o660)
    ring = audit_files.ring_for(database, create=True)
    assert stat.S_IMODE(ring.path.stat().st_mode) == 0o660
    assert ring.path.stat().st_gid == database.stat().st_gid


def _legacy_clinic(path, events=3):
    """A database as written before the audit key: schema 0003, a plain SHA-256 chain (an
    SQLite file, or the PostgreSQL database a test knows by `path`)."""
    from coordinator_tui.store.migrate import downgrade, upgrade
    from tests.helpers.engines import url_for

    url = url_for(path)
    upgrade(url)
    downgrade(url, "0003_checkin_checks")
    conn = raw_connect(path)
    prev = GENESIS
    for n in range(events):
        at = f"2026-11-2{n} 10:00:00"
        digest = _plain(prev, at, None, "login.failed", None, None, None, None)
        conn.execute("INSERT INTO audit_events (at, action, prev_hash, hash) VALUES (?, ?, ?, ?)",
                     (at + ("+00" if on_postgresql() else ""), "login.failed", prev, digest))
        prev = digest
    conn.commit()
    conn.close()
    return path


@pytest.mark.sqlite_only("restore replaces the SQLite file (PostgreSQL: pg_restore)")
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
