"""A list cuts a long value with "…"; the line under the list shows the highlighted row whole
(as Availability does), on the Check-in, Patients and Callbacks desks at 80x24. The QA pass
(s16) found a cut name or reason readable nowhere, and "Confirm appointment" cut in the queue."""

from __future__ import annotations

from datetime import datetime, time

from coordinator_tui.domain.vocab import CallbackReason, Priority
from coordinator_tui.services.callbacks.generate import create_by_hand
from coordinator_tui.services.desk_views import day_appointments
from coordinator_tui.services.patients.editing import update_patient
from coordinator_tui.services.patients.records import get_record
from coordinator_tui.tui.app import CoordinatorApp
from coordinator_tui.tui.screens.callbacks.desk import COLUMNS
from tests.conftest import CLINIC_DAY
from tests.helpers.checkin import unique_row
from tests.helpers.screen import screen_text, settle

SIZE = (80, 24)
FAMILY = "Featherstonehaugh-Wolfeschlegel"
GIVEN = "Maximiliana"
WHOLE = f"{FAMILY}, {GIVEN}"  # 44 characters: every list cuts it


async def press(app, pilot, *keys):
    for key in keys:
        await pilot.press(key)
        await settle(app, pilot)


def rename(ctx, actor, patient_id: int) -> str:
    record = get_record(ctx, actor, patient_id)
    update_patient(ctx, actor, patient_id, {"family_name": FAMILY, "given_name": GIVEN},
                   expected_version=record.version)
    return get_record(ctx, actor, patient_id).mrn


def lines_with(app, text: str) -> list[str]:
    return [line for line in screen_text(app).split("\n") if text in line]


def test_every_reason_fits_the_queue_s_reason_column():
    width = dict(COLUMNS)["Reason"]
    assert all(len(reason.label) <= width for reason in CallbackReason)
    # The columns with DataTable's padding (1 each side) and its scroll bar (2) fit 80 columns.
    assert sum(w + 2 for _label, w in COLUMNS) + 2 <= 80


async def test_callbacks_queue_shows_reasons_whole_and_the_highlighted_name_under_the_list(ctx, desk_user):
    row = unique_row(ctx, desk_user)
    rename(ctx, desk_user, row.patient_id)
    create_by_hand(ctx, desk_user, patient_id=row.patient_id, reason=CallbackReason.CONFIRMATION,
                   due_at=datetime.combine(CLINIC_DAY, time(9), tzinfo=ctx.settings.tz),
                   priority=Priority.URGENT)
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "f5")
        assert app.screen.items[0].patient_name == WHOLE  # urgent and overdue: first
        [listed] = lines_with(app, FAMILY[:10])[:1]
        assert "Confirm appointment" in listed and WHOLE not in listed  # the name is cut there
        assert lines_with(app, f"{WHOLE}: Confirm appointment")  # and whole under the list
        await press(app, pilot, "down")
        assert not lines_with(app, WHOLE)  # the line follows the cursor
        assert lines_with(app, f"{app.screen.items[1].patient_name}: ")


async def test_checkin_and_patients_lists_show_the_highlighted_name_whole(ctx, desk_user):
    row = unique_row(ctx, desk_user)
    mrn = rename(ctx, desk_user, row.patient_id)
    assert any(r.patient_name == WHOLE for r in day_appointments(ctx, desk_user, CLINIC_DAY))
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await press(app, pilot, *"featherstone")
        assert lines_with(app, f"{FAMILY[:12]}")  # listed, cut
        [detail] = lines_with(app, WHOLE)
        assert mrn in detail and row.provider in detail
        await press(app, pilot, *["backspace"] * 12, *"zzqqxxj")  # nobody: the line is empty too
        assert not lines_with(app, WHOLE) and not lines_with(app, mrn)
        await press(app, pilot, "f4", *"featherstone")
        [detail] = lines_with(app, WHOLE)
        assert mrn in detail
        assert [line for line in lines_with(app, FAMILY[:12]) if "…" in line]
