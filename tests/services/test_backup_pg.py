"""`coordinator backup` on PostgreSQL (issue 20 item 7): a pg_dump the desks keep working
through, owner-only, named only once whole and checked, audited; it restores with pg_restore
into an empty database holding the same clinic."""

from __future__ import annotations

import subprocess

import pytest
from sqlalchemy.engine import make_url

from coordinator_tui.errors import UserError
from coordinator_tui.services.staff import backups
from coordinator_tui.services.staff.actors import actor_for
from tests.helpers import engines
from tests.helpers.engines import raw_connect

pytestmark = pytest.mark.postgresql_only("the dump is PostgreSQL's own pg_dump")

COUNTED = ("patients", "appointments", "audit_events", "ledger_entries")


def _counts(target) -> dict[str, int]:
    conn = raw_connect(target)
    try:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in COUNTED}
    finally:
        conn.close()


def test_a_backup_is_a_private_dump_that_restores_the_clinic(ctx, seeded_path, tmp_path):
    from coordinator_tui.store.pg_dump import tool

    dest = tmp_path / "clinic.dump"
    report = backups.backup(ctx, actor_for(ctx, "super"), dest)
    assert report.path == dest and report.bytes == dest.stat().st_size > 0
    assert dest.stat().st_mode & 0o777 == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]
    held = _counts(seeded_path)
    conn = raw_connect(seeded_path)
    try:  # the backup is in the audit trail, without the password
        detail = conn.execute("SELECT detail FROM audit_events WHERE action = 'backup'").fetchone()[0]
    finally:
        conn.close()
    assert str(dest) in detail and "coordinator:" not in detail

    name = engines.new_database_name("restored")
    url = engines.create_database(name)
    try:
        parsed = make_url(url)
        restored = subprocess.run(
            [tool("pg_restore"), "--no-owner", "-h", parsed.host, "-p", str(parsed.port),
             "-U", parsed.username, "-d", name, str(dest)],
            env={"PGPASSWORD": parsed.password, "PATH": "/usr/bin:/bin"}, capture_output=True,
            text=True, timeout=300)
        assert restored.returncode == 0, restored.stderr
        after = _counts(url)
        # the backup's own audit event was written after the dump's snapshot
        assert after == {**held, "audit_events": held["audit_events"] - 1}
    finally:
        engines.drop_database(name)


def test_an_existing_file_is_not_replaced_without_force(ctx, tmp_path):
    dest = tmp_path / "clinic.dump"
    dest.write_text("keep me")
    with pytest.raises(UserError, match="already exists"):
        backups.backup(ctx, actor_for(ctx, "super"), dest)
    assert dest.read_text() == "keep me"
