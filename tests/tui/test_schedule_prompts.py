"""The Schedule desk's dialogs at 80x24 by keys alone: choosing among many patients, the names
(never internal numbers) in move and cancel, the cursor on the field in error, and a past slot
refused before any form opens."""

from __future__ import annotations

import sqlite3

from coordinator_tui.tui.app import CoordinatorApp
from coordinator_tui.tui.screens.schedule import ScheduleScreen
from coordinator_tui.tui.widgets.prompt import PromptModal
from tests.tui.screen import screen_text, settle
from tests.tui.test_schedule import appointments_of, open_future_day, press

SIZE = (80, 24)


def crowded_prefix(seeded_path) -> tuple[str, int]:
    """A family-name prefix more than 8 patients share, and how many do."""
    conn = sqlite3.connect(seeded_path)
    try:
        return conn.execute("SELECT substr(family_key, 1, 3) p, count(*) c FROM patients "
                            "WHERE merged_into_id IS NULL GROUP BY p HAVING c BETWEEN 10 AND 30 "
                            "ORDER BY c, p LIMIT 1").fetchone()
    finally:
        conn.close()


async def test_which_patient_says_more_match_and_books_nobody_without_a_number(ctx, desk_user, seeded_path):
    prefix, matching = crowded_prefix(seeded_path)
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_future_day(app, pilot)
        await press(app, pilot, "b", *prefix, "enter", "enter", "enter")
        assert isinstance(app.screen, PromptModal)
        text = screen_text(app)
        assert "Which patient?" in text and "8. " in text and "9. " not in text
        assert "more patients match: type more of the name" in text, text
        assert app.focused.value == ""  # no patient chosen for the user
        await press(app, pilot, "enter")
        assert isinstance(app.screen, PromptModal) and "Type the patient's number, 1-8" in screen_text(app)
        conn = sqlite3.connect(seeded_path)
        third = conn.execute("SELECT id FROM patients WHERE family_key >= ? AND family_key < ? "
                             "AND merged_into_id IS NULL ORDER BY family_key, given_key LIMIT 1 OFFSET 2",
                             (prefix, prefix + "\uffff")).fetchone()[0]
        conn.close()
        await press(app, pilot, "3", "enter")
        assert isinstance(app.screen, ScheduleScreen)
    assert matching > 8 and len(appointments_of(ctx, third)) == 1
