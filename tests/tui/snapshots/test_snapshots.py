"""Every desk and the main screens and dialogs, pictured at 80x24: an SVG per screen, in the
default theme and with NO_COLOR, compared with the stored picture in __snapshots__/.

The app runs on the frozen clinic clock (tests/conftest.py CLINIC_NOW) and the fixed seeded
clinic, driven by keys like a user. A changed picture fails the test: look at the new SVG
(open it in a browser) and, if the change is meant, update the pictures with
`.venv/bin/python -m pytest -n 0 tests/tui/snapshots --snapshot-update`.
"""

from __future__ import annotations

import re

import pytest
from syrupy.extensions.image import SVGImageSnapshotExtension
from textual.widgets import DataTable

from coordinator_tui.tui.app import CoordinatorApp
from tests.helpers.checkin import open_checklist_of, unique_row
from tests.helpers.keys import quiet
from tests.helpers.schedule import mrn_of
from tests.helpers.screen import settle

SIZE = (80, 24)
RECORD_PATIENT = 5


async def press(app, pilot, *keys):
    for key in keys:
        await pilot.press(key)
        await app.key_gate.wait_until_idle()
        await app.workers.wait_for_complete()
        await settle(app, pilot)


async def to_record(app, pilot, ctx, desk_user):
    await press(app, pilot, "f4", *mrn_of(ctx, RECORD_PATIENT), "enter")


async def to_checklist(app, pilot, ctx, desk_user):
    await open_checklist_of(app, pilot, unique_row(ctx, desk_user))


async def nothing(app, pilot, ctx, desk_user):
    pass


def keys(*pressed):
    async def drive(app, pilot, ctx, desk_user):
        await press(app, pilot, *pressed)
    return drive


def then(first, *pressed):
    async def drive(app, pilot, ctx, desk_user):
        await first(app, pilot, ctx, desk_user)
        await press(app, pilot, *pressed)
    return drive


# name: (signed in?, how to get there by keys)
SCREENS = {
    "signin": (False, nothing),
    "checkin_desk": (True, nothing),
    "schedule_desk": (True, keys("f3")),
    "patients_desk": (True, keys("f4")),
    "callbacks_desk": (True, keys("f5")),
    "keys_f1": (True, keys("f1")),
    "checkin_checklist": (True, to_checklist),
    "payment_dialog": (True, then(to_checklist, "p")),
    "eligibility_dialog": (True, then(to_checklist, "e")),
    "reason_prompt": (True, then(to_checklist, "enter")),
    "patient_record": (True, to_record),
    "booking_form": (True, then(to_record, "b")),
    "reports_desk": (True, keys("f9")),
    "reports_table": (True, keys("f9", "t")),
    "reports_flow": (True, keys("f9", "2")),
}

# Rich names the SVG's CSS classes and clip paths after a hash of the picture ("terminal-123-r1"):
# the same picture gives the same hash, but one changed cell would change every line of the
# file. One fixed name keeps a diff down to the lines that changed.
UNIQUE_ID = re.compile(r"terminal-\d+")


def picture(app) -> str:
    return UNIQUE_ID.sub("terminal", app.export_screenshot(title="coordinator"))


async def steady_picture(app, pilot) -> str:
    """The screen once three looks in a row agree: on a loaded machine Pilot's idle check can
    pass before a scroll scheduled for after the next refresh (the check-in list opening at
    the patients still to come) has run."""
    shown, same = picture(app), 0
    for _ in range(100):
        await pilot.pause(0.05)
        now = picture(app)
        same = same + 1 if now == shown else 0
        shown = now
        if same >= 2 and all(_cursor_in_view(table) for table in app.screen.query(DataTable)):
            break
    return shown


def _cursor_in_view(table: DataTable) -> bool:
    """A list's cursor row is on screen: its scroll to the cursor (after a refresh) has run."""
    if not table.row_count or not table.show_cursor or table.cursor_type == "none":
        return True
    header = table.header_height if table.show_header else 0
    rows_shown = max(1, table.size.height - header)
    return table.scroll_y <= table.cursor_row < table.scroll_y + rows_shown


@pytest.fixture
def svg_snapshot(snapshot):
    return snapshot.use_extension(SVGImageSnapshotExtension)


@pytest.mark.parametrize("colour", ["default", "no_color"])
@pytest.mark.parametrize("name", list(SCREENS))
async def test_screen_picture(name, colour, ctx, desk_user, svg_snapshot, monkeypatch):
    if colour == "no_color":
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    signed_in, drive = SCREENS[name]
    app = CoordinatorApp(ctx, desk_user if signed_in else None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await drive(app, pilot, ctx, desk_user)
        await quiet(app)
        await settle(app, pilot)
        assert await steady_picture(app, pilot) == svg_snapshot
