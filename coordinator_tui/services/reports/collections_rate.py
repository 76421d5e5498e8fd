"""Time-of-service collection: of the copays due at check-in, how much was collected that day.

Due: the visit's copay charge on the ledger (charges less their reversals) where the ledger has
one, else the copay of the patient's active primary coverage as it is now, for each visit that
arrived. Collected: the visit's payments
taken on the visit's own clinic day, voids left out, up to the copay (a larger payment pays other
balances, not this rate). Per desk user (who checked the patient in) or per day."""

from __future__ import annotations

from collections import defaultdict
from zoneinfo import ZoneInfo

from coordinator_tui.domain.money import format_cents
from coordinator_tui.domain.report_stats import Rate
from coordinator_tui.services.reports.dialect import count_if, smaller
from coordinator_tui.services.reports.facts import Period, Query, offset_case, week_of, whole
from coordinator_tui.services.reports.model import Column, Report

CUTS = ("user", "day")
CUT_WORDS = {"user": "Desk user", "day": "Day"}
GROUP_SQL = {"user": "arrived_by", "day": "day"}
_COLLECTED = """, paid AS (
  SELECT appointment_id, {paid_day} AS paid_day, sum(amount_cents) AS cents
  FROM payments
  WHERE appointment_id IS NOT NULL AND voided_at IS NULL AND taken_at >= :start AND taken_at < :end
  GROUP BY appointment_id, paid_day
), charged AS (
  SELECT l.appointment_id, sum(l.amount_cents) AS cents
  FROM ledger_entries l LEFT JOIN ledger_entries r ON r.id = l.reverses_id
  WHERE l.appointment_id IN (SELECT id FROM appointments WHERE starts_at >= :start AND starts_at < :end)
    AND l.responsibility = 'patient' AND (l.kind = 'charge' OR r.kind = 'charge')
  GROUP BY l.appointment_id
), owed AS (
  SELECT v.*, coalesce(ch.cents, c.copay_cents) AS due_cents
  FROM v LEFT JOIN charged ch ON ch.appointment_id = v.id
  LEFT JOIN coverages c ON c.patient_id = v.patient_id AND c.rank = 'primary' AND c.active
), due AS (
  SELECT {group} AS grp, day, due_cents AS due, {got} AS got
  FROM owed v LEFT JOIN paid ON paid.appointment_id = v.id AND paid.paid_day = v.day
  WHERE v.arrived IS NOT NULL AND due_cents > 0
)
SELECT grp, day, count(*), {paid_in_full}, sum(due), sum(got) FROM due GROUP BY grp, day"""


def collection_report(session, query: Query, period: Period, tz: ZoneInfo, by: str) -> Report:
    start, end = period.bounds(tz)
    d = query.dialect
    found = query.run(session, _COLLECTED.format(
        paid_day=d.day(d.local("taken_at", offset_case("taken_at", tz, start, end))), group=GROUP_SQL[by],
        got=smaller("due_cents", "coalesce(paid.cents, 0)"), paid_in_full=count_if("got = due")))
    groups: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # visits, full, due, collected
    weekly: dict = defaultdict(lambda: [0, 0])
    for group, day, *numbers in found:
        visits, full, due, got = (whole(n) for n in numbers)
        key = query.staff.get(group, "?") if by == "user" else group
        g = groups[key]
        for i, value in enumerate((visits, full, due, got)):
            g[i] += value
        weekly[week_of(day)][0] += due
        weekly[week_of(day)][1] += got
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
             "Due is the visit's copay charge on the ledger (else the active primary coverage's "
             "copay); a desk user is who checked the patient in.")
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
