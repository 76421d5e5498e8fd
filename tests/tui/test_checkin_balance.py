"""The prior balance at check-in, by keys at 80x24 (issue 17): the checklist shows it, the
payment dialog offers it with the copay, and one payment is split on the ledger."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

from textual.widgets import Input

from coordinator_tui.services.accounts import ledger
from coordinator_tui.tui.app import CoordinatorApp
from coordinator_tui.tui.screens.checkin.dialogs import PaymentDialog
from tests.conftest import CLINIC_DAY
from tests.helpers.checkin import open_checklist_of, unique_row
from tests.helpers.ledger import ledger_sum
from tests.helpers.screen import screen_text, wait_for_workers

SIZE = (80, 24)


async def settle(app, pilot):
    for _ in range(3):
        await pilot.pause()
        await wait_for_workers(app)


async def test_prior_balance_is_collected_with_the_copay(ctx, desk_user, seeded_path):
    row = unique_row(ctx, desk_user)
    db = sqlite3.connect(seeded_path)
    db.execute("UPDATE coverages SET copay_cents = 2500 WHERE patient_id = ? AND rank = 'primary' AND active = 1",
               (row.patient_id,))
    db.commit()
    db.close()
    owed = ledger.balance(ctx, row.patient_id)
    ledger.post_entry(ctx, desk_user, row.patient_id, "charge", "40.00", service_date=CLINIC_DAY - timedelta(days=50))
    prior = owed + 4000
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_checklist_of(app, pilot, row)
        lines = screen_text(app).rstrip("\n").split("\n")
        assert len(lines) == 24 and all(len(line) <= 80 for line in lines)
        assert any("Prior balance" in line and f"${prior // 100}.{prior % 100:02d} to collect" in line
                   for line in lines)
        await pilot.press("dollar_sign")
        await settle(app, pilot)
        assert isinstance(app.screen, PaymentDialog)
        total = prior + 2500
        assert app.screen.query_one("#amount", Input).value == f"{total // 100}.{total % 100:02d}"
        assert f"copay $25.00 + prior ${prior // 100}.{prior % 100:02d}" in screen_text(app)
        await pilot.press("enter", "k", "enter", *"4242", "enter")
        await settle(app, pilot)
        assert "Receipt" in screen_text(app)
        await pilot.press("enter")
        await settle(app, pilot)
        assert "Prior balance" not in screen_text(app)
    db = sqlite3.connect(seeded_path)
    parts = db.execute("SELECT l.appointment_id IS NOT NULL, l.amount_cents FROM ledger_entries l JOIN payments p "
                       "ON p.id = l.payment_id WHERE p.appointment_id = ? AND p.reference = '4242' ORDER BY l.id",
                       (row.id,)).fetchall()
    db.close()
    assert parts == [(1, -2500), (0, -prior)]
    assert ledger.balance(ctx, row.patient_id) == ledger_sum(ctx, row.patient_id) == 0


async def test_a_payment_plan_from_the_checklist_shows_on_plan(ctx, desk_user):
    row = unique_row(ctx, desk_user)
    ledger.post_entry(ctx, desk_user, row.patient_id, "charge", "300.00",
                      service_date=CLINIC_DAY - timedelta(days=80))
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_checklist_of(app, pilot, row)
        assert "to collect" in screen_text(app)
        await pilot.press("l", *"50.00", "enter", "ctrl+a", "ctrl+k", *"T+10", "enter")
        await settle(app, pilot)
        await settle(app, pilot)
        text = screen_text(app)
        assert "on plan, $50.00/month" in text and "to collect" not in text
