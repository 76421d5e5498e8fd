"""The daily A/R work and the weekly status (issue 17): the work list shows who owes past the
threshold with no recent statement or call, oldest money first; a call is put on the queue
once; a promise takes a patient off the list until its date; the weekly report counts what was
collected, written off and promised."""

from __future__ import annotations

from datetime import timedelta

import pytest

from coordinator_tui.errors import PermissionDenied, UserError
from coordinator_tui.services.accounts import ledger, statements, weekly, worklist
from coordinator_tui.services.staff.actors import actor_for
from tests.conftest import CLINIC_DAY
from tests.helpers.engines import raw_connect


def _ids(items):
    return [i.patient_id for i in items]


def test_work_list_order_call_once_and_promises(ctx, clock, tmp_path):
    sup, desk = actor_for(ctx, "super"), actor_for(ctx, "demo")
    ledger.post_entry(ctx, sup, 131, "charge", "90.00", service_date=CLINIC_DAY - timedelta(days=100))
    ledger.post_entry(ctx, sup, 132, "charge", "400.00", service_date=CLINIC_DAY - timedelta(days=10))
    ledger.post_entry(ctx, sup, 133, "charge", "10.00", service_date=CLINIC_DAY - timedelta(days=200))
    with pytest.raises(PermissionDenied):
        worklist.work_list(ctx, desk)
    items = worklist.work_list(ctx, sup)
    ids = _ids(items)
    assert 131 in ids and 132 in ids and 133 not in ids  # $10.00 is under the $25.00 threshold
    assert ids.index(131) < ids.index(132)  # 91-120 days old before 0-30, whatever the amount
    callback_id, created = worklist.call_about_balance(ctx, sup, 131)
    again, created_again = worklist.call_about_balance(ctx, sup, 131)
    assert created and not created_again and again == callback_id
    assert 131 not in _ids(worklist.work_list(ctx, sup))
    worklist.note_promise(ctx, sup, 132, "100.00", CLINIC_DAY + timedelta(days=7))
    assert 132 not in _ids(worklist.work_list(ctx, sup))
    with pytest.raises(UserError, match="more than"):
        worklist.note_promise(ctx, sup, 132, "9000.00", CLINIC_DAY + timedelta(days=7))
    with pytest.raises(UserError, match="from today"):
        worklist.note_promise(ctx, sup, 132, "10.00", CLINIC_DAY - timedelta(days=1))
    clock.advance(days=8)  # the promise's date has passed unpaid: back on the list
    assert 132 in _ids(worklist.work_list(ctx, sup))
    week = weekly.weekly_report(ctx, sup, CLINIC_DAY + timedelta(days=7))
    assert week.promises_broken == 1 and week.promises_kept == 0


def test_a_statement_takes_a_patient_off_the_list(ctx, seeded_path, tmp_path):
    sup = actor_for(ctx, "super")
    db = raw_connect(seeded_path)
    db.execute("UPDATE patients SET address_line1 = '1 Main St', city = 'Salem', region = 'MA', "
               "postal_code = '01970', country = 'US' WHERE id = 134")
    db.commit()
    db.close()
    ledger.post_entry(ctx, sup, 134, "charge", "60.00", service_date=CLINIC_DAY - timedelta(days=40))
    assert 134 in _ids(worklist.work_list(ctx, sup))
    ctx.settings = type(ctx.settings)(**{**ctx.settings.__dict__, "print_dir": str(tmp_path)})
    printed = statements.print_statement(ctx, sup, 134)
    assert printed.path is not None and printed.path.read_bytes().startswith(b"%PDF")
    assert 134 not in _ids(worklist.work_list(ctx, sup))


def test_weekly_collected_written_off_and_promises_kept(ctx):
    sup = actor_for(ctx, "super")
    monday = CLINIC_DAY - timedelta(days=CLINIC_DAY.weekday())
    before = weekly.weekly_report(ctx, sup, CLINIC_DAY)
    ledger.post_entry(ctx, sup, 135, "charge", "200.00", service_date=monday - timedelta(days=20))
    worklist.note_promise(ctx, sup, 135, "50.00", CLINIC_DAY)
    paid = ledger.post_entry(ctx, sup, 135, "payment", "60.00", service_date=CLINIC_DAY)
    ledger.post_entry(ctx, sup, 135, "write_off", "40.00", reason="hardship", service_date=CLINIC_DAY)
    extra = ledger.post_entry(ctx, sup, 135, "payment", "5.00", service_date=CLINIC_DAY)
    ledger.reverse_entry(ctx, sup, extra.id, "bounced")
    week = weekly.weekly_report(ctx, sup, CLINIC_DAY)
    assert week.collected_cents - before.collected_cents == -paid.amount_cents == 6000
    assert week.written_off_cents - before.written_off_cents == 4000
    assert week.promises_kept == before.promises_kept + 1
    # Last week's totals do not see this week's rows; this week's do.
    assert sum(week.last_week) == sum(before.last_week) + 20000
    assert sum(week.this_week) == sum(before.this_week) + 20000 - 6000 - 4000
    assert "Collected this week:  $" in weekly.weekly_text(week)
    assert weekly.weekly_csv(week).splitlines()[0] == "measure,this_week_cents,last_week_cents"
