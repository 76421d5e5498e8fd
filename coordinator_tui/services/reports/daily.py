"""The day in one table (or a longer period, added up): visits by status, walk-ins, new
patients, payments by method, callbacks opened and closed, and the referrals and
authorisations in force that end from the period's first day to `auth_expiring_days` after
its last (the referrals work list's horizon)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text

from coordinator_tui.domain.money import format_cents
from coordinator_tui.domain.vocab import AppointmentStatus as S
from coordinator_tui.services.reports.dialect import count_if, dialect_of
from coordinator_tui.services.reports.facts import ATTENDED_SQL, Period, Query, whole
from coordinator_tui.services.reports.model import Column, Report

STATUS_ORDER = (S.SCHEDULED, S.CONFIRMED, S.ARRIVED, S.ROOMED, S.WITH_PROVIDER, S.CHECKED_OUT,
                S.NO_SHOW, S.CANCELLED)

_REGISTERED = text("SELECT count(*) FROM patients WHERE created_at >= :start AND created_at < :end "
                   "AND merged_into_id IS NULL")
_PAYMENTS = text("SELECT method, count(*), sum(amount_cents) FROM payments WHERE voided_at IS NULL "
                 "AND taken_at >= :start AND taken_at < :end GROUP BY method ORDER BY method")
_VOIDS = text("SELECT count(*), coalesce(sum(amount_cents), 0) FROM payments "
              "WHERE voided_at IS NOT NULL AND taken_at >= :start AND taken_at < :end")
_OPENED = text("SELECT count(*) FROM callbacks WHERE created_at >= :start AND created_at < :end")
# In force: approved or active (an approved one past its end reads as expired elsewhere).
_EXPIRING = text("SELECT kind, count(*) FROM referrals WHERE status IN ('approved', 'active') "
                 "AND auth_valid_to >= :first AND auth_valid_to <= :horizon GROUP BY kind ORDER BY kind")
_CLOSED = text("SELECT status, count(*) FROM callbacks WHERE status <> 'open' "
               "AND closed_at >= :start AND closed_at < :end GROUP BY status ORDER BY status")


def day_facts(session, period: Period, tz: ZoneInfo, expiring_days: int = 14) -> dict:
    start, end = period.bounds(tz)
    d = dialect_of(session)
    horizon = {"first": d.bound_day(period.start),
               "horizon": d.bound_day(period.end + timedelta(days=expiring_days))}
    bounds = {"start": d.bound(start), "end": d.bound(end)}
    return {
        "registered": whole(session.execute(_REGISTERED, bounds).scalar_one()),
        "payments": [(method, whole(n), whole(cents)) for method, n, cents in session.execute(_PAYMENTS, bounds)],
        "voids": tuple(whole(n) for n in session.execute(_VOIDS, bounds).one()),
        "opened": whole(session.execute(_OPENED, bounds).scalar_one()),
        "closed": [(status, whole(n)) for status, n in session.execute(_CLOSED, bounds)],
        "expiring": [(kind, whole(n)) for kind, n in session.execute(_EXPIRING, horizon)],
        "expiring_days": expiring_days,
    }


_VISITS = f"""SELECT status, count(*), {count_if("walk_in")},
       {count_if(f"status IN {ATTENDED_SQL} AND coalesce(seen, 0) = 0")}
FROM v GROUP BY status"""


def daily_report(session, query: Query, period: Period, facts: dict) -> Report:
    found = [(status, *(whole(n) for n in numbers)) for status, *numbers in query.run(session, _VISITS)]
    statuses = {status: count for status, count, _w, _f in found}
    every = sum(statuses.values())
    rows: list[tuple] = []
    bars = []
    for status in STATUS_ORDER:
        count = statuses.get(status.value, 0)
        rows.append(("Visits", status.label, count, None))
        bars.append((status.label, float(count), str(count)))
    rows.append(("Visits", "All appointments", every, None))
    rows.append(("Visits", "Walk-ins", sum(w for _s, _c, w, _f in found), None))
    rows.append(("Patients", "First visits", sum(f for _s, _c, _w, f in found), None))
    rows.append(("Patients", "Registered", facts["registered"], None))
    total_count = total_cents = 0
    for method, count, cents in facts["payments"]:
        rows.append(("Payments", method, count, cents))
        total_count += count
        total_cents += cents
    rows.append(("Payments", "All (no voids)", total_count, total_cents))
    void_count, void_cents = facts["voids"]
    rows.append(("Payments", "Voided", void_count, void_cents))
    rows.append(("Callbacks", "Opened", facts["opened"], None))
    for status, count in facts["closed"]:
        rows.append(("Callbacks", f"Closed {status}", count, None))
    words = {"incoming_referral": "Incoming referrals", "outgoing_referral": "Outgoing referrals",
             "prior_authorisation": "Authorisations"}
    expiring = dict(facts["expiring"])
    for kind, label in words.items():
        rows.append(("Expiring", label, expiring.get(kind, 0), None))
    columns = (Column("section", "Section", 10, numeric=False), Column("item", "Item", 18, numeric=False),
               Column("count", "Count", 7), Column("amount_cents", "Amount", 12, money=True))
    notes = (f"{every} appointments booked to start in the period; "
             f"payments {format_cents(total_cents)} in {total_count}.",
             f"Expiring: referrals and authorisations in force ending by {facts['expiring_days']} "
             "days after the period.")
    return Report("day", "The day's summary", period.start, period.end, None, columns, tuple(rows),
                  tuple(bars), "Visits by status", (), "", notes,
                  f"{every} appointments, {format_cents(total_cents)} taken")
