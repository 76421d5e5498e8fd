"""The demo clinic's schedule: statuses through the day, weekdays only, and today's paperwork
(a third of the patients still expected at the snapshot are express-ready)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from coordinator_tui.domain.slots import slot_starts
from coordinator_tui.domain.vocab import AppointmentStatus as S
from coordinator_tui.services.status_events import rebuild_flow
from coordinator_tui.store.bulk import (
    driver_sql,
    insert_many,
    sql_date,
    sql_instant,
)
from coordinator_tui.store.ledger_backfill import backfill_payments

# The demo's schedule is drawn as the clinic looks at 10:30 on the day, whatever the wall clock,
# and `coordinator demo` runs the app on a clock that starts there (see snapshot_instant).
AS_OF = time(10, 30)
# Providers work Monday to Friday (weekday() 0-4).
WORKDAYS = range(5)
# Of the patients still expected at the snapshot, every READY_EVERY-th has nothing outstanding on
# the check-in checklist, so express check-in (letters, Enter, Enter) can be tried at once.
READY_EVERY = 3
PROVIDERS = [
    ("Dr. Amara Okafor", "OKAFOR", "Family medicine"),
    ("Dr. Henrik Lindqvist", "LINDQVIST", "Internal medicine"),
    ("Dr. Sofía Martínez", "MARTINEZ", "Pediatrics"),
    ("Dr. Wei Chen", "CHEN", "Family medicine"),
    ("Dr. Rachel Goldberg", "GOLDBERG", "Obstetrics & gynecology"),
    ("Dr. Kwame Mensah", "MENSAH", "Internal medicine"),
    ("Nurse Pract. Siobhán O'Neill", "ONEILL", "Family nurse practitioner"),
    ("Dr. Priya Raman", "RAMAN", "Dermatology"),
]
TYPES = [("NEW", "New patient", 40), ("FU", "Follow-up", 20), ("ANN", "Annual physical", 40),
         ("SICK", "Same-day sick", 20), ("PROC", "Procedure", 40), ("TEL", "Telehealth", 20),
         ("WALK", "Walk-in", 20)]


def snapshot_instant(day: date, tz: ZoneInfo) -> datetime:
    """The instant (UTC) the clinic's schedule on `day` is drawn at: 10:30 clinic time."""
    return datetime.combine(day, AS_OF, tzinfo=tz).astimezone(UTC)


def demo_day(today: date) -> date:
    """The day the demo shows: today, or on a weekend the nearest weekday (Saturday: the Friday
    before, Sunday: the Monday after), since providers work weekdays only."""
    if today.weekday() == 5:
        return today - timedelta(days=1)
    if today.weekday() == 6:
        return today + timedelta(days=1)
    return today


def is_workday(day: date) -> bool:
    return day.weekday() in WORKDAYS


def _statuses_for(rng: random.Random, start: datetime, as_of: datetime) -> list[S]:
    """The status path an appointment has walked by `as_of` (first element: scheduled)."""
    minutes_ago = (as_of - start).total_seconds() / 60
    r = rng.random()
    if minutes_ago > 60:
        path = ([S.SCHEDULED, S.CONFIRMED, S.ARRIVED, S.ROOMED, S.WITH_PROVIDER, S.CHECKED_OUT] if r < 0.86
                else [S.SCHEDULED, S.NO_SHOW] if r < 0.95 else [S.SCHEDULED, S.CANCELLED])
    elif minutes_ago > 20:
        path = ([S.SCHEDULED, S.CONFIRMED, S.ARRIVED, S.ROOMED, S.WITH_PROVIDER] if r < 0.45
                else [S.SCHEDULED, S.CONFIRMED, S.ARRIVED, S.ROOMED] if r < 0.75
                else [S.SCHEDULED, S.ARRIVED] if r < 0.88 else [S.SCHEDULED, S.NO_SHOW])
    elif minutes_ago > -30:
        path = ([S.SCHEDULED, S.CONFIRMED, S.ARRIVED] if r < 0.6
                else [S.SCHEDULED, S.ARRIVED, S.ROOMED] if r < 0.7
                else [S.SCHEDULED, S.CONFIRMED])  # not here yet: late once the start passes
    else:
        path = ([S.SCHEDULED, S.CONFIRMED] if r < 0.5 else [S.SCHEDULED] if r < 0.95
                else [S.SCHEDULED, S.CANCELLED])
    return path


def build_schedule(conn, rng: random.Random, day: date, tz: ZoneInfo, patient_count: int,
                    actor_id: int, now: datetime) -> tuple[int, int, list[tuple[int, int, S]]]:
    """Appointments from 30 days before `day` to 14 days after. Returns (all, on day, outcomes)."""
    as_of = snapshot_instant(day, tz)
    appt_rows, event_rows, outcomes = [], [], []
    appointment_id = 0
    type_weights = [8, 40, 14, 20, 6, 8, 4]
    on_day = 0
    today_patients: set[int] = set()
    for offset in range(-30, 15):
        current = day + timedelta(days=offset)
        # Closed at weekends: those days are drawn like any other (so a seed's other days come
        # out the same whatever the weekday) but not kept.
        closed = offset != 0 and not is_workday(current)
        starts = [s for block in ((time(8), time(12)), (time(13), time(17)))
                  for s in slot_starts(current, tz, block[0], block[1], 20)]
        if offset == 0:
            fill = 0.8  # about 120 appointments across eight providers
        elif offset < 0:
            fill = 0.55
        else:
            fill = max(0.12, 0.6 - offset * 0.035)
        for provider_id in range(1, len(PROVIDERS) + 1):
            free_from = None
            for start in starts:
                if free_from and start < free_from:
                    continue
                if rng.random() >= fill:
                    continue
                type_index = rng.choices(range(len(TYPES)), type_weights)[0]
                length = TYPES[type_index][2]
                end = start + timedelta(minutes=length)
                free_from = end
                patient_id = rng.randrange(1, patient_count + 1)
                # One visit each today keeps lookup honest, while the clinic has enough patients
                # (a tiny clinic would otherwise look for an unused one forever).
                if offset == 0 and len(today_patients) < patient_count:
                    while patient_id in today_patients:
                        patient_id = rng.randrange(1, patient_count + 1)
                    today_patients.add(patient_id)
                appointment_id += 1
                booked_at = start - timedelta(days=rng.randrange(1, 40), minutes=rng.randrange(600))
                desired = (start.astimezone(tz).date() - timedelta(days=rng.randrange(0, 10))
                           if rng.random() < 0.5 else None)
                if offset < 0:
                    path = _statuses_for(rng, start, start + timedelta(hours=6))
                elif offset == 0:
                    path = _statuses_for(rng, start, as_of)
                else:
                    path = [S.SCHEDULED] if rng.random() < 0.9 else [S.SCHEDULED, S.CANCELLED]
                final = path[-1]
                cancelled = final is S.CANCELLED
                if closed:
                    continue  # (its id stays unused: the other days' ids are unchanged too)
                appt_rows.append((
                    appointment_id, patient_id, provider_id, type_index + 1, 1, sql_instant(start),
                    sql_instant(end), sql_date(desired), final.value, 1 if TYPES[type_index][0] == "WALK" else 0,
                    0, "patient" if cancelled else None, "Patient request" if cancelled else None,
                    sql_instant(booked_at), actor_id, len(path),
                ))
                at = booked_at
                for previous, status in zip([None, *path], path, strict=False):
                    if status is S.CONFIRMED:
                        at = start - timedelta(hours=rng.randrange(18, 48))
                    elif status is S.ARRIVED:
                        at = start + timedelta(minutes=rng.randrange(-15, 12))
                    elif status in (S.ROOMED, S.WITH_PROVIDER):
                        at = at + timedelta(minutes=rng.randrange(4, 18))
                    elif status is S.CHECKED_OUT:
                        at = max(at, end) + timedelta(minutes=rng.randrange(2, 15))
                    elif status is S.NO_SHOW:
                        at = start + timedelta(minutes=rng.randrange(20, 45))
                    elif status is S.CANCELLED:
                        at = start - timedelta(hours=rng.randrange(2, 72))
                    if offset == 0:
                        at = min(at, as_of)
                    event_rows.append((appointment_id, previous.value if previous else None,
                                       status.value, sql_instant(at), actor_id, 0))
                if offset == 0:
                    on_day += 1
                    outcomes.append((appointment_id, patient_id, final, start))
    insert_many(conn, "appointments", (
        "id", "patient_id", "provider_id", "appointment_type_id", "location_id", "starts_at",
        "ends_at", "desired_date", "status", "is_walk_in", "is_overbook", "cancelled_by",
        "cancel_reason", "created_at", "created_by_id", "version_id"), appt_rows)
    insert_many(conn, "appointment_status_events", (
        "appointment_id", "from_status", "to_status", "at", "by_id", "is_undo"), event_rows)
    rebuild_flow(conn)
    return len(appt_rows), on_day, outcomes


def today_paperwork(conn, rng: random.Random, outcomes, day: date, tz: ZoneInfo, actor_id: int,
                     now: datetime, patient_count: int) -> int:
    """Eligibility, forms, copays for today's patients, and the callbacks a real morning leaves.

    Dates are relative to the day's snapshot (10:30), not the wall clock, so what is current on
    the checklist depends only on the seed and the day. A third of the patients still expected
    at the snapshot (READY_EVERY) have everything current: eligibility verified lately, forms
    signed, address, photo ID and card seen at an earlier visit, and the copay paid ahead (online
    the evening before) or none due: express check-in works on them."""
    stamp = sql_instant(now)
    as_of = snapshot_instant(day, tz)
    callbacks = []
    payments = []
    forms = []
    checks = []
    seen: set[tuple[int, str]] = set()
    receipt = prepaid = expected = 0
    due_today = datetime.combine(day, time(16), tzinfo=tz).astimezone(UTC)
    # The ready patients' extras come from their own stream: the rest of the clinic is drawn
    # exactly as before they existed.
    ready_rng = random.Random(f"ready {day.isoformat()} {patient_count}")
    evening_before = datetime.combine(day - timedelta(days=1), time(19), tzinfo=tz).astimezone(UTC)
    for appointment_id, patient_id, status, start in outcomes:
        ready = False
        if status in (S.SCHEDULED, S.CONFIRMED) and start >= as_of:
            ready = expected % READY_EVERY == 0
            expected += 1
        r = rng.random()
        eligibility = "verified" if r < 0.7 else "problem" if r < 0.78 else "unverified"
        verified_at = (as_of - timedelta(days=rng.randrange(0, 25))) if eligibility == "verified" else None
        if ready and verified_at is None:
            eligibility, verified_at = "verified", as_of - timedelta(days=ready_rng.randrange(0, 25))
        verified_at = sql_instant(verified_at) if verified_at else None
        driver_sql(conn,
            "UPDATE coverages SET eligibility_status = ?, verified_at = ?, verified_by_id = ?,"
            " eligibility_note = ? WHERE patient_id = ? AND rank = 'primary'",
            (eligibility, verified_at, actor_id if verified_at else None,
             "Member id not found at payer" if eligibility == "problem" else None, patient_id))
        signed = day - timedelta(days=rng.randrange(0, 500)) if rng.random() < 0.8 else None
        if ready and (signed is None or (day - signed).days > 300):
            signed = day - timedelta(days=ready_rng.randrange(0, 300))  # the privacy notice is yearly
        if signed is not None:
            for form in ("privacy_notice", "consent_to_treat", "financial_policy"):
                forms.append((patient_id, form, sql_date(signed), stamp, actor_id))
        if ready:
            earlier = driver_sql(conn,
                "SELECT max(id) FROM appointments WHERE patient_id = ? AND starts_at < ?",
                (patient_id, sql_instant(start - timedelta(hours=12)))).scalar()
            checked = as_of - timedelta(days=ready_rng.randrange(1, 80))
            for item in ("demographics", "photo_id", "insurance_card"):
                checks.append((earlier or appointment_id, item, sql_instant(checked), actor_id))
            copay = driver_sql(conn,
                "SELECT copay_cents FROM coverages WHERE patient_id = ? AND rank = 'primary' AND active = TRUE",
                (patient_id,)).scalar()
            if copay:
                prepaid += 1
                payments.append((patient_id, appointment_id, copay, "card", "online pre-check-in",
                                 f"R{day - timedelta(days=1):%Y%m%d}-{prepaid:04d}",
                                 sql_instant(evening_before), actor_id))
        if status in (S.ARRIVED, S.ROOMED, S.WITH_PROVIDER, S.CHECKED_OUT):
            copay = driver_sql(conn,
                "SELECT copay_cents FROM coverages WHERE patient_id = ? AND rank = 'primary' AND active = TRUE",
                (patient_id,)).scalar()
            if copay:
                receipt += 1
                payments.append((patient_id, appointment_id, copay, rng.choice(["card", "card", "cash", "check"]),
                                 None, f"R{day:%Y%m%d}-{receipt:04d}", sql_instant(min(start, as_of)),
                                 actor_id))
        # A small clinic sees one patient several times a day: one open callback per patient
        # and reason, as the callbacks' unique index (and the desks) require.
        if status is S.NO_SHOW and (patient_id, "no_show") not in seen:
            seen.add((patient_id, "no_show"))
            callbacks.append((patient_id, appointment_id, "no_show", "normal", sql_instant(due_today),
                              "Missed today's appointment"))
        elif (eligibility == "problem" and (patient_id, "insurance") not in seen
              and len([c for c in callbacks if c[2] == "insurance"]) < 3):
            seen.add((patient_id, "insurance"))
            callbacks.append((patient_id, appointment_id, "insurance", "high", sql_instant(due_today),
                              "Eligibility check failed at the payer"))
    extra = [("recall", "low", 5, "Annual visit due"), ("patient_request", "normal", 0, "Asked about lab results"),
             ("results", "high", 1, "Dr. Okafor asks to discuss results"), ("rebook", "normal", 2, "Cancelled, wants new time"),
             ("referral", "normal", 3, "Prior auth decision from payer"), ("confirmation", "normal", 1, "Confirm tomorrow 9:00")]
    for reason, priority, days_ahead, note in extra:
        patient_id = rng.randrange(1, patient_count + 1)
        if (patient_id, reason) in seen:
            continue
        seen.add((patient_id, reason))
        due = datetime.combine(day + timedelta(days=days_ahead - 1), time(12), tzinfo=tz).astimezone(UTC)
        callbacks.append((patient_id, None, reason, priority, sql_instant(due), note))
    insert_many(conn, "form_signatures", ("patient_id", "form", "signed_on", "recorded_at", "recorded_by_id"), forms)
    insert_many(conn, "checkin_checks", ("appointment_id", "item", "checked_at", "checked_by_id"), checks)
    insert_many(conn, "payments", ("patient_id", "appointment_id", "amount_cents", "method", "reference",
                                   "receipt_number", "taken_at", "taken_by_id"), payments)
    backfill_payments(conn, tz)  # the ledger holds them as the migration would
    insert_many(conn, "callbacks", ("patient_id", "appointment_id", "reason", "priority", "status", "due_at",
                                    "note", "created_at", "created_by_id", "version_id"),
                [(p, a, r, pr, "open", d, n, stamp, actor_id, 1) for p, a, r, pr, d, n in callbacks])
    return len(callbacks)
