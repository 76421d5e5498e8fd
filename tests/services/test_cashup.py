"""Cash-up: totals by method and by user in cents, voids listed but not counted; CSV export."""

from __future__ import annotations

import csv
import io

from coordinator_tui.services import checkin as svc
from coordinator_tui.services.checkin.cashup import CSV_COLUMNS, cash_up, payments_csv
from coordinator_tui.services.desk_views import day_appointments
from coordinator_tui.services.staff.actors import actor_for
from tests.conftest import CLINIC_DAY, LOCAL_NOW


def test_cash_up_totals_by_method_and_user_and_lists_voids(ctx, desk_user):
    supervisor = actor_for(ctx, "super")
    before = cash_up(ctx, desk_user, CLINIC_DAY)
    appointment = day_appointments(ctx, desk_user, CLINIC_DAY)[-1].id
    svc.take_payment(ctx, desk_user, appointment, "10.00", "cash", confirm_over_due=True)
    svc.take_payment(ctx, supervisor, appointment, "2.50", "card", "auth 9", confirm_over_due=True)
    voided = svc.take_payment(ctx, desk_user, appointment, "99.99", "cash", confirm_over_due=True)
    svc.void_payment(ctx, supervisor, voided.payment_id, "keyed twice")
    after = cash_up(ctx, desk_user, CLINIC_DAY)
    assert after.total_cents - before.total_cents == 1250
    assert after.count - before.count == 2
    assert after.by_method["cash"] - before.by_method.get("cash", 0) == 1000
    assert after.by_method["card"] - before.by_method.get("card", 0) == 250
    assert after.by_user["super"] - before.by_user.get("super", 0) == 250
    assert [v.receipt_number for v in after.voids] == [voided.receipt_number]
    assert after.voids[0].void_reason == "keyed twice" and after.voids[0].voided_by == "super"
    assert sum(after.by_method.values()) == after.total_cents == sum(after.by_user.values())


def test_another_day_is_empty(ctx, desk_user):
    report = cash_up(ctx, desk_user, CLINIC_DAY.replace(year=2020))
    assert report.count == 0 and report.total_cents == 0 and report.payments == ()


def test_csv_export_has_one_row_per_payment_and_defuses_formulas(ctx, desk_user):
    appointment = day_appointments(ctx, desk_user, CLINIC_DAY)[-1].id
    taken = svc.take_payment(ctx, desk_user, appointment, "1,234.56", "check", "=HYPERLINK(1)",
                             confirm_over_due=True)
    text, count = payments_csv(ctx, CLINIC_DAY)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == count == len(cash_up(ctx, desk_user, CLINIC_DAY).payments)
    assert list(rows[0]) == CSV_COLUMNS
    # Rows are in the order taken: before opening, the seeded morning's payments come after it.
    last = next(row for row in rows if row["receipt_number"] == taken.receipt_number)
    assert last["amount"] == "1234.56" and last["amount_cents"] == "123456" and last["method"] == "check"
    assert last["reference"] == "'=HYPERLINK(1)"
    assert last["taken_at"].startswith(f"{LOCAL_NOW:%Y-%m-%dT%H:%M}")
