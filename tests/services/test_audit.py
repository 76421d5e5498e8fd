"""The audit chain shows an edited, deleted or inserted row, and names the first one broken."""

from __future__ import annotations

from datetime import timedelta

import pytest

from coordinator_tui.services import audit
from tests.helpers.clinic_files import shell


@pytest.fixture
def chained(ctx, desk_user):
    with ctx.db.write() as session:
        for n in range(5):
            audit.record(session, desk_user, "patient.view", ctx.now() + timedelta(seconds=n),
                         patient_id=n + 1, detail={"screen": "record"})
    return ctx


def _tamper(ctx, *statements):
    """What someone with the sqlite3 shell could do: drop the guard triggers, then edit."""
    shell(ctx.db.path or ctx.db.url, *statements)


def _verify(ctx):
    with ctx.db.read() as session:
        return audit.verify_chain(session)


def test_an_untouched_chain_verifies(chained):
    assert _verify(chained) is None


def test_an_edited_row_is_named(chained):
    _tamper(chained, "UPDATE audit_events SET patient_id = 99 WHERE id = 3")
    broken = _verify(chained)
    assert broken.event_id == 3 and "changed" in broken.problem


def test_a_deleted_row_is_noticed_at_the_next_one(chained):
    _tamper(chained, "DELETE FROM audit_events WHERE id = 2")
    broken = _verify(chained)
    assert broken.event_id == 3 and "removed or inserted" in broken.problem


def test_an_inserted_row_is_noticed(chained):
    _tamper(chained, "INSERT INTO audit_events (id, at, action, prev_hash, hash) "
                     "VALUES (100, '2026-11-23 15:00:00.000000', 'patient.view', 'forged', 'forged-hash')")
    broken = _verify(chained)
    assert broken.event_id == 100
