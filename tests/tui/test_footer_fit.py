"""Issue 13: at 80x24 nothing a user needs is cut off. Every screen's footer, as drawn, holds all
of its shown keys within 80 columns and starts with F1 (which lists the rest)."""

from __future__ import annotations

import pytest
from textual.widgets._footer import FooterKey

from coordinator_tui.services.desk_views import day_appointments
from coordinator_tui.services.patients.editing import register_patient
from coordinator_tui.services.staff.actors import actor_for
from coordinator_tui.tui.app import CoordinatorApp
from coordinator_tui.tui.screens.checkin.walk_in import WalkInScreen
from tests.conftest import CLINIC_DAY
from tests.helpers.screen import screen_text, settle

SIZE = (80, 24)


def footer_fits(app, where: str) -> str:
    """The footer's full text (every shown key), checked against what the last line shows."""
    keys = list(app.screen.query(FooterKey))
    full = "".join(f" {key.key_display} {key.description} " for key in keys)
    drawn = screen_text(app).rstrip("\n").split("\n")[-1]
    assert len(full) <= SIZE[0], f"{where}: {len(full)} columns: {full!r}"
    assert drawn.rstrip() == full.rstrip(), f"{where}: drawn {drawn!r}, keys {full!r}"
    assert full.startswith(" F1 Keys"), f"{where}: {full!r}"
    return full


@pytest.mark.parametrize("username", ["demo", "super", "admin"])
async def test_every_footer_fits_80_columns_and_starts_with_f1(ctx, username):
    actor = actor_for(ctx, username)
    today = day_appointments(ctx, actor, CLINIC_DAY)
    existing = register_patient(ctx, actor, {"given_name": "Oskar", "family_name": "Grünewald",
                                             "birth_date": "5/6/1977", "sex": "M"})
    app = CoordinatorApp(ctx, actor)
    seen: dict[str, str] = {}
    async with app.run_test(size=SIZE) as pilot:
        async def at(where: str, *keys: str) -> None:
            for key in keys:
                await pilot.press(key)
                await settle(app, pilot)
            seen[where] = footer_fits(app, where)

        await settle(app, pilot)
        await at("check-in, search box")
        await at("check-in, list", "down")
        await at("checklist", "enter")
        await at("check-in", "escape")
        await at("cash-up", "f6")
        await at("check-in", "escape")
        await at("walk-in", "f7")
        await at("check-in", "escape")
        app.push_screen(WalkInScreen(patient_id=today[0].patient_id))  # booked today: a, 1-9, m
        await settle(app, pilot)
        await at("walk-in, patient booked today")
        await at("check-in", "escape")
        await at("schedule", "f3")
        await at("availability", "a")
        await at("schedule", "escape")
        await at("patients, search box", "f4")
        await at("patients, list", "down")
        await at("patient record", "enter")
        await at("booking", "b")
        await at("patient record", "escape")
        await at("edit form", "e")
        await at("patient record", "escape")
        await at("patients", "escape")
        await at("callbacks", "f5")
        await at("callback work", "enter")
        await at("callbacks", "escape")
        await at("new callback", "f8")
        await at("callbacks", "escape")
        app.register_patient({"given_name": "Oscar", "family_name": "Grunewald",
                              "birth_date": "5/6/1977", "sex": "M"})
        await settle(app, pilot)
        await at("registration")
        await at("registration, look-alikes listed", "ctrl+s")
        assert existing.mrn in screen_text(app)
        await at("lock screen", "f12")
    # The keys the user most needs are the ones shown.
    assert "u Undo" in seen["check-in, list"] and "F7 Walk-in" in seen["check-in"]
    assert "^o Use existing" in seen["registration, look-alikes listed"]
    assert "^r Register anyway" in seen["registration, look-alikes listed"]
    assert "^f Full form" in seen["registration"]
    assert "Enter Check in" in seen["checklist"]
