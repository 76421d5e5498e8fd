"""The refused HL7 messages at 80x24, by keys: i on the Callbacks desk (supervisors only) lists
the EHR's messages we refused with sender, time, control id and reason; r re-tries the
highlighted one once its cause is fixed, and it leaves the list."""

from __future__ import annotations

import sqlite3

from coordinator_tui.interop.hl7.parse import read_message
from coordinator_tui.services.exchange.hl7_receive import apply_one
from coordinator_tui.services.staff.actors import actor_for
from coordinator_tui.tui.app import CoordinatorApp
from coordinator_tui.tui.screens.callbacks.refused import RefusedMessagesScreen
from tests.helpers.hl7 import adt, siu, slot
from tests.helpers.screen import screen_text, settle

SIZE = (80, 24)


def refused_merge(ctx, desk, supervisor):
    """Two records, and an A40 that the front-desk interface account may not apply."""
    for control, ehr_id, given, dob in (("M1", "E1", "Rosa", "19700101"),
                                        ("M2", "E2", "Rosalind", "19710202")):
        apply_one(ctx, supervisor, read_message(1, adt("A04", control, ehr_id, "Quispe", given,
                                                       dob=dob).encode()))
    apply_one(ctx, desk, read_message(1, adt("A40", "M3", "E1", "Quispe", "Rosa", mrg="E2").encode()))
    apply_one(ctx, desk, read_message(1, siu("S12", "S9", "V9", "E1", slot(9),
                                             provider="NOBODY").encode()))


async def test_a_supervisor_lists_and_retries_a_refused_message(ctx, seeded_path):
    desk, supervisor = actor_for(ctx, "demo"), actor_for(ctx, "super")
    refused_merge(ctx, desk, supervisor)
    app = CoordinatorApp(ctx, supervisor)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("f5")
        await settle(app, pilot)
        await pilot.press("i")
        await settle(app, pilot)
        assert isinstance(app.screen, RefusedMessagesScreen)
        text = screen_text(app)
        assert "Refused: 2 (2 from the EHR, 0 of ours)" in text
        assert "EPICADT^GHH" in text and "M3" in text and "S9" in text and "ADT^A40" in text
        assert "Quispe" not in text and "Rosa" not in text  # no patient data on this list
        assert len([line for line in text.splitlines() if line.startswith(" in  ")]) == 2
        # the cursor on the merge (refused: the interface account's role); a supervisor re-tries it
        while "M3" not in app.screen.rows[app.screen.query_one("#refused-table").cursor_row].control_id:
            await pilot.press("down")
        await settle(app, pilot)
        assert "may not merge patients" in screen_text(app)  # its whole reason under the list
        await pilot.press("r")
        await settle(app, pilot)
        text = screen_text(app)
        assert "Refused: 1 (1 from the EHR, 0 of ours)" in text and " M3 " not in text
        with sqlite3.connect(seeded_path) as conn:
            assert conn.execute("SELECT count(*) FROM patients WHERE given_name = 'Rosalind' AND "
                                "merged_into_id IS NOT NULL").fetchone()[0] == 1
        await pilot.press("r")  # the booking's provider is still not ours: refused again, kept
        await settle(app, pilot)
        assert "Refused: 1" in screen_text(app)
        told = " ".join(n.message for n in app._notifications)
        assert "ADT^A40 M3: applied" in told and "still refused: provider 'NOBODY'" in told
        await pilot.press("escape")
        await settle(app, pilot)
        assert not isinstance(app.screen, RefusedMessagesScreen)


async def test_the_front_desk_cannot_open_it(ctx):
    app = CoordinatorApp(ctx, actor_for(ctx, "demo"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("f5")
        await settle(app, pilot)
        await pilot.press("i")
        await settle(app, pilot)
        assert not isinstance(app.screen, RefusedMessagesScreen)
        assert "for supervisors" in " ".join(n.message for n in app._notifications)
