"""Audited views read without the write lock (issue 23, point 2): the checklist and the record
read in a read transaction, which never waits for a writer, and their one audit event is a short
write transaction of its own that holds the lock for the audit row alone. The view is returned
only after that event has committed, so a view a desk was shown is always in the trail."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from sqlalchemy import event, func, select

from coordinator_tui.domain.vocab import AppointmentStatus as S
from coordinator_tui.services import checkin, patients
from coordinator_tui.services.accounts import aging, weekly, worklist
from coordinator_tui.services.desk_views import day_appointments
from coordinator_tui.services.staff.actors import actor_for
from coordinator_tui.store.engine import WRITE_OPTION
from coordinator_tui.store.models import AuditEvent
from tests.conftest import CLINIC_DAY


def _waiting_id(ctx, actor) -> int:
    return [r for r in day_appointments(ctx, actor, CLINIC_DAY)
            if r.status in (S.SCHEDULED, S.CONFIRMED)][-1].id


VIEWS = {
    "checklist": (lambda c, a: checkin.checklist(c, a, _waiting_id(c, a)), "checkin.view"),
    "record": (lambda c, a: patients.get_record(c, a, 5), "patient.view"),
    # A/R aging reads every patient's ledger (seconds at a million patients): no lock meanwhile.
    "aging": (lambda c, a: aging.aging(c, actor_for(c, "super"), CLINIC_DAY), "ar.aging"),
    "A/R work list": (lambda c, a: worklist.work_list(c, actor_for(c, "super")), "ar.worklist"),
    "weekly A/R": (lambda c, a: weekly.weekly_report(c, actor_for(c, "super"), CLINIC_DAY), "ar.weekly"),
}
READS = {"checklist": "FROM patients", "record": "FROM patients", "aging": "FROM ledger_entries",
         "A/R work list": "FROM ledger_entries", "weekly A/R": "FROM ledger_entries"}


def _audit_count(ctx, action: str) -> int:
    with ctx.db.read() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action == action))


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_a_views_write_transaction_touches_only_the_audit_trail(name, ctx, desk_user):
    view, _action = VIEWS[name]
    statements: list[tuple[bool, str]] = []

    def seen(conn, _cursor, statement, _params, _context, _many):
        statements.append((bool(conn.get_execution_options().get(WRITE_OPTION)), statement))

    event.listen(ctx.db.engine, "before_cursor_execute", seen)
    try:
        view(ctx, desk_user)
    finally:
        event.remove(ctx.db.engine, "before_cursor_execute", seen)
    written = [sql for is_write, sql in statements if is_write and sql != "BEGIN IMMEDIATE"]
    read = [sql for is_write, sql in statements if not is_write]
    assert written and all("audit_events" in sql for sql in written), written
    assert any(READS[name] in sql for sql in read)  # the view's reads were done outside it


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_a_view_reads_while_another_desk_writes_and_is_shown_only_once_audited(name, ctx, desk_user,
                                                                               seeded_path):
    view, action = VIEWS[name]
    _waiting_id(ctx, desk_user)  # set-up reads done before the other desk takes the lock
    before = _audit_count(ctx, action)
    read_done = threading.Event()
    shown = threading.Event()
    answers: list = []

    def reads_finished(conn, *_args):
        if not conn.get_execution_options().get(WRITE_OPTION):  # the view's read transaction ends
            read_done.set()

    other = sqlite3.connect(seeded_path, timeout=0, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another desk in the middle of a write
    event.listen(ctx.db.engine, "commit", reads_finished)
    try:
        def look() -> None:
            answers.append(view(ctx, desk_user))
            shown.set()

        viewer = threading.Thread(target=look)
        viewer.start()
        # The reads finish although the write lock is taken; the view then waits for its event.
        assert read_done.wait(10)
        assert not shown.wait(0.3)
        assert _audit_count(ctx, action) == before
    finally:
        other.execute("ROLLBACK")
        other.close()
        viewer.join(15)
        event.remove(ctx.db.engine, "commit", reads_finished)
    assert shown.is_set() and answers
    assert _audit_count(ctx, action) == before + 1
