"""Issue 22, point 2 on PostgreSQL: the key and anchor files a network's database is named by
(store/engine.py::key_base: host, port and database in the user's data folder) are the same
for the writer, `audit verify`, `audit rotate-key` and `audit anchor`. The rest of the chain's
tests run on both engines (tests/security/test_audit_chain.py)."""

from __future__ import annotations

import pytest

from coordinator_tui.services import audit
from coordinator_tui.services.staff import audit_keys, audit_trail
from coordinator_tui.services.staff.actors import actor_for
from coordinator_tui.store import audit_files
from coordinator_tui.store.engine import key_base
from tests.conftest import make_context
from tests.helpers.cli import run
from tests.helpers.clinic_files import shell

pytestmark = pytest.mark.postgresql_only("SQLite names its key and anchor after the file itself")


def test_without_overrides_the_writer_verify_rotation_and_anchor_share_one_key(
        seeded_path, clock, monkeypatch):
    # A clinic network as installed: no COORDINATOR_AUDIT_KEY / _ANCHOR naming the files.
    monkeypatch.delenv(audit_files.KEY_VARIABLE)
    monkeypatch.delenv(audit_files.ANCHOR_VARIABLE)
    ctx = make_context(seeded_path, clock)
    try:
        base = key_base(ctx.db.url)
        assert base is not None and ctx.db.path is None
        with ctx.db.write() as session:
            audit.record(session, actor_for(ctx, "demo"), "patient.view", ctx.now(), patient_id=1)
        new_key = audit_keys.rotate_key(ctx, actor_for(ctx, "admin"))
        with ctx.db.write() as session:  # the writer signs with the key rotation added
            audit.record(session, actor_for(ctx, "demo"), "patient.view", ctx.now(), patient_id=2)
            assert audit.key_ring(session).current.id == new_key
        anchored = audit_keys.anchor_now(ctx)
        assert anchored.path == audit_files.anchor_path(base) and anchored.events == 3
        report = audit_trail.verify(ctx)
        assert report.intact, (report.broken, report.problems)
        assert report.anchor_files == (audit_files.anchor_path(base),)
        done = run("audit", "verify", "--db", str(seeded_path))
        assert done.returncode == 0 and "audit trail intact: 3 events" in done.stdout, done.stderr
        # The database's owner cuts the last event: the anchor shows it.
        shell(seeded_path, "DELETE FROM audit_events WHERE id = (SELECT max(id) FROM audit_events)")
        cut = run("audit", "verify", "--db", str(seeded_path))
        assert cut.returncode == 1 and f"event {anchored.last_id} is missing" in cut.stderr
    finally:
        ctx.db.dispose()
