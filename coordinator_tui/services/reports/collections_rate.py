"""Time-of-service collection: of the copays due at check-in, how much was collected that day.

Due: the copay of the patient's active primary coverage, for each visit that arrived (the
coverage as it is now; the copay at the time is not kept apart). Collected: the visit's payments
taken on the visit's own clinic day, voids left out, up to the copay (a larger payment pays other
balances, not this rate). Per desk user (who checked the patient in) or per day."""

from __future__ import annotations

from collections import defaultdict
from zoneinfo import ZoneInfo

from sqlalchemy import text

from coordinator_tui.domain.money import format_cents
from coordinator_tui.domain.report_stats import Rate
from coordinator_tui.services.reports.facts import Period, Visit, instant, sql_bound, week_start
from coordinator_tui.services.reports.model import Column, Report

CUTS = ("user", "day")
CUT_WORDS = {"user": "Desk user", "day": "Day"}

_COPAYS = text("SELECT patient_id, copay_cents FROM coverages WHERE rank = 'primary' AND active = 1")
_PAID = text("""
SELECT appointment_id, taken_at, amount_cents FROM payments
WHERE appointment_id IS NOT NULL AND voided_at IS NULL AND taken_at >= :start AND taken_at < :end
""")


def copays_and_payments(session, period: Period, tz: ZoneInfo):
    """(copay cents by patient, [(appointment id, local day taken, cents)]) for the period."""
    start, end = period.bounds(tz)
    copays = dict(session.execute(_COPAYS).all())
    paid = [(aid, instant(at).astimezone(tz).date(), cents)
            for aid, at, cents in session.execute(_PAID, {"start": sql_bound(start), "end": sql_bound(end)})]
    return copays, paid


def collection_report(visits: list[Visit], period: Period, copays: dict[int, int],
                      payments: list, by: str) -> Report:
    paid_on_day: dict[int, int] = defaultdict(int)
    day_of = {v.id: v.day for v in visits}
    for aid, day, cents in payments:
        if day_of.get(aid) == day:
            paid_on_day[aid] += cents
    groups: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # visits, full, due, collected
    weekly: dict = defaultdict(lambda: [0, 0])
    for v in visits:
        if v.arrived is None:
            continue
        due = copays.get(v.patient_id, 0)
        if due <= 0:
            continue
        collected = min(due, paid_on_day.get(v.id, 0))
        key = (v.arrived_by or "?") if by == "user" else v.day.isoformat()
        g = groups[key]
        g[0] += 1
        g[1] += collected == due
        g[2] += due
        g[3] += collected
        weekly[week_start(v.day)][0] += due
        weekly[week_start(v.day)][1] += collected
    rows, bars = [], []
    for key in sorted(groups):
        visits_due, full, due, collected = groups[key]
        rate = Rate(collected, due)
        rows.append((key, visits_due, full, due, collected, _pct(rate)))
        bars.append((key, rate.percent,
                     f"{_pct_words(rate)} {format_cents(collected)}/{format_cents(due)}"))
    total = [sum(g[i] for g in groups.values()) for i in range(4)]
    all_rate = Rate(total[3], total[2])
    rows.append(("All", total[0], total[1], total[2], total[3], _pct(all_rate)))
    trend = tuple((week, Rate(w[1], w[0]).percent) for week, w in sorted(weekly.items()))
    columns = (Column("group", CUT_WORDS[by], 12, numeric=False), Column("visits_due", "Copay due", 9),
               Column("paid_in_full", "Paid full", 9), Column("due_cents", "Due", 12, money=True),
               Column("collected_cents", "Collected", 12, money=True), Column("rate_percent", "Rate %", 6))
    notes = ("Collection rate = collected at check-in (same day, voids left out, up to the copay) / "
             f"copay due: {_pct_words(all_rate)} {format_cents(total[3])}/{format_cents(total[2])}.",
             "Due is the copay of the active primary coverage; a desk user is who checked the "
             "patient in.")
    return Report("collections", f"Time-of-service collections by {CUT_WORDS[by].lower()}",
                  period.start, period.end, by, columns, tuple(rows), tuple(bars),
                  "Collected / due", trend, "Collection rate % by week", notes,
                  f"{_pct_words(all_rate)} {format_cents(total[3])}/{format_cents(total[2])}")


def _pct(rate: Rate) -> float | None:
    percent = rate.percent
    return None if percent is None else round(percent, 1)


def _pct_words(rate: Rate) -> str:
    percent = rate.percent
    return "-" if percent is None else f"{percent:.1f}%"
