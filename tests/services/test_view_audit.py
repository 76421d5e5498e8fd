"""Audited views wait for no writer (issue 23, point 2). A view (the check-in checklist, a
patient's record) reads in a read transaction, which never takes SQLite's write lock. On SQLite
its audit event goes to the view journal beside the file, committed before the view is shown,
and joins the chain in the next write (or half a second later at an idle desk), exactly once
whatever moment a desk dies at. On PostgreSQL the event is a short write of its own. Reports
that read the whole ledger (A/R) record their one event in a write holding only the audit row."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from coordinator_tui.domain.vocab import AppointmentStatus as S
from coordinator_tui.services import checkin, patients, view_audit
from coordinator_tui.services.accounts import aging, weekly, worklist
from coordinator_tui.services.desk_views import day_appointments
from coordinator_tui.services.staff.actors import actor_for
from coordinator_tui.services.staff.audit_trail import verify
from coordinator_tui.store import view_journal
from coordinator_tui.store.engine import WRITE_OPTION
from coordinator_tui.store.models import AuditEvent
from tests.conftest import CLINIC_DAY

REPO = Path(__file__).resolve().parents[2]
SQLITE_JOURNAL = "the view journal is SQLite's: PostgreSQL has no one write lock per clinic"


def _waiting_id(ctx, actor) -> int:
    return [r for r in day_appointments(ctx, actor, CLINIC_DAY)
            if r.status in (S.SCHEDULED, S.CONFIRMED)][-1].id


VIEWS = {
    "checklist": (lambda c, a: checkin.checklist(c, a, _waiting_id(c, a)), "checkin.view"),
    "record": (lambda c, a: patients.get_record(c, a, 5), "patient.view"),
}
# A/R aging reads every patient's ledger (seconds at a million patients): no lock meanwhile.
REPORTS = {
    "aging": (lambda c, a: aging.aging(c, actor_for(c, "super"), CLINIC_DAY), "ar.aging"),
    "A/R work list": (lambda c, a: worklist.work_list(c, actor_for(c, "super")), "ar.worklist"),
    "weekly A/R": (lambda c, a: weekly.weekly_report(c, actor_for(c, "super"), CLINIC_DAY), "ar.weekly"),
}
READS = {"checklist": "FROM patients", "record": "FROM patients", "aging": "FROM ledger_entries",
         "A/R work list": "FROM ledger_entries", "weekly A/R": "FROM ledger_entries"}


@pytest.fixture(autouse=True)
def no_idle_settling(monkeypatch):
    """The idle desk's settling thread waits a minute here, so each test decides when events
    join the chain (one test below lets it run)."""
    monkeypatch.setattr(view_audit, "SETTLE_SECONDS", 60.0)


def _chain(ctx, action: str) -> list[AuditEvent]:
    with ctx.db.read() as session:
        return session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                               .order_by(AuditEvent.id)).all()


def _journal(db_path: Path) -> list[tuple]:
    path = view_journal.journal_path(db_path)
    if not path.exists():
        return []
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT seq, action, user_id, patient_id FROM events ORDER BY seq").fetchall()


def _statements(ctx, call) -> list[tuple[bool, str]]:
    statements: list[tuple[bool, str]] = []

    def seen(conn, _cursor, statement, _params, _context, _many):
        statements.append((bool(conn.get_execution_options().get(WRITE_OPTION)), statement))

    event.listen(ctx.db.engine, "before_cursor_execute", seen)
    try:
        call()
    finally:
        event.remove(ctx.db.engine, "before_cursor_execute", seen)
    return statements


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_a_view_takes_no_write_lock_on_sqlite_and_only_the_audit_row_on_postgresql(name, ctx, desk_user):
    view, _action = VIEWS[name]
    statements = _statements(ctx, lambda: view(ctx, desk_user))
    written = [sql for is_write, sql in statements if is_write]
    assert any(READS[name] in sql for is_write, sql in statements if not is_write)
    if ctx.db.path is not None:
        assert written == []
    else:
        assert written and all("audit_events" in sql or "pg_advisory" in sql for sql in written), written


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_a_reports_write_transaction_touches_only_the_audit_trail(name, ctx, desk_user):
    report, _action = REPORTS[name]
    statements = _statements(ctx, lambda: report(ctx, desk_user))
    written = [sql for is_write, sql in statements if is_write and sql != "BEGIN IMMEDIATE"]
    assert written and all("audit_events" in sql or "pg_advisory" in sql for sql in written), written
    assert any(READS[name] in sql for is_write, sql in statements if not is_write)


@pytest.mark.sqlite_only(SQLITE_JOURNAL)
@pytest.mark.parametrize("name", sorted(VIEWS))
def test_a_view_is_shown_while_another_desk_holds_the_write_lock(name, ctx, desk_user, seeded_path):
    view, action = VIEWS[name]
    _waiting_id(ctx, desk_user)
    before = len(_chain(ctx, action))
    answers: list = []
    other = sqlite3.connect(seeded_path, timeout=0, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another desk in the middle of a long write
    try:
        viewer = threading.Thread(target=lambda: answers.append(view(ctx, desk_user)))
        viewer.start()
        viewer.join(10)
        assert answers, "the view waited for the other desk's write"
        # Shown: its event is on disk in the journal, not yet in the chain.
        assert [row[1:3] for row in _journal(seeded_path)] == [(action, desk_user.id)]
        assert len(_chain(ctx, action)) == before
    finally:
        other.execute("ROLLBACK")
        other.close()
    # The desk's next write brings it in, before its own event, and empties the journal.
    patients.update_patient(ctx, desk_user, 5, {"email": "after.view@example.org"},
                            patients.get_record(ctx, desk_user, 5).version)
    viewed = _chain(ctx, action)
    assert len(viewed) == before + 1 + (name == "record")  # the record was viewed again to edit
    assert viewed[before].id < _chain(ctx, "patient.update")[-1].id
    assert _journal(seeded_path) == []
    assert verify(ctx).intact


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_a_report_reads_while_another_desk_writes_and_is_shown_only_once_audited(name, ctx, desk_user,
                                                                                 seeded_path):
    if ctx.db.path is None:
        pytest.skip("the other desk's write lock here is SQLite's")
    report, action = REPORTS[name]
    before = len(_chain(ctx, action))
    read_done, shown, answers = threading.Event(), threading.Event(), []

    def reads_finished(conn, *_args):
        if not conn.get_execution_options().get(WRITE_OPTION):
            read_done.set()

    other = sqlite3.connect(seeded_path, timeout=0, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    event.listen(ctx.db.engine, "commit", reads_finished)
    try:
        viewer = threading.Thread(target=lambda: (answers.append(report(ctx, desk_user)), shown.set()))
        viewer.start()
        assert read_done.wait(10)  # the reads finish although the write lock is taken
        assert not shown.wait(0.3)  # the report then waits for its event
        assert len(_chain(ctx, action)) == before
    finally:
        other.execute("ROLLBACK")
        other.close()
        viewer.join(15)
        event.remove(ctx.db.engine, "commit", reads_finished)
    assert shown.is_set() and answers
    assert len(_chain(ctx, action)) == before + 1


@pytest.mark.sqlite_only(SQLITE_JOURNAL)
def test_an_event_is_never_brought_in_twice_when_the_desk_dies_before_emptying_the_journal(
        ctx, desk_user, seeded_path, monkeypatch):
    before = len(_chain(ctx, "patient.view"))
    patients.get_record(ctx, desk_user, 5)
    # The desk dies between the chain's commit and the journal's delete: the delete never runs.
    monkeypatch.setattr(view_journal.ViewJournal, "forget_through", lambda self, seq: None)
    assert view_audit.settle(ctx.db) == 1
    assert len(_journal(seeded_path)) == 1
    monkeypatch.undo()
    monkeypatch.setattr(view_audit, "SETTLE_SECONDS", 60.0)
    # The mark in the clinic file is past it: the next write appends nothing, then deletes it.
    assert view_audit.settle(ctx.db) == 0
    assert _journal(seeded_path) == []
    assert len(_chain(ctx, "patient.view")) == before + 1
    assert verify(ctx).intact


@pytest.mark.sqlite_only(SQLITE_JOURNAL)
def test_events_deleted_from_the_journal_by_hand_are_reported_in_the_chain(ctx, desk_user, seeded_path):
    for patient_id in (5, 6, 7):
        patients.get_record(ctx, desk_user, patient_id)
    seqs = [row[0] for row in _journal(seeded_path)]
    with sqlite3.connect(view_journal.journal_path(seeded_path)) as conn:
        conn.execute("DELETE FROM events WHERE seq = ?", (seqs[1],))
    assert view_audit.settle(ctx.db) == 2
    missing = _chain(ctx, "audit.views_missing")
    assert len(missing) == 1 and f'"first": {seqs[1]}' in missing[0].detail
    assert [e.patient_id for e in _chain(ctx, "patient.view")][-2:] == [5, 7]
    assert verify(ctx).intact


@pytest.mark.sqlite_only(SQLITE_JOURNAL)
def test_the_journal_has_the_database_files_permissions(ctx, desk_user, seeded_path):
    seeded_path.chmod(0o660)  # a desk group's file (docs/ssh.md), under a stricter umask
    old_umask = os.umask(0o027)
    try:
        patients.get_record(ctx, desk_user, 5)
    finally:
        os.umask(old_umask)
    assert view_journal.journal_path(seeded_path).stat().st_mode & 0o777 == 0o660


@pytest.mark.sqlite_only(SQLITE_JOURNAL)
def test_an_idle_desks_views_reach_the_chain_by_themselves(ctx, desk_user, seeded_path, monkeypatch):
    monkeypatch.setattr(view_audit, "SETTLE_SECONDS", 0.2)
    before = len(_chain(ctx, "patient.view"))
    patients.get_record(ctx, desk_user, 5)
    deadline = time.monotonic() + 20
    while len(_chain(ctx, "patient.view")) == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(_chain(ctx, "patient.view")) == before + 1
    while _journal(seeded_path) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _journal(seeded_path) == []


DESK_THAT_DIES = """
import os, signal, sys
from datetime import date
from pathlib import Path
from tests.helpers.desk_driver import make_ctx
from coordinator_tui.services import patients
from coordinator_tui.services.staff.actors import actor_for
ctx = make_ctx(Path(sys.argv[1]), date.fromisoformat(sys.argv[2]))
patients.get_record(ctx, actor_for(ctx, "demo"), 5)
print("shown", flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # before the idle desk's settling thread (0.5 s)
"""


@pytest.mark.sqlite_only(SQLITE_JOURNAL)
def test_a_desk_killed_right_after_showing_a_record_loses_no_view_event(ctx, desk_user, seeded_path):
    before = len(_chain(ctx, "patient.view"))
    ctx.db.dispose()
    desk = subprocess.run([sys.executable, "-c", DESK_THAT_DIES, str(seeded_path), CLINIC_DAY.isoformat()],
                          cwd=REPO, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert desk.returncode == -signal.SIGKILL and desk.stdout.strip() == "shown", desk.stderr[-500:]
    assert [row[1] for row in _journal(seeded_path)] == ["patient.view"]
    # Another desk's next write brings it in.
    checkin.checklist(ctx, desk_user, _waiting_id(ctx, desk_user))  # a view: journaled too
    assert view_audit.settle(ctx.db) == 2
    viewed = _chain(ctx, "patient.view")
    assert len(viewed) == before + 1 and viewed[-1].patient_id == 5
    assert _journal(seeded_path) == []
    assert verify(ctx).intact


def test_the_audit_trails_readers_see_views_still_in_the_journal(ctx, desk_user, seeded_path):
    from coordinator_tui.services.staff.audit_views import patient_access

    patients.get_record(ctx, desk_user, 5)
    lines = patient_access(ctx, actor_for(ctx, "super"), 5)
    assert lines[0].what == "viewed the record"
    with ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action == "patient.view", AuditEvent.patient_id == 5)) >= 1


@pytest.mark.sqlite_only(SQLITE_JOURNAL)
def test_a_journal_that_cannot_be_opened_refuses_the_view_and_blocks_nothing_else(ctx, desk_user,
                                                                                 seeded_path):
    from coordinator_tui.errors import StorageError

    view_journal.journal_path(seeded_path).mkdir()  # in the journal's place: not a database
    with pytest.raises(StorageError, match="could not be recorded"):
        patients.get_record(ctx, desk_user, 5)  # not shown, since its event cannot be kept
    # Writes, `audit verify` and the trail's readers go on without it.
    with ctx.db.read() as session:
        version = patients.load_patient(session, 5).version_id
    patients.update_patient(ctx, desk_user, 5, {"email": "no.journal@example.org"}, version)
    assert verify(ctx).intact
    assert len(_chain(ctx, "patient.update")) >= 1


@pytest.mark.sqlite_only(SQLITE_JOURNAL)
def test_a_journal_event_whose_patient_is_not_in_the_file_is_kept_and_blocks_no_write(
        ctx, desk_user, seeded_path):
    patients.get_record(ctx, desk_user, 5)
    with sqlite3.connect(view_journal.journal_path(seeded_path)) as conn:  # as after a restore
        conn.execute("UPDATE events SET patient_id = 987654")
    with ctx.db.read() as session:
        version = patients.load_patient(session, 6).version_id
    patients.update_patient(ctx, desk_user, 6, {"email": "goes.on@example.org"}, version)
    kept = _chain(ctx, "audit.view_unplaceable")
    assert len(kept) == 1 and '"patient_id": 987654' in kept[0].detail
    assert _journal(seeded_path) == []
    assert verify(ctx).intact


@pytest.mark.sqlite_only(SQLITE_JOURNAL)
def test_a_journal_deleted_under_a_running_desk_loses_none_of_its_views(ctx, desk_user, seeded_path):
    before = len(_chain(ctx, "patient.view"))
    patients.get_record(ctx, desk_user, 5)
    for suffix in view_journal.JOURNAL_FILES:
        Path(str(seeded_path) + suffix).unlink(missing_ok=True)
    patients.get_record(ctx, desk_user, 6)  # a new file, this desk's waiting view carried into it
    assert [row[3] for row in _journal(seeded_path)] == [5, 6]
    assert view_audit.settle(ctx.db) == 2
    assert [e.patient_id for e in _chain(ctx, "patient.view")][before:] == [5, 6]


@pytest.mark.sqlite_only(SQLITE_JOURNAL)
def test_a_savepoint_inside_a_write_does_not_empty_the_journal_before_the_commit(
        ctx, desk_user, seeded_path, tmp_path):
    """An HL7 file tried with --dry-run appends events inside savepoints and rolls back: the
    views it carried must still be waiting afterwards (a savepoint's release once deleted them)."""
    from coordinator_tui.services.exchange import hl7_receive
    from tests.helpers.hl7 import adt, siu, slot

    feed = tmp_path / "feed.hl7"
    feed.write_text(adt("A04", "F1", "E1", "Quispe", "Rosa")
                    + siu("S12", "F2", "A1", "E1", slot(9), family="Quispe", given="Rosa"))
    before = len(_chain(ctx, "patient.view"))
    patients.get_record(ctx, desk_user, 5)
    hl7_receive.import_file(ctx, actor_for(ctx, "super"), feed, dry_run=True)
    assert [row[3] for row in _journal(seeded_path)] == [5]
    assert len(_chain(ctx, "patient.view")) == before
    hl7_receive.import_file(ctx, actor_for(ctx, "super"), feed)
    assert len(_chain(ctx, "patient.view")) == before + 1
    assert _journal(seeded_path) == []
    assert verify(ctx).intact


def _open_files(suffix: str) -> list[str]:
    names = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            names.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            continue
    return [name for name in names if suffix in name]


@pytest.mark.sqlite_only(SQLITE_JOURNAL)
@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to list open files")
def test_letting_a_database_go_closes_its_journal_and_a_later_view_reopens_it(
        ctx, desk_user, seeded_path):
    """A process that opens clinic after clinic (a test run, `db copy`, a long desk session
    switching files) must not keep each one's journal open: three descriptors apiece."""
    patients.get_record(ctx, desk_user, 5)
    journal = str(view_journal.journal_path(seeded_path))
    assert _open_files(journal)
    ctx.db.dispose()
    assert _open_files(journal) == []
    patients.get_record(ctx, desk_user, 6)  # the same desk goes on: the journal reopens
    view_audit.settle(ctx.db)
    assert [e.patient_id for e in _chain(ctx, "patient.view")][-2:] == [5, 6]
