"""A/R aging on screen (issue 17): from the Reports desk with one key, supervisors only; the
totals at the top equal the ledger's sum; 80x24 with nothing cut off."""

from __future__ import annotations

from datetime import timedelta

from coordinator_tui.services.accounts import ledger
from coordinator_tui.services.staff.actors import actor_for
from coordinator_tui.tui.app import CoordinatorApp
from coordinator_tui.tui.screens.accounts.aging import AgingScreen
from coordinator_tui.tui.screens.reports.desk import ReportsScreen
from tests.conftest import CLINIC_DAY
from tests.helpers.ledger import ledger_sum
from tests.helpers.screen import screen_text, settle

SIZE = (80, 24)


async def _keys(app, pilot, *pressed):
    for key in pressed:
        await pilot.press(key)
        await app.key_gate.wait_until_idle()
        await app.workers.wait_for_complete()
        await settle(app, pilot)


async def test_supervisor_opens_aging_from_reports(ctx, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    sup = actor_for(ctx, "super")
    ledger.post_entry(ctx, sup, 101, "charge", "250.00", service_date=CLINIC_DAY - timedelta(days=70))
    ledger.post_entry(ctx, sup, 102, "charge", "40.00", service_date=CLINIC_DAY - timedelta(days=3))
    total = ledger_sum(ctx, None)
    app = CoordinatorApp(ctx, sup)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await _keys(app, pilot, "f9")
        assert isinstance(app.screen, ReportsScreen)
        await _keys(app, pilot, "a")
        assert isinstance(app.screen, AgingScreen)
        shown = screen_text(app).rstrip("\n").split("\n")
        assert len(shown) == 24 and all(len(line) <= 80 for line in shown)
        text = "\n".join(shown)
        assert f"${total // 100:,}.{total % 100:02d}" in text
        assert "61-90 $250" in text and "0-30" in text and "120+" in text
        await _keys(app, pilot, "escape")
        assert isinstance(app.screen, ReportsScreen)


async def test_front_desk_has_no_aging_key(ctx):
    app = CoordinatorApp(ctx, actor_for(ctx, "demo"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await _keys(app, pilot, "f9", "a")
        assert isinstance(app.screen, ReportsScreen)


async def test_work_list_call_and_promise_by_keys(ctx, monkeypatch):
    from sqlalchemy import func, select

    from coordinator_tui.store.models import Callback, PaymentPromise
    from coordinator_tui.tui.screens.accounts.worklist import WorkListScreen

    monkeypatch.setenv("NO_COLOR", "1")
    sup = actor_for(ctx, "super")
    ledger.post_entry(ctx, sup, 141, "charge", "900.00", service_date=CLINIC_DAY - timedelta(days=400))
    ledger.post_entry(ctx, sup, 142, "charge", "800.00", service_date=CLINIC_DAY - timedelta(days=399))
    app = CoordinatorApp(ctx, sup)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await _keys(app, pilot, "f9", "w")
        assert isinstance(app.screen, WorkListScreen)
        shown = screen_text(app).rstrip("\n").split("\n")
        assert len(shown) == 24 and all(len(line) <= 80 for line in shown)
        first = next(line for line in shown if "$900.00" in line)
        assert shown.index(first) < next(i for i, line in enumerate(shown) if "$800.00" in line)
        await _keys(app, pilot, "c")  # the first row: $900.00, oldest
        assert "billing call added" in screen_text(app)
        assert "$900.00" not in screen_text(app)  # called: off today's list
        await _keys(app, pilot, "p", *"100.00", "enter", "ctrl+a", "ctrl+k", *"T+5", "enter")
        assert "promise noted" in screen_text(app)
    with ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Callback).where(
            Callback.patient_id == 141, Callback.note.like("Billing:%"))) == 1
        promise = session.scalar(select(PaymentPromise).where(PaymentPromise.patient_id == 142))
        assert promise.amount_cents == 10000 and promise.promised_for == CLINIC_DAY + timedelta(days=5)
