"""The audit chain shows an edited, deleted or inserted row, and names the first one broken."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from coordinator_tui.services import audit
from coordinator_tui.store.models import AuditEvent
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


# One transaction reads the chain's head once and carries it from its own appends; a savepoint
# rolled back or released in between must not leave it carrying a head that is not the table's.

def _record(session, user, ctx, n):
    audit.record(session, user, "patient.view", ctx.now() + timedelta(seconds=n), patient_id=1)


def test_a_savepoint_rolled_back_between_events_leaves_a_whole_chain(ctx, desk_user):
    with ctx.db.write() as session:
        _record(session, desk_user, ctx, 0)
        with pytest.raises(RuntimeError), session.begin_nested():
            _record(session, desk_user, ctx, 1)
            raise RuntimeError("this message is refused")
        _record(session, desk_user, ctx, 2)
    assert _verify(ctx) is None
    with ctx.db.read() as session:
        kept = session.execute(select(AuditEvent.at)).scalars().all()
    assert len(kept) == 2


def test_a_savepoint_released_between_events_leaves_a_whole_chain(ctx, desk_user):
    with ctx.db.write() as session:
        _record(session, desk_user, ctx, 0)
        with session.begin_nested():
            _record(session, desk_user, ctx, 1)
        _record(session, desk_user, ctx, 2)
        with session.begin_nested():
            pass
        _record(session, desk_user, ctx, 3)
    assert _verify(ctx) is None


def test_each_transaction_reads_the_head_afresh(ctx, desk_user):
    with ctx.db.write() as session:
        _record(session, desk_user, ctx, 0)
    with ctx.db.write() as session:
        _record(session, desk_user, ctx, 1)
    with ctx.db.write() as session:
        _record(session, desk_user, ctx, 2)
        _record(session, desk_user, ctx, 3)
    assert _verify(ctx) is None
