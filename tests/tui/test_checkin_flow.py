"""The check-in flow at 80x24, driven by keys alone: express check-in (keys counted), each
checklist item, the payment dialog refusing bad amounts, check-in with a reason, undo and
cash-up (walk-in: test_walk_in.py)."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

from textual.containers import Vertical
from textual.widgets import DataTable, Input, Static

from coordinator_tui.services import checkin as svc
from coordinator_tui.tui.app import CoordinatorApp
from coordinator_tui.tui.screens.checkin.board import CheckinScreen
from coordinator_tui.tui.screens.checkin.cashup import CashupScreen
from coordinator_tui.tui.screens.checkin.checklist import ChecklistScreen
from coordinator_tui.tui.screens.checkin.dialogs import (
    DemographicsDialog,
    PaymentDialog,
)
from coordinator_tui.tui.widgets.reason import ReasonPrompt
from tests.conftest import CLINIC_DAY
from tests.helpers.checkin import (
    make_ready,
    open_checklist_of,
    type_until_unique,
    unique_row,
    waiting,
)
from tests.helpers.screen import drawn_outside, screen_text, wait_for_workers

SIZE = (80, 24)


async def settle(app, pilot):
    await pilot.pause()
    await wait_for_workers(app)
    await pilot.pause()
    await wait_for_workers(app)
    await pilot.pause()


def db_rows(path, sql, *args):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


async def test_express_check_in_by_keys_alone(ctx, desk_user, seeded_path):
    row = unique_row(ctx, desk_user)
    make_ready(ctx, desk_user, row.id)
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        letters = await type_until_unique(app, pilot, row)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ChecklistScreen)
        assert "Ready - Enter checks in" in screen_text(app)
        await pilot.press("enter")
        await settle(app, pilot)
        keys = letters + 2
        assert isinstance(app.screen, CheckinScreen)
        search = app.screen.query_one("#checkin-search", Input)
        assert app.focused is search and search.value == ""
    assert db_rows(seeded_path, "SELECT status FROM appointments WHERE id = ?", row.id) == [("arrived",)]
    assert keys <= len(row.patient_name.split(",")[0]) + 2
    print(f"express check-in keys: {keys}")


async def test_enter_typed_before_the_checklist_loads_still_checks_in(ctx, desk_user, seeded_path):
    row = unique_row(ctx, desk_user)
    make_ready(ctx, desk_user, row.id)
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await type_until_unique(app, pilot, row)
        await pilot.press("enter", "enter")  # no pause between: the second Enter waits for the data
        await settle(app, pilot)
        assert isinstance(app.screen, CheckinScreen)
    assert db_rows(seeded_path, "SELECT status FROM appointments WHERE id = ?", row.id) == [("arrived",)]


async def test_each_checklist_item_is_one_key_away(ctx, desk_user, seeded_path):
    row = unique_row(ctx, desk_user)
    db = sqlite3.connect(seeded_path)
    db.execute("UPDATE coverages SET copay_cents = 2500, eligibility_status = 'unverified', verified_at = NULL,"
               " verified_by_id = NULL WHERE patient_id = ? AND rank = 'primary' AND active = 1",
               (row.patient_id,))
    db.execute("DELETE FROM form_signatures WHERE patient_id = ?", (row.patient_id,))
    db.commit()
    db.close()
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = await open_checklist_of(app, pilot, row)
        text = screen_text(app)
        assert "outstanding" in text and "$25.00 due" in text
        outstanding = {i.key for i in screen.checklist.outstanding}
        assert {"demographics", "eligibility", "copay", "forms", "id_card"} <= outstanding

        await pilot.press("f")
        await settle(app, pilot)
        assert screen.checklist.item("forms").done

        await pilot.press("i")
        await settle(app, pilot)
        assert screen.checklist.item("id_card").done

        await pilot.press("e", "v")
        await settle(app, pilot)
        assert screen.checklist.item("eligibility").done

        await pilot.press("d")
        await settle(app, pilot)
        await pilot.press("tab", "tab", "tab", "tab", *"6175550123", "enter")
        await settle(app, pilot)
        assert screen.checklist.item("demographics").done
        assert db_rows(seeded_path, "SELECT phone_mobile FROM patients WHERE id = ?", row.patient_id) == \
            [("+16175550123",)]

        await pilot.press("dollar_sign")
        await settle(app, pilot)
        assert isinstance(app.screen, PaymentDialog)
        assert app.screen.query_one("#amount", Input).value == "25.00"
        await pilot.press("enter", "k", "enter", *"4242", "enter")
        await settle(app, pilot)
        assert f"R{CLINIC_DAY:%Y%m%d}-" in screen_text(app) and "$25.00" in screen_text(app)
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen is screen and screen.checklist.outstanding == []
        assert "Ready - Enter checks in" in screen_text(app)
        await pilot.press("enter")
        await settle(app, pilot)
    assert db_rows(seeded_path, "SELECT status, checkin_exception_reason FROM appointments WHERE id = ?",
                   row.id) == [("arrived", None)]
    assert db_rows(seeded_path, "SELECT amount_cents, method, reference FROM payments WHERE appointment_id = ?"
                   " ORDER BY id DESC LIMIT 1", row.id) == [(2500, "card", "4242")]


async def test_bad_amounts_in_the_payment_dialog_save_nothing(ctx, desk_user, seeded_path):
    row = unique_row(ctx, desk_user)
    before = db_rows(seeded_path, "SELECT count(*) FROM payments")
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_checklist_of(app, pilot, row)
        await pilot.press("p")
        await settle(app, pilot)
        dialog = app.screen
        assert isinstance(dialog, PaymentDialog)
        for bad, expected in (("-5", "negative"), ("0", "zero"), ("abc", "not an amount"),
                              ("12.345", "more than two digits")):
            dialog.query_one("#amount", Input).value = ""
            dialog.query_one("#amount", Input).focus()
            await pilot.press(*bad, "enter", "c", "enter", "enter")
            await settle(app, pilot)
            assert app.screen is dialog and dialog.receipt is None
            assert expected in str(dialog.query_one(".dialog-error", Static).render())
            dialog.query_one("#method", Input).value = ""
        await pilot.press("escape", "y")  # an amount was typed: "Discard changes? y/n"
        await settle(app, pilot)
        assert isinstance(app.screen, ChecklistScreen)
    assert db_rows(seeded_path, "SELECT count(*) FROM payments") == before


async def test_a_refused_amount_puts_the_cursor_back_in_the_amount(ctx, desk_user, seeded_path):
    """QA: after "-5", method and reference, Ctrl+S said why, but the cursor stayed in Reference:
    the amount typed again went into the reference. The cursor goes to the wrong field, with
    its text selected, so typing replaces it; a bad method likewise."""
    row = unique_row(ctx, desk_user)
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_checklist_of(app, pilot, row)
        await pilot.press("p")
        await settle(app, pilot)
        dialog = app.screen
        assert isinstance(dialog, PaymentDialog)
        dialog.query_one("#amount", Input).value = ""
        await pilot.press(*"-5", "enter", "k", "enter", *"A1", "ctrl+s")
        await settle(app, pilot)
        assert "negative" in str(dialog.query_one(".dialog-error", Static).render())
        await pilot.press(*"25", "enter")
        await settle(app, pilot)
        assert dialog.query_one("#amount", Input).value == "25"
        assert dialog.query_one("#reference", Input).value == "A1"
        dialog.query_one("#method", Input).value = "x"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.focused is dialog.query_one("#method", Input) and dialog.receipt is None
        await pilot.press("c", "ctrl+s")
        await settle(app, pilot)
        assert dialog.receipt is not None and dialog.receipt.amount_cents == 2500


async def test_check_in_with_items_outstanding_asks_a_reason_and_keeps_it(ctx, desk_user, seeded_path):
    row = unique_row(ctx, desk_user)
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_checklist_of(app, pilot, row)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ReasonPrompt)
        await pilot.press("enter")  # an empty reason is refused
        await settle(app, pilot)
        assert isinstance(app.screen, ReasonPrompt)
        await pilot.press(*"no ID", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, CheckinScreen)
    assert db_rows(seeded_path, "SELECT status, checkin_exception_reason FROM appointments WHERE id = ?",
                   row.id) == [("arrived", "no ID")]


async def test_undo_check_in_from_the_board_with_a_reason(ctx, desk_user, seeded_path):
    row = unique_row(ctx, desk_user)
    ready = make_ready(ctx, desk_user, row.id)
    svc.check_in(ctx, desk_user, row.id, ready.version)
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await type_until_unique(app, pilot, row)
        await pilot.press("down", "u")
        await settle(app, pilot)
        assert isinstance(app.screen, ReasonPrompt)
        assert row.patient_name in screen_text(app)  # which patient is being undone
        await pilot.press(*"wrong person", "enter")
        await settle(app, pilot)
    assert db_rows(seeded_path, "SELECT status FROM appointments WHERE id = ?", row.id) == [(row.status.value,)]
    assert db_rows(seeded_path, "SELECT reason, is_undo FROM appointment_status_events WHERE appointment_id = ?"
                   " ORDER BY id DESC LIMIT 1", row.id) == [("wrong person", 1)]


async def test_undo_refuses_when_another_desk_changed_the_visit_while_the_reason_was_typed(
        ctx, desk_user, seeded_path):
    from coordinator_tui.services.staff.actors import actor_for

    row = unique_row(ctx, desk_user)
    ready = make_ready(ctx, desk_user, row.id)
    svc.check_in(ctx, desk_user, row.id, ready.version)
    other_desk = actor_for(ctx, "admin")
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await type_until_unique(app, pilot, row)
        await pilot.press("down", "u")
        await settle(app, pilot)
        assert isinstance(app.screen, ReasonPrompt)
        # Meanwhile the other desk undoes the check-in and checks the patient in again.
        svc.undo_check_in(ctx, other_desk, row.id, "checked in twice")
        again = make_ready(ctx, other_desk, row.id)
        svc.check_in(ctx, other_desk, row.id, again.version)
        await pilot.press(*"wrong person", "enter")
        await settle(app, pilot)
        shown = " ".join(n.message for n in app._notifications)
        assert "nothing was undone" in shown and other_desk.display_name in shown, shown
    assert db_rows(seeded_path, "SELECT status FROM appointments WHERE id = ?", row.id) == [("arrived",)]
    assert db_rows(seeded_path, "SELECT count(*) FROM appointment_status_events WHERE appointment_id = ?"
                   " AND reason = 'wrong person'", row.id) == [(0,)]


async def test_a_late_patient_shows_how_many_minutes_late(ctx, desk_user, clock):
    late = [r for r in waiting(ctx, desk_user) if (ctx.now() - r.starts_at).total_seconds() > 600]
    if not late:  # early in the day nobody is late yet: come back 25 minutes after someone's time
        first = waiting(ctx, desk_user)[0]
        clock.advance(seconds=(first.starts_at + timedelta(minutes=25) - ctx.now()).total_seconds())
        late = [first]
    row = late[0]
    now = ctx.now()
    minutes = int((now - row.starts_at).total_seconds() // 60)
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press(*row.patient_name.split(",")[0].lower())
        await settle(app, pilot)
        text = screen_text(app)
    line = next((line for line in text.splitlines() if row.patient_name[:15] in line), None)
    assert line is not None, text
    assert f"! Late {minutes}m" in line, line


async def test_undo_on_a_visit_not_checked_in_says_so_before_asking_a_reason(ctx, desk_user, seeded_path):
    row = unique_row(ctx, desk_user)  # still expected: nothing to undo
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await type_until_unique(app, pilot, row)
        await pilot.press("down", "u")
        await settle(app, pilot)
        assert isinstance(app.screen, CheckinScreen)
        shown = " ".join(n.message for n in app._notifications)
        assert "not checked in" in shown and "nothing to undo" in shown, shown


async def test_esc_in_the_list_puts_the_cursor_back_in_the_search_box(ctx, desk_user, seeded_path):
    """After Esc the next name typed is a search, never the list's keys (u = undo)."""
    row = unique_row(ctx, desk_user)
    ready = make_ready(ctx, desk_user, row.id)
    svc.check_in(ctx, desk_user, row.id, ready.version)
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await type_until_unique(app, pilot, row)
        await pilot.press("down")
        await settle(app, pilot)
        assert isinstance(app.focused, DataTable)
        await pilot.press("escape")
        await settle(app, pilot)
        search = app.screen.query_one("#checkin-search", Input)
        assert app.focused is search and search.value == ""
        await pilot.press(*"pascual")
        await settle(app, pilot)
        assert isinstance(app.screen, CheckinScreen) and search.value == "pascual"


async def test_cash_up_from_the_board(ctx, desk_user, seeded_path):
    row = unique_row(ctx, desk_user)
    svc.take_payment(ctx, desk_user, row.id, "12.34", "cash", confirm_over_due=True)
    # The day's payments (copays paid online the evening before are on that day's cash-up).
    total = db_rows(seeded_path, "SELECT sum(amount_cents), count(*) FROM payments WHERE voided_at IS NULL"
                    " AND receipt_number LIKE ?", f"R{CLINIC_DAY:%Y%m%d}-%")[0]
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("f6")
        await settle(app, pilot)
        assert isinstance(app.screen, CashupScreen)
        assert app.screen.report.total_cents == total[0] and app.screen.report.count == total[1]
        assert "By method" in screen_text(app) and "cash" in screen_text(app)
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, CheckinScreen)


async def test_eligibility_problem_by_keys_opens_a_billing_callback(ctx, desk_user, seeded_path):
    row = unique_row(ctx, desk_user)
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = await open_checklist_of(app, pilot, row)
        await pilot.press("e", "p", *"card expired", "enter")
        await settle(app, pilot)
        assert app.screen is screen
        assert "problem: card expired" in screen.checklist.item("eligibility").detail
        await pilot.press("h")
        await settle(app, pilot)
        assert "Status history" in screen_text(app)
        await pilot.press("escape")
        await settle(app, pilot)
    assert db_rows(seeded_path, "SELECT count(*) FROM callbacks WHERE patient_id = ? AND reason = 'insurance'"
                   " AND status = 'open'", row.patient_id) == [(1,)]


async def test_void_from_cash_up_is_for_supervisors_only(ctx, desk_user, seeded_path):
    from coordinator_tui.services.staff.actors import actor_for

    row = unique_row(ctx, desk_user)
    svc.take_payment(ctx, desk_user, row.id, "7.00", "cash", confirm_over_due=True)
    for actor, voided in ((desk_user, 0), (actor_for(ctx, "super"), 1)):
        app = CoordinatorApp(ctx, actor)
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            await pilot.press("f6")
            await settle(app, pilot)
            await pilot.press("end", "v")
            await settle(app, pilot)
            await pilot.press(*"keyed twice", "enter")
            await settle(app, pilot)
            assert isinstance(app.screen, CashupScreen)
        assert db_rows(seeded_path, "SELECT count(*) FROM payments WHERE voided_at IS NOT NULL") == [(voided,)]


def copay_due(seeded_path, patient_id, cents=2500):
    db = sqlite3.connect(seeded_path)
    changed = db.execute("UPDATE coverages SET copay_cents = ? WHERE patient_id = ? AND rank = 'primary'"
                         " AND active = 1", (cents, patient_id)).rowcount
    db.commit()
    assert changed == 1  # insured: a copay is known
    db.close()


async def test_demographics_refuse_a_made_up_state_and_save_nothing(ctx, desk_user, seeded_path):
    row = unique_row(ctx, desk_user)
    before = db_rows(seeded_path, "SELECT region, city, version_id FROM patients WHERE id = ?", row.patient_id)
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = await open_checklist_of(app, pilot, row)
        await pilot.press("d")
        await settle(app, pilot)
        dialog = app.screen
        await pilot.press("tab", *"Mercershire", "tab", *"ZZ", "ctrl+s")
        await settle(app, pilot)
        assert app.screen is dialog
        assert "State: is not a US state" in screen_text(app)
        assert db_rows(seeded_path, "SELECT region, city, version_id FROM patients WHERE id = ?",
                       row.patient_id) == before
        assert not screen.checklist.item("demographics").done
        await pilot.press("backspace", "backspace", *"Rhode Island", "ctrl+s")
        await settle(app, pilot)
        assert app.screen is screen and screen.checklist.item("demographics").done
    assert db_rows(seeded_path, "SELECT region, city FROM patients WHERE id = ?", row.patient_id) == \
        [("RI", "Mercershire")]


async def test_a_payment_above_the_copay_due_asks_first(ctx, desk_user, seeded_path):
    row = unique_row(ctx, desk_user)
    copay_due(seeded_path, row.patient_id)
    before = db_rows(seeded_path, "SELECT count(*), coalesce(sum(amount_cents), 0) FROM payments")
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_checklist_of(app, pilot, row)
        await pilot.press("dollar_sign")
        await settle(app, pilot)
        dialog = app.screen
        assert isinstance(dialog, PaymentDialog)
        await pilot.press("ctrl+u", *"99999", "tab", "k", "ctrl+s")
        await settle(app, pilot)
        assert app.screen is dialog and dialog.receipt is None
        assert "more than $10,000.00" in screen_text(app)  # the hard maximum: no question asked
        assert app.focused is dialog.query_one("#amount", Input)  # back on the wrong field
        await pilot.press(*"250", "ctrl+s")  # its text selected: typing replaces it
        await settle(app, pilot)
        assert app.screen is dialog and dialog.receipt is None
        text = screen_text(app)
        assert "That is $225.00 more than the $25.00 due." in text and "Ctrl+S again" in text
        assert db_rows(seeded_path, "SELECT count(*), coalesce(sum(amount_cents), 0) FROM payments") == before
        await pilot.press("ctrl+s")  # the same amount again: confirmed
        await settle(app, pilot)
        assert dialog.receipt is not None and "$250.00" in screen_text(app)
    assert db_rows(seeded_path, "SELECT amount_cents, method FROM payments WHERE appointment_id = ?"
                   " ORDER BY id DESC LIMIT 1", row.id) == [(25000, "card")]


async def test_a_changed_amount_is_asked_about_again(ctx, desk_user, seeded_path):
    row = unique_row(ctx, desk_user)
    copay_due(seeded_path, row.patient_id)
    before = db_rows(seeded_path, "SELECT count(*) FROM payments")
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_checklist_of(app, pilot, row)
        await pilot.press("dollar_sign")
        await settle(app, pilot)
        dialog = app.screen
        await pilot.press("ctrl+u", *"2500", "tab", "c", "ctrl+s")
        await settle(app, pilot)
        assert "$2,475.00 more than the $25.00 due" in screen_text(app)
        await pilot.press("shift+tab", "ctrl+u", *"3000", "ctrl+s")  # not what was confirmed
        await settle(app, pilot)
        assert "$2,975.00 more than the $25.00 due" in screen_text(app) and dialog.receipt is None
        await pilot.press("escape", "y")  # an amount was typed: "Discard changes? y/n"
        await settle(app, pilot)
        assert isinstance(app.screen, ChecklistScreen)
    assert db_rows(seeded_path, "SELECT count(*) FROM payments") == before


async def test_outstanding_items_are_named_in_words_never_internal_codes(ctx, desk_user, seeded_path):
    """Issue 13: the reason prompt said `Outstanding: id_card`, and the status history kept it."""
    import re

    row = unique_row(ctx, desk_user)
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=(120, 24)) as pilot:  # wide enough to show the whole list
        await settle(app, pilot)
        await open_checklist_of(app, pilot, row)
        outstanding = app.screen.checklist.outstanding
        assert "id_card" in {i.key for i in outstanding}
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ReasonPrompt)
        text = screen_text(app)
        words = " ".join(text.replace("│", " ").split())  # the dialog wraps long lines
        assert "photo ID and insurance card" in words, text
        assert not re.search(r"\b[a-z]+_[a-z_]+\b", text), re.findall(r"\b[a-z]+_[a-z_]+\b", text)
        await pilot.press(*"no ID", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, CheckinScreen)
    [(reason,)] = db_rows(seeded_path, "SELECT reason FROM appointment_status_events WHERE appointment_id = ? "
                          "AND to_status = 'arrived'", row.id)
    assert "photo ID and insurance card" in reason and "id_card" not in reason, reason


async def test_check_in_is_confirmed_by_name_under_the_find_box_and_stays_on_this_desk(
        ctx, desk_user, seeded_path):
    """Issue 13: the confirmation named an MRN in a toast over the list, which followed the user
    to the other desks. Now the desk says who was checked in, and when, on its own line."""
    row = unique_row(ctx, desk_user)
    make_ready(ctx, desk_user, row.id)
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await type_until_unique(app, pilot, row)
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, CheckinScreen)
        lines = screen_text(app).splitlines()
        said = f"Checked in: {row.patient_name} 10:45"
        status = next((n for n, line in enumerate(lines) if said in line), None)
        assert status is not None, "\n".join(lines)
        assert lines[status - 1].lstrip().startswith("Find:")  # right under the box, not over the list
        assert not [n.message for n in app._notifications if "Checked in" in n.message]
        # The list is whole: every row still drawn below the line, none covered.
        table = app.screen.query_one("#arrivals", DataTable)
        assert table.region.y > status
        await pilot.press("f3")
        await settle(app, pilot)
        assert said not in screen_text(app)  # the Schedule desk does not carry it
        await pilot.press("f2")
        await settle(app, pilot)
        assert said in screen_text(app)


async def test_void_is_offered_only_to_roles_that_may_void(ctx, desk_user):
    """Issue 13: v (void) was in the front desk's footer, then refused."""
    from coordinator_tui.services.staff.actors import actor_for

    for actor, offered in ((desk_user, False), (actor_for(ctx, "super"), True)):
        app = CoordinatorApp(ctx, actor)
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            await pilot.press("f6")
            await settle(app, pilot)
            assert isinstance(app.screen, CashupScreen)
            assert ("v Void" in screen_text(app).splitlines()[-1]) is offered
            await pilot.press("f1")
            await settle(app, pilot)
            assert ("v" in dict(app.screen.lines)) is offered


def outside_the_box(app) -> list[str]:
    """What the screen draws outside the top dialog's border, line by line (non-blank only)."""
    return drawn_outside(app, app.screen.query_one(Vertical).region)


async def test_address_and_payment_dialogs_draw_nothing_outside_their_border(ctx, desk_user, seeded_path):
    """Issue 13: the checklist behind the dialogs showed through beside their border ('rd', 'to')
    at 80x24, words that belonged to neither."""
    row = unique_row(ctx, desk_user)
    copay_due(seeded_path, row.patient_id)
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_checklist_of(app, pilot, row)
        for key, dialog in (("d", DemographicsDialog), ("p", PaymentDialog)):
            await pilot.press(key)
            await settle(app, pilot)
            assert isinstance(app.screen, dialog)
            assert outside_the_box(app) == [], screen_text(app)
            assert "Esc back" in screen_text(app)  # the dialog's own last line is inside
            assert row.patient_name[:20] in screen_text(app)  # whose, with the checklist covered
            if dialog is PaymentDialog:  # and after saving, with the receipt
                await pilot.press("enter", "c", "enter", "enter")
                await settle(app, pilot)
                assert app.screen.receipt is not None
                assert outside_the_box(app) == [], screen_text(app)
                assert "Enter or Esc closes" in screen_text(app)
            await pilot.press("escape")
            await settle(app, pilot)
            assert isinstance(app.screen, ChecklistScreen)


async def test_checklist_labels_and_details_are_shown_whole_at_80x24(ctx, desk_user, seeded_path):
    """QA: labels were cut at 34 columns and details at 36 ("Insurance eligibility (Blue Cross "):
    two payers, or forms to sign, could not be told apart. They wrap under themselves now."""
    row = unique_row(ctx, desk_user)
    db = sqlite3.connect(seeded_path)
    db.execute("UPDATE payers SET name = 'Blue Cross Blue Shield of Massachusetts' WHERE id = (SELECT "
               "payer_id FROM coverages WHERE patient_id = ? AND rank = 'primary' AND active = 1)",
               (row.patient_id,))
    db.execute("DELETE FROM form_signatures WHERE patient_id = ?", (row.patient_id,))
    db.commit()
    db.close()
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = await open_checklist_of(app, pilot, row)
        words = screen_text(app).split()
        eligibility = screen.checklist.item("eligibility")
        forms = screen.checklist.item("forms")
    assert "Massachusetts" in eligibility.label and len(forms.detail) > 36
    for shown in (eligibility.label, forms.detail):  # wrapped, every word of it is on screen
        assert [word for word in shown.split() if word not in words] == []
