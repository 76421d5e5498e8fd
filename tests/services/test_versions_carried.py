"""No write overwrites another unseen (issue #22, point 3).

Every update of a patient, appointment, callback, coverage or referral that a person asks for
carries the version of the row their screen showed; saved by another desk since, it is refused
(ConflictError: who, when, "reloaded") and nothing is written. Check-in's steps included: the
harness that filed the issue had "confirm address and phone" overwrite a newer record edit in 50
of 50 rounds.

Finding the paths: test_transactions.py runs every writing service and fails any that UPDATEs a
versioned table without a version parameter; here each function with one is shown refusing a
stale version, and every screen is shown passing it."""

from __future__ import annotations

import ast
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from coordinator_tui.domain.reminders import ContactChannel
from coordinator_tui.domain.vocab import AppointmentStatus as S
from coordinator_tui.domain.vocab import CallbackOutcome, CallbackReason, CancelledBy
from coordinator_tui.errors import ConflictError
from coordinator_tui.services import callbacks as cb
from coordinator_tui.services import checkin, patients, referrals, view_audit
from coordinator_tui.services import schedule as booking
from coordinator_tui.services.appointment_status import change_status, undo_last_change
from coordinator_tui.services.desk_views import day_appointments
from coordinator_tui.services.reminders import consent
from coordinator_tui.services.staff.actors import actor_for
from coordinator_tui.store.models import AuditEvent
from tests.conftest import CLINIC_DAY
from tests.helpers.engines import raw_connect
from tests.helpers.versions import PACKAGE, service_functions, version_parameter


@pytest.fixture
def desks(ctx):
    """Two people at two desks, and a supervisor."""
    return actor_for(ctx, "demo"), actor_for(ctx, "super")


def _waiting(ctx, actor):
    return [r for r in day_appointments(ctx, actor, CLINIC_DAY) if r.status in (S.SCHEDULED, S.CONFIRMED)]


def _insured(ctx, actor):
    for row in _waiting(ctx, actor):
        if "self-pay" not in checkin.checklist(ctx, actor, row.id).item("eligibility").detail:
            return row
    raise AssertionError("no insured patient waiting")


def _row(path, sql, *args):
    conn = raw_connect(path)
    try:
        return conn.execute(sql, args).fetchone()
    finally:
        conn.close()


def test_confirm_address_and_phone_never_overwrites_a_newer_record_edit(ctx, desks, seeded_path):
    front, other = desks
    row = _waiting(ctx, front)[0]
    shown = checkin.checklist(ctx, front, row.id)  # the check-in desk opens the checklist
    record = patients.get_record(ctx, other, shown.patient_id)  # the record screen, another desk
    patients.update_patient(ctx, other, record.id, {"phone_mobile": "(617) 555-0199",
                                                    "address_line1": "9 Newer Road"}, record.version)
    with pytest.raises(ConflictError, match=r"changed by .* at \d\d:\d\d .*nothing was saved; reloaded"):
        checkin.confirm_demographics(ctx, front, row.id, address_line1="1 Old Street", phone="(617) 555-0100",
                                     expected_version=shown.patient_version)
    assert _row(seeded_path, "SELECT address_line1, phone_mobile FROM patients WHERE id = ?",
                shown.patient_id) == ("9 Newer Road", "+16175550199")
    assert _row(seeded_path, "SELECT count(*) FROM checkin_checks WHERE appointment_id = ?", row.id) == (0,)
    # Reloaded, the desk sees the newer address and confirms it.
    again = checkin.checklist(ctx, front, row.id)
    assert "9 Newer Road" in again.address
    done = checkin.confirm_demographics(ctx, front, row.id, expected_version=again.patient_version)
    assert done.item("demographics").done
    # Typed over (a change) moves the version on: a second confirm from the old screen is refused.
    changed = checkin.confirm_demographics(ctx, front, row.id, city="Boston", expected_version=done.patient_version)
    assert changed.patient_version == done.patient_version + 1
    with pytest.raises(ConflictError):
        checkin.confirm_demographics(ctx, front, row.id, city="Salem", expected_version=done.patient_version)


def test_eligibility_never_overwrites_a_coverage_changed_since(ctx, desks, seeded_path):
    front, other = desks
    row = _insured(ctx, front)
    shown = checkin.checklist(ctx, front, row.id)
    checkin.mark_eligibility(ctx, other, row.id, verified=False, note="member id not found",
                             expected_version=shown.coverage_version)
    with pytest.raises(ConflictError, match="insurance on file was changed"):
        checkin.mark_eligibility(ctx, front, row.id, verified=True, expected_version=shown.coverage_version)
    assert _row(seeded_path, "SELECT eligibility_status FROM coverages WHERE patient_id = ? AND rank = 'primary' "
                "AND active", shown.patient_id) == ("problem",)


# --- every function that carries a version refuses a stale one --------------------------------

def _bump(ctx, table, row_id):
    """Another desk saved the row (its version moves on)."""
    with ctx.db.write() as session:
        session.execute(text(f"UPDATE {table} SET version_id = version_id + 1 WHERE id = :id"),
                        {"id": row_id})


def _future(ctx, actor):
    slot = booking.find_free_slots(ctx, actor, provider_id=1, type_code="FU",
                                   after=CLINIC_DAY + timedelta(days=10), limit=3)
    made = booking.book(ctx, actor, 41, slot[0].provider_id, "FU", slot[0].starts_at)
    return made.appointment_id, 1, slot[1].starts_at


def _arrived(ctx, actor):
    row = _waiting(ctx, actor)[-1]
    change = checkin.check_in(ctx, actor, row.id, row.version, exception_reason="in a hurry")
    return row.id, change.version


def _claimed(ctx, actor, reason=None):
    if reason is CallbackReason.CONFIRMATION:
        cb.generate_confirmations(ctx, actor)
    items = cb.list_queue(ctx, actor, cb.QueueFilter(reason=reason))
    item = next(i for i in items if reason is None or i.appointment_id is not None)
    return cb.claim(ctx, actor, item.id)


def _appointment_case(make, call):
    def run(ctx, actor):
        appointment_id, version, *rest = make(ctx, actor)
        _bump(ctx, "appointments", appointment_id)
        return lambda: call(ctx, actor, appointment_id, version, *rest)
    return run


def _callback_case(call, reason=None):
    def run(ctx, actor):
        work = _claimed(ctx, actor, reason)
        _bump(ctx, "callbacks", work.item.id)
        return lambda: call(ctx, actor, work, work.version)
    return run


def _waiting_now(ctx, actor):
    row = next(r for r in _waiting(ctx, actor) if r.starts_at <= ctx.now())
    return row.id, row.version


STALE = {
    "change_status": _appointment_case(
        lambda c, a: (lambda r: (r.id, r.version))(_waiting(c, a)[-1]),
        lambda c, a, i, v: change_status(c, a, i, S.ARRIVED, expected_version=v)),
    "check_in": _appointment_case(
        lambda c, a: (lambda r: (r.id, r.version))(_waiting(c, a)[-1]),
        lambda c, a, i, v: checkin.check_in(c, a, i, v, exception_reason="in a hurry")),
    "undo_check_in": _appointment_case(
        _arrived, lambda c, a, i, v: checkin.undo_check_in(c, a, i, "wrong patient", expected_version=v)),
    "undo_last_change": _appointment_case(
        _arrived, lambda c, a, i, v: undo_last_change(c, a, i, reason="oops", expected_version=v)),
    "cancel": _appointment_case(
        _future, lambda c, a, i, v, _s: booking.cancel(c, a, i, reason="ill", by=CancelledBy.PATIENT,
                                                       expected_version=v)),
    "cancel_and_offer": _appointment_case(
        _future, lambda c, a, i, v, _s: booking.cancel_and_offer(c, a, i, reason="ill", by=CancelledBy.PATIENT,
                                                                 expected_version=v)),
    "reschedule": _appointment_case(
        _future, lambda c, a, i, v, s: booking.reschedule(c, a, i, s, reason="work", expected_version=v)),
    "no_show": _appointment_case(_waiting_now, lambda c, a, i, v: booking.no_show(c, a, i, expected_version=v)),
    "record_attempt": _callback_case(
        lambda c, a, w, v: cb.record_attempt(c, a, w.item.id, CallbackOutcome.NO_ANSWER, expected_version=v)),
    "close": _callback_case(lambda c, a, w, v: cb.close(c, a, w.item.id, done=True, reason="done",
                                                        expected_version=v)),
    "confirm_appointment_by_phone": _callback_case(
        lambda c, a, w, v: cb.confirm_appointment_by_phone(c, a, w.item.id, expected_version=v),
        CallbackReason.CONFIRMATION),
    "book": _callback_case(
        lambda c, a, w, v: (lambda s: booking.book(c, a, w.item.patient_id, s.provider_id, "FU", s.starts_at,
                                                   close_callback_id=w.item.id, close_callback_version=v))(
            booking.find_free_slots(c, a, provider_id=1, type_code="FU",
                                    after=CLINIC_DAY + timedelta(days=10), limit=1)[0])),
    "update_patient": lambda c, a: (lambda r: (_bump(c, "patients", r.id), lambda: patients.update_patient(
        c, a, r.id, {"email": "x@example.org"}, r.version))[1])(patients.get_record(c, a, 5)),
    "merge_patients": lambda c, a: (lambda r: (_bump(c, "patients", r.id), lambda: patients.merge_patients(
        c, actor_for(c, "super"), r.id, 6, "same person", expected_version=r.version))[1])(
        patients.get_record(c, a, 5)),
    "confirm_demographics": lambda c, a: (lambda cl: (_bump(c, "patients", cl.patient_id), lambda: checkin.
        confirm_demographics(c, a, cl.appointment_id, expected_version=cl.patient_version))[1])(
        checkin.checklist(c, a, _waiting(c, a)[0].id)),
    "mark_eligibility": lambda c, a: (lambda cl: (_bump_coverage(c, cl.patient_id), lambda: checkin.
        mark_eligibility(c, a, cl.appointment_id, verified=True, expected_version=cl.coverage_version))[1])(
        checkin.checklist(c, a, _insured(c, a).id)),
    "update_referral": lambda c, a: (lambda rid: (_bump(c, "referrals", rid), lambda: referrals.update_referral(
        c, a, rid, expected_version=1, status="pending"))[1])(
        referrals.add_referral(c, a, 41, kind="prior_authorisation", number="V-1", visits=3)),
    "set_contact_preferences": lambda c, a: (lambda r: (_bump(c, "patients", r.id), lambda: consent.
        set_contact_preferences(c, a, r.id, {ContactChannel.SMS: True}, expected_version=r.version))[1])(
        patients.get_record(c, a, 5)),
}


def _bump_coverage(ctx, patient_id):
    with ctx.db.write() as session:
        session.execute(text("UPDATE coverages SET version_id = version_id + 1 WHERE patient_id = :p "
                             "AND active"), {"p": patient_id})


def _state(ctx):
    """Everything a refused call must leave as it was: the versioned rows and the audit trail.

    A view shown while setting up (get_record) joins the chain half a second later from the
    settling thread; bring it in now, so the count does not depend on how fast the test runs."""
    view_audit.settle(ctx.db)
    with ctx.db.read() as session:
        conn = session.connection()
        tables = {t: conn.exec_driver_sql(f"SELECT id, version_id FROM {t} ORDER BY id").fetchall()
                  for t in ("patients", "appointments", "callbacks", "coverages", "referrals")}
        return tables, session.scalar(select(func.count()).select_from(AuditEvent))


@pytest.mark.parametrize("name", sorted(STALE))
def test_a_stale_version_is_refused_and_nothing_is_written(name, ctx, desk_user):
    call = STALE[name](ctx, desk_user)
    before = _state(ctx)
    with pytest.raises(ConflictError, match="reloaded"):
        call()
    assert _state(ctx) == before


def _carrying_functions() -> set[str]:
    """Public service functions (not the in-transaction building blocks) with a version parameter."""
    return {name for name, defs in service_functions().items()
            for _path, params in defs if version_parameter(params) and params[:1] != ["session"]}


def test_every_function_that_carries_a_version_is_shown_refusing_a_stale_one():
    assert _carrying_functions() == set(STALE)


def _service_names(tree: ast.Module) -> tuple[set[str], set[str]]:
    """Names a screen module imported from coordinator_tui.services: (functions, module aliases)."""
    functions, modules = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("coordinator_tui.services"):
            for alias in node.names:
                (functions if alias.name in service_functions() else modules).add(alias.asname or alias.name)
    return functions, modules


def test_every_screen_passes_the_version_it_shows():
    carrying = _carrying_functions()
    signatures = {name: defs[0][1] for name, defs in service_functions().items() if name in carrying}
    missing, seen = [], 0
    for path in sorted((PACKAGE / "tui").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        functions, modules = _service_names(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func_node = node.func
            if isinstance(func_node, ast.Name) and func_node.id in functions:
                name = func_node.id
            elif (isinstance(func_node, ast.Attribute) and isinstance(func_node.value, ast.Name)
                  and func_node.value.id in modules):
                name = func_node.attr
            else:
                continue
            if name not in carrying:
                continue
            seen += 1
            params = signatures[name]
            wanted = version_parameter(params)
            keywords = {k.arg for k in node.keywords}
            # `close_callback_version` goes with `close_callback_id`: needed when that is given.
            companion = wanted.removesuffix("_version") + "_id"
            if wanted != "expected_version" and companion not in keywords:
                continue
            positional = len(node.args) > params.index(wanted)
            if not positional and wanted not in keywords:
                missing.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {name}")
    assert missing == []
    assert seen >= 12  # the scan finds the screens' calls (a renamed import would hide them)
