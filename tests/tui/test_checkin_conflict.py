"""Check-in's "confirm address and phone" at a desk never overwrites a newer edit made on the
record screen meanwhile (issue #22, point 3): the desk is told who changed it, nothing is saved,
and the checklist shows what is on file now."""

from __future__ import annotations

import sqlite3

from coordinator_tui.services import patients
from coordinator_tui.services.staff.actors import actor_for
from coordinator_tui.tui.app import CoordinatorApp
from coordinator_tui.tui.screens.checkin.checklist import ChecklistScreen
from coordinator_tui.tui.screens.checkin.dialogs import DemographicsDialog
from tests.helpers.checkin import open_checklist_of, settle, unique_row
from tests.helpers.screen import screen_text


async def test_a_record_edit_made_while_the_dialog_is_open_is_not_overwritten(ctx, desk_user, seeded_path):
    row = unique_row(ctx, desk_user)
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await open_checklist_of(app, pilot, row)
        await pilot.press("d")
        await settle(app, pilot)
        assert isinstance(app.screen, DemographicsDialog)
        # Meanwhile the patient's record is edited at another desk.
        other = actor_for(ctx, "super")
        record = patients.get_record(ctx, other, row.patient_id)
        patients.update_patient(ctx, other, record.id, {"address_line1": "9 Newer Road"}, record.version)
        await pilot.press(*"1 Old Street", "enter", "enter", "enter", "enter", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ChecklistScreen)
        told = " ".join(n.message for n in app._notifications)
        assert "changed by" in told and "nothing was saved; reloaded" in told
        assert "9 Newer Road" in app.screen.checklist.address  # reloaded: what is on file now
        assert "Check-in: checklist" in screen_text(app)
    conn = sqlite3.connect(seeded_path)
    try:
        assert conn.execute("SELECT address_line1 FROM patients WHERE id = ?",
                            (row.patient_id,)).fetchone() == ("9 Newer Road",)
        assert conn.execute("SELECT count(*) FROM checkin_checks WHERE appointment_id = ?",
                            (row.id,)).fetchone() == (0,)
    finally:
        conn.close()
