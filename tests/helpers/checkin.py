"""Check-in set-ups shared by service, screen and real-terminal tests."""

from __future__ import annotations

from textual.widgets import DataTable

from coordinator_tui.domain.vocab import AppointmentStatus as S
from coordinator_tui.services import checkin as svc
from coordinator_tui.services.desk_views import day_appointments
from tests.conftest import CLINIC_DAY
from tests.helpers.engines import raw_connect


async def settle(app, pilot):
    """Two rounds of messages and workers: a search result, then the board it redraws."""
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


def make_ready(ctx, actor, appointment_id):
    """Everything current, nothing owed: what express check-in needs."""
    svc.confirm_demographics(ctx, actor, appointment_id)
    current = svc.checklist(ctx, actor, appointment_id)
    if not current.item("eligibility").done:
        svc.mark_eligibility(ctx, actor, appointment_id, verified=True)
    if current.copay_due_cents:
        svc.take_payment(ctx, actor, appointment_id, f"{current.copay_due_cents / 100:.2f}", "card")
    if not current.item("forms").done:
        svc.record_forms_signed(ctx, actor, appointment_id)
    return svc.mark_seen(ctx, actor, appointment_id)


def waiting_rows(ctx, actor):
    """Today's booked patients not yet arrived."""
    return [r for r in day_appointments(ctx, actor, CLINIC_DAY) if r.status in (S.SCHEDULED, S.CONFIRMED)]


def fresh_rows(ctx, actor, copay_cents: int | None = None):
    """Expected patients with nothing done ahead: no address, ID or card ever checked and
    nothing paid for the visit (the seeded clinic makes a third of them express-ready); with
    `copay_cents`, only those whose primary coverage has that copay."""
    conn = raw_connect(ctx.db.url)
    try:
        done = {r[0] for r in conn.execute("SELECT a.patient_id FROM checkin_checks c "
                                           "JOIN appointments a ON a.id = c.appointment_id")}
        paid = {r[0] for r in conn.execute("SELECT appointment_id FROM payments")}
        copays = dict(conn.execute("SELECT patient_id, copay_cents FROM coverages "
                                   "WHERE rank = 'primary' AND active").fetchall())
    finally:
        conn.close()
    return [r for r in waiting_rows(ctx, actor) if r.patient_id not in done and r.id not in paid
            and (copay_cents is None or copays.get(r.patient_id) == copay_cents)]


def waiting(ctx, actor):
    """Expected patients with nothing done ahead and a $25.00 copay (what these tests type), with
    a plain ASCII family name."""
    return [r for r in fresh_rows(ctx, actor, copay_cents=2500) if r.patient_name.split(",")[0].isascii()
            and r.patient_name.split(",")[0].isalpha()]


def unique_row(ctx, actor):
    """A waiting patient whose family name (as typed) matches no other patient today."""
    from coordinator_tui.domain.names import name_key
    from coordinator_tui.services.patients.lookup import search_patients

    everyone = day_appointments(ctx, actor, CLINIC_DAY)
    today = {other.patient_id for other in everyone}
    for row in reversed(waiting(ctx, actor)):
        family = name_key(row.patient_name.split(",")[0])
        if sum(family in name_key(other.patient_name) for other in everyone) != 1:
            continue
        # The lookup also finds sound-alikes (Thompson: Thomas): typing the name must leave one.
        found = search_patients(ctx, actor, family, limit=30, today_first=True)
        if [hit.id for hit in found if hit.id in today] == [row.patient_id]:
            return row
    raise AssertionError("no uniquely named waiting patient in the seed")


async def type_until_unique(app, pilot, row) -> int:
    """Type the family name letter by letter until the board shows only this patient; the
    number of keys pressed."""
    family = row.patient_name.split(",")[0].lower()
    table = app.screen.query_one("#arrivals", DataTable)
    keys = 0
    for letter in family:
        await pilot.press(letter)
        keys += 1
        await settle(app, pilot)
        today = [key.value for key in table.rows if not key.value.startswith("p")]  # "p…" = not booked today
        if keys >= 3 and len(today) == 1:
            assert today == [str(row.id)]
            return keys
    raise AssertionError("the family name does not single out the patient")


async def open_checklist_of(app, pilot, row):
    await type_until_unique(app, pilot, row)
    await pilot.press("enter")
    await settle(app, pilot)
    from coordinator_tui.tui.screens.checkin.checklist import ChecklistScreen

    assert isinstance(app.screen, ChecklistScreen)
    return app.screen
